import { compareIds } from '../../lib/ids.js';
import type { TimelineEntry, TimelineStore } from '../../ports/timeline-store.js';

/** Timelines as sorted arrays of ids (ascending), for the embedded shape. */
export class MemoryTimelineStore implements TimelineStore {
  readonly #timelines = new Map<string, string[]>();

  async add(entries: readonly TimelineEntry[], cap: number): Promise<void> {
    const touched = new Set<string>();
    for (const { timelineId, postId } of entries) {
      let ids = this.#timelines.get(timelineId);
      if (!ids) this.#timelines.set(timelineId, (ids = []));
      const at = lowerBound(ids, postId);
      if (ids[at] !== postId) ids.splice(at, 0, postId);
      touched.add(timelineId);
    }
    for (const id of touched) {
      const ids = this.#timelines.get(id)!;
      if (ids.length > cap) ids.splice(0, ids.length - cap);
    }
  }

  async range(timelineId: string, { before, limit }: { before?: string; limit: number }): Promise<string[]> {
    const ids = this.#timelines.get(timelineId);
    if (!ids) return [];
    const end = before === undefined ? ids.length : lowerBound(ids, before);
    return ids.slice(Math.max(0, end - limit), end).reverse();
  }

  async remove(timelineId: string, postIds: readonly string[]): Promise<void> {
    const ids = this.#timelines.get(timelineId);
    if (!ids) return;
    for (const postId of postIds) {
      const at = lowerBound(ids, postId);
      if (ids[at] === postId) ids.splice(at, 1);
    }
    if (ids.length === 0) this.#timelines.delete(timelineId);
  }

  async exists(timelineId: string): Promise<boolean> {
    return this.#timelines.has(timelineId);
  }

  async replace(timelineId: string, postIds: readonly string[], cap: number): Promise<void> {
    const ids = [...new Set(postIds)].sort(compareIds);
    if (ids.length === 0) this.#timelines.delete(timelineId);
    else this.#timelines.set(timelineId, ids.slice(Math.max(0, ids.length - cap)));
  }

  async drop(timelineIds: readonly string[]): Promise<void> {
    for (const id of timelineIds) this.#timelines.delete(id);
  }
}

function lowerBound(ids: readonly string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareIds(ids[mid]!, id) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

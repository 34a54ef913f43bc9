import { compareIds } from '../../lib/ids.js';
import type { TimelineEntry, TimelineStore } from '../../ports/timeline-store.js';

/**
 * Lists as sorted arrays of ids (ascending), for the embedded shape. Trims to exactly `cap`
 * (the Redis adapter's slack only saves rewriting a string). An empty array is a list that
 * exists: the existence rule of the port holds here too.
 */
export class MemoryTimelineStore implements TimelineStore {
  readonly #lists = new Map<string, string[]>();
  readonly #rebuilding = new Set<string>();

  async push(entries: readonly TimelineEntry[], cap: number): Promise<void> {
    const touched = new Set<string[]>();
    for (const { timelineId, postId } of entries) {
      const ids = this.#lists.get(timelineId);
      if (!ids) continue; // missing: its reader rebuilds it
      insert(ids, postId);
      touched.add(ids);
    }
    for (const ids of touched) trim(ids, cap);
  }

  async beginRebuild(timelineId: string): Promise<void> {
    if (!this.#lists.has(timelineId)) this.#lists.set(timelineId, []);
    this.#rebuilding.add(timelineId);
  }

  async completeRebuild(timelineId: string, postIds: readonly string[], cap: number): Promise<void> {
    let ids = this.#lists.get(timelineId);
    if (!ids) this.#lists.set(timelineId, (ids = []));
    for (const postId of postIds) insert(ids, postId);
    trim(ids, cap);
    this.#rebuilding.delete(timelineId);
  }

  async range(timelineId: string, options: { before?: string; limit: number }): Promise<string[]> {
    return this.#range(timelineId, options) ?? [];
  }

  async rangeMany(
    timelineIds: readonly string[],
    options: { before?: string; limit: number },
  ): Promise<Map<string, string[] | null>> {
    return new Map(timelineIds.map((id) => [id, this.#range(id, options)]));
  }

  async remove(entries: readonly TimelineEntry[]): Promise<void> {
    for (const { timelineId, postId } of entries) {
      const ids = this.#lists.get(timelineId);
      if (!ids) continue;
      const at = lowerBound(ids, postId);
      if (ids[at] === postId) ids.splice(at, 1);
    }
  }

  async exists(timelineId: string): Promise<boolean> {
    return this.#lists.has(timelineId) && !this.#rebuilding.has(timelineId);
  }

  async drop(timelineIds: readonly string[]): Promise<void> {
    for (const id of timelineIds) {
      this.#lists.delete(id);
      this.#rebuilding.delete(id);
    }
  }

  #range(timelineId: string, { before, limit }: { before?: string; limit: number }): string[] | null {
    const ids = this.#lists.get(timelineId);
    if (!ids || this.#rebuilding.has(timelineId)) return null;
    const end = before === undefined ? ids.length : lowerBound(ids, before);
    return ids.slice(Math.max(0, end - Math.max(0, limit)), end).reverse();
  }
}

function insert(ids: string[], id: string): void {
  const at = lowerBound(ids, id);
  if (ids[at] !== id) ids.splice(at, 0, id);
}

function trim(ids: string[], cap: number): void {
  if (ids.length > cap) ids.splice(0, ids.length - cap);
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

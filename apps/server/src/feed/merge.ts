import { compareIds } from '../lib/ids.js';

/**
 * Merges lists of post ids that are each sorted newest first into one newest-first list
 * without duplicates, stopping after `limit` ids. A post can sit in several lists (fanned out
 * before its author became a celebrity, and in the author's own list too); it appears once.
 * Lists are few (the timeline plus the celebrities a reader follows), so a linear scan of
 * their heads beats a heap.
 */
export function mergeNewestFirst(lists: readonly (readonly string[])[], limit: number): string[] {
  const heads = lists.map(() => 0);
  const out: string[] = [];
  while (out.length < limit) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      const id = lists[i]![heads[i]!];
      if (id !== undefined && (best < 0 || compareIds(id, lists[best]![heads[best]!]!) > 0)) best = i;
    }
    if (best < 0) break;
    const id = lists[best]![heads[best]!]!;
    if (out.at(-1) !== id) out.push(id);
    // Every list holding this id advances past it.
    for (let i = 0; i < lists.length; i++) if (lists[i]![heads[i]!] === id) heads[i]!++;
  }
  return out;
}

/**
 * Lists of post ids ordered by id (ids are time-sortable), newest first, capped: users' home
 * timelines, and the recent posts of authors whose followers pull instead of receiving pushes.
 * A cache of what PostgreSQL can rebuild, never the truth.
 *
 * Existence matters: a list that exists holds every post that belongs in it (down to the cap);
 * a missing one (never built, evicted, Redis flushed) is rebuilt by its reader. That is why
 * `push` skips missing lists. A rebuild marks the list first (`beginRebuild`), then queries
 * the database, then merges the result in (`completeRebuild`): pushes arriving meanwhile land
 * in the marked list instead of being skipped, and readers see it as missing until it is
 * complete.
 */
export interface TimelineEntry {
  readonly timelineId: string;
  readonly postId: string;
}

export interface TimelineStore {
  /**
   * Adds each entry to its list if that list exists (missing lists are skipped), idempotently,
   * and trims every touched list to its `cap` newest ids. Batched: any number of lists in a
   * constant number of round trips per node.
   */
  push(entries: readonly TimelineEntry[], cap: number): Promise<void>;
  /**
   * Marks the list as being rebuilt, creating it empty if missing (what it holds is kept):
   * pushes land in it, readers see it as missing.
   */
  beginRebuild(timelineId: string): Promise<void>;
  /** Merges ids into the list (creating it if needed), trims it to `cap`, and marks it complete. */
  completeRebuild(timelineId: string, postIds: readonly string[], cap: number): Promise<void>;
  /** Up to `limit` ids older than `before` (exclusive), newest first; [] when missing or being rebuilt. */
  range(timelineId: string, options: { before?: string; limit: number }): Promise<string[]>;
  /** `range` over several lists in one round trip per node; a missing list, or one being rebuilt, maps to null. */
  rangeMany(
    timelineIds: readonly string[],
    options: { before?: string; limit: number },
  ): Promise<Map<string, string[] | null>>;
  /** Removes each entry from its list, if there. */
  remove(entries: readonly TimelineEntry[]): Promise<void>;
  /** The list exists and is not being rebuilt. */
  exists(timelineId: string): Promise<boolean>;
  drop(timelineIds: readonly string[]): Promise<void>;
}

/**
 * Home timelines: per-user sets of post ids ordered by id (ids are time-sortable), newest first.
 * A cache of what PostgreSQL can rebuild, never the truth.
 */
export interface TimelineEntry {
  readonly timelineId: string;
  readonly postId: string;
}

export interface TimelineStore {
  /** Adds each entry (idempotent) and trims every touched timeline to `cap` newest entries. */
  add(entries: readonly TimelineEntry[], cap: number): Promise<void>;
  /** Up to `limit` post ids older than `before` (exclusive), newest first. */
  range(timelineId: string, options: { before?: string; limit: number }): Promise<string[]>;
  remove(timelineId: string, postIds: readonly string[]): Promise<void>;
  /** An empty timeline does not exist (as in Redis): callers rebuild it, which is cheap when empty. */
  exists(timelineId: string): Promise<boolean>;
  /** Replaces the whole timeline at once (rebuild after cache loss). */
  replace(timelineId: string, postIds: readonly string[], cap: number): Promise<void>;
  drop(timelineIds: readonly string[]): Promise<void>;
}

import type { FeedMode } from '../db/schema.js';

/**
 * Tuning of the home feed's write path. The numbers that vary per deployment are settings
 * (config.ts: FEED_*, CELEBRITY_FOLLOWERS); these are the invariants around them.
 */

/**
 * An author in pull mode returns to push only below this share of CELEBRITY_FOLLOWERS.
 * Invariant: the band between the two thresholds is wide enough that an author hovering at
 * the threshold does not flip on every follow, since each demotion re-pushes their recent
 * posts to every follower.
 */
export const DEMOTE_RATIO = 0.9;

/**
 * A reader who has not opened the feed for an hour gets feed_read_at rewritten; more often
 * would make every feed read a write. Invariant: far below FEED_ACTIVE_DAYS, so a user counted
 * active by the fan-out really read within the window.
 */
export const TOUCH_EVERY_MS = 3_600_000;

/**
 * A page is filled from this many candidate ids per round (times the page size): reads drop
 * candidates the viewer may no longer see (unfollowed, muted, deleted), so asking for more
 * than the page keeps a read to one round in the common case. Each further round doubles.
 */
export const OVERFETCH = 2;

/** Promotion threshold is exclusive: "more than CELEBRITY_FOLLOWERS". */
export function demoteBelow(celebrityFollowers: number): number {
  return Math.ceil(celebrityFollowers * DEMOTE_RATIO);
}

/**
 * The mode an author should move to, given their current one and follower count. `demoting`
 * is the only way back from pull: its job pushes the pulled posts out before push resumes.
 */
export function nextMode(mode: FeedMode, followers: number, celebrityFollowers: number): FeedMode {
  if (followers > celebrityFollowers) return 'pull';
  if (mode === 'push') return 'push';
  return followers < demoteBelow(celebrityFollowers) ? 'demoting' : mode;
}

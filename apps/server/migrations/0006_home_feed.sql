-- The home feed. Timelines live in Redis (or in process); PostgreSQL keeps the two facts the
-- fan-out needs to stay correct across restarts and cache loss.

-- When the user last read their feed: fan-out skips followers idle for FEED_ACTIVE_DAYS, and
-- their next read rebuilds the timeline instead of trusting it. Touched at most hourly.
ALTER TABLE users ADD COLUMN feed_read_at timestamptz;

-- How the author's posts reach followers: pushed into timelines, pulled by readers from the
-- author's own list (celebrities), or `demoting` — still pulled while a job pushes the pulled
-- posts into followers' timelines before the author goes back to push (feed/fanout.ts).
ALTER TABLE users ADD COLUMN feed_mode text NOT NULL DEFAULT 'push'
  CHECK (feed_mode IN ('push', 'pull', 'demoting'));

-- Fan-out pages through an author's approved followers newest-follow first (keyset on id),
-- a thousand at a time: covering the follower id makes each page an index-only scan.
CREATE INDEX follows_fanout ON follows (followee_id, id DESC) INCLUDE (follower_id)
  WHERE state = 'accepted';

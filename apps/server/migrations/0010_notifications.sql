-- Notifications, written by the notifications.create job from outbox events
-- (docs/notifications.md). The recipient comes first: it is the distribution key, and every
-- read is "one recipient's newest".

CREATE TABLE notifications (
  recipient_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  id bigint NOT NULL,                          -- next_id(shard_of(recipient_id)): newest first
  type text NOT NULL CHECK (type IN ('like', 'comment', 'follow', 'follow_request', 'follow_accepted', 'mention')),
  actor_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- A deleted comment or post takes its notifications with it.
  post_id bigint REFERENCES posts (id) ON DELETE CASCADE,
  comment_id bigint REFERENCES comments (id) ON DELETE CASCADE,
  -- What makes a notification the same one again (like:{post}:{actor}, comment:{comment}, ...):
  -- a redelivered event or a like/unlike/like finds its row taken and creates nothing.
  dedupe_key text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id),
  CONSTRAINT notifications_dedupe UNIQUE (recipient_id, dedupe_key)
);
-- The list (newest first, keyset on id) and the unread count (ids above the read marker).
CREATE INDEX notifications_by_recipient ON notifications (recipient_id, id DESC);
-- The ON DELETE CASCADEs above look rows up by these columns; without them, deleting a post,
-- a comment or an account would scan the whole table.
CREATE INDEX notifications_by_post ON notifications (post_id) WHERE post_id IS NOT NULL;
CREATE INDEX notifications_by_comment ON notifications (comment_id) WHERE comment_id IS NOT NULL;
CREATE INDEX notifications_by_actor ON notifications (actor_id);

-- The read marker: a notification is read when its id is at or below it. One number per user
-- instead of a flag per row: "mark everything up to here read" is one small UPDATE.
ALTER TABLE users ADD COLUMN notifications_read_upto bigint NOT NULL DEFAULT 0;

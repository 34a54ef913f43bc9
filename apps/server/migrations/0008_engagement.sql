-- Likes, comments and saves. Counters on posts (like_count, comment_count) move in the same
-- transaction as the edge they count. Likes and comments carry the post's id first (their
-- distribution key: they are read per post); saves carry the saver's (read per user).

CREATE TABLE likes (
  post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  id bigint NOT NULL,                          -- next_id(shard_of(post_id)): likers newest first
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (post_id, user_id)
);
-- The likers list pages newest first; covering user_id makes each page an index-only scan.
CREATE INDEX likes_by_post ON likes (post_id, id DESC) INCLUDE (user_id);
-- A user's likes (account deletion cascades, "liked by me" over many posts).
CREATE INDEX likes_by_user ON likes (user_id, post_id);

CREATE TABLE comments (
  post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  id bigint NOT NULL,                          -- next_id(shard_of(post_id)): oldest first by id
  author_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  body text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 2200),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id)
);
CREATE INDEX comments_by_post ON comments (post_id, id);
CREATE INDEX comments_by_author ON comments (author_id, id DESC);

CREATE TABLE saves (
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  id bigint NOT NULL,                          -- next_id(shard_of(user_id)): newest save first
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, post_id)
);
CREATE INDEX saves_by_user ON saves (user_id, id DESC) INCLUDE (post_id);
CREATE INDEX saves_by_post ON saves (post_id);

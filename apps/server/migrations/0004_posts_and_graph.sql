-- Posts, the social graph, and what they are made of. Every table carries its distribution key
-- (the author or the acting user) first, so it can be co-located by user when sharded.

CREATE TABLE posts (
  id bigint PRIMARY KEY,                       -- next_id(shard_of(author_id))
  author_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  caption text NOT NULL DEFAULT '',
  location text,
  status text NOT NULL CHECK (status IN ('processing', 'published', 'failed')),
  error_code text,
  like_count integer NOT NULL DEFAULT 0 CHECK (like_count >= 0),
  comment_count integer NOT NULL DEFAULT 0 CHECK (comment_count >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  edited_at timestamptz,
  -- Deleting hides a post from every read at once; a job cleans up after it.
  deleted_at timestamptz
);
CREATE INDEX posts_by_author ON posts (author_id, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX posts_deleted ON posts (deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE post_media (
  post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  position smallint NOT NULL CHECK (position BETWEEN 0 AND 9),
  media_id bigint NOT NULL REFERENCES media (id),
  alt_text text,
  PRIMARY KEY (post_id, position)
);
CREATE INDEX post_media_by_media ON post_media (media_id);

CREATE TABLE hashtags (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE,
  -- Published, not deleted posts carrying the tag.
  post_count integer NOT NULL DEFAULT 0 CHECK (post_count >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE post_hashtags (
  post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  hashtag_id bigint NOT NULL REFERENCES hashtags (id),
  PRIMARY KEY (post_id, hashtag_id)
);
CREATE INDEX post_hashtags_by_tag ON post_hashtags (hashtag_id, post_id DESC);

CREATE TABLE post_mentions (
  post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (post_id, user_id)
);
CREATE INDEX post_mentions_by_user ON post_mentions (user_id, post_id DESC);

-- follower → followee. `pending` is a follow request to a private account.
CREATE TABLE follows (
  follower_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  followee_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  id bigint NOT NULL,                          -- time-sortable, for newest-first lists
  state text NOT NULL CHECK (state IN ('accepted', 'pending')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (follower_id, followee_id),
  CHECK (follower_id <> followee_id)
);
-- Reverse index: who follows X (followers lists, requests inbox, fan-out).
CREATE INDEX follows_by_followee ON follows (followee_id, state, id DESC);
CREATE INDEX follows_by_follower ON follows (follower_id, state, id DESC);

CREATE TABLE blocks (
  blocker_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  blocked_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (blocker_id, blocked_id),
  CHECK (blocker_id <> blocked_id)
);
CREATE INDEX blocks_by_blocked ON blocks (blocked_id, blocker_id);

CREATE TABLE mutes (
  muter_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  muted_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (muter_id, muted_id),
  CHECK (muter_id <> muted_id)
);

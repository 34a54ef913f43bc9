-- Glimpse schema, part 1: ids, accounts, sessions, the outbox and the embedded job queue.
-- Runs unchanged on PostgreSQL 15+ and PGlite (PostgreSQL 18).

-- 64-bit time-sortable ids in Instagram's layout:
--   41 bits: milliseconds since 2026-01-01T00:00:00Z (lasts until 2095)
--   13 bits: logical shard (0..8191); rows owned by a user take that user's shard
--   10 bits: sequence within the millisecond
-- Minted inside the INSERT that needs them (DEFAULT or RETURNING): no extra round trip.
--
-- The time and sequence parts both come from one counter, id_seq, that holds
-- (ms << 10 | n). Distinct counter values always give distinct ids, so ids stay unique
-- however many are minted per millisecond (Instagram's `nextval % 1024` repeats after
-- 1,024 ids in one millisecond, which a bulk INSERT ... SELECT reaches). When the counter
-- has fallen behind the wall clock it is moved forward to it; only forward, under an
-- advisory lock, and only when it lags by more than ID_CLOCK_SLACK values, so concurrent
-- nextval() calls could never overtake the jump. A burst of more than 1,024 ids per
-- millisecond borrows the following milliseconds, so ids stay monotonic.
CREATE SEQUENCE id_seq AS bigint;

CREATE FUNCTION next_id(shard integer) RETURNS bigint
  LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE AS $$
DECLARE
  id_clock_slack constant bigint := 51200; -- 50 ms of ids
  clock bigint := (floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint - 1767225600000) << 10;
  v bigint := nextval('id_seq');
BEGIN
  IF v < clock - id_clock_slack AND pg_try_advisory_lock(7245002) THEN
    IF (SELECT last_value FROM id_seq) < clock - id_clock_slack THEN
      PERFORM setval('id_seq', clock);
    END IF;
    v := nextval('id_seq');
    PERFORM pg_advisory_unlock(7245002);
  END IF;
  RETURN ((v >> 10) << 23) | ((shard & 8191)::bigint << 10) | (v & 1023);
END
$$;

CREATE FUNCTION shard_of(id bigint) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT ((id >> 10) & 8191)::integer $$;

CREATE TABLE users (
  id bigint PRIMARY KEY DEFAULT next_id(floor(random() * 8192)::integer),
  username text NOT NULL,
  email text NOT NULL,
  password_hash text NOT NULL,
  display_name text NOT NULL DEFAULT '',
  bio text NOT NULL DEFAULT '',
  avatar_media_id bigint,
  is_private boolean NOT NULL DEFAULT false,
  post_count integer NOT NULL DEFAULT 0 CHECK (post_count >= 0),
  follower_count integer NOT NULL DEFAULT 0 CHECK (follower_count >= 0),
  following_count integer NOT NULL DEFAULT 0 CHECK (following_count >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_username_format CHECK (username ~ '^[a-z0-9._]{1,30}$')
);
CREATE UNIQUE INDEX users_username_key ON users (username);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- Media rows exist from the start because a profile's avatar points at one; the media flow
-- fills in processing results.
CREATE TABLE media (
  id bigint PRIMARY KEY,
  owner_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('uploading', 'processing', 'ready', 'failed')),
  content_type text NOT NULL,
  size_bytes bigint NOT NULL CHECK (size_bytes > 0),
  width integer,
  height integer,
  blurhash text,
  dominant_color text,
  error_code text,
  error_message text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_owner ON media (owner_id, id);

ALTER TABLE users ADD CONSTRAINT users_avatar_fk
  FOREIGN KEY (avatar_media_id) REFERENCES media (id) ON DELETE SET NULL;

-- A session is one login on one device; its refresh tokens rotate, and presenting a spent one
-- revokes the whole session (the family).
CREATE TABLE sessions (
  id bigint PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  refreshed_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_reason text,
  user_agent text,
  ip text
);
CREATE INDEX sessions_live_by_user ON sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE refresh_tokens (
  token_hash bytea PRIMARY KEY,
  session_id bigint NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  user_id bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

-- Transactional outbox: a write that other parts of the system must hear about inserts its
-- event here in the same transaction. A relay claims rows, publishes them, then marks them.
CREATE TABLE outbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic text NOT NULL,
  aggregate_id bigint NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  claimed_until timestamptz,
  published_at timestamptz
);
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;

-- The embedded shape's durable job queue (the service shape uses RabbitMQ instead).
-- One row per (queue, message); finished jobs are deleted, dead ones keep their reason.
CREATE TABLE queue_jobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  queue text NOT NULL,
  message_id text NOT NULL,
  topic text NOT NULL,
  payload jsonb NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  run_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  last_error text,
  dead_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT queue_jobs_dedupe UNIQUE (queue, message_id)
);
CREATE INDEX queue_jobs_ready ON queue_jobs (queue, run_at, id) WHERE dead_at IS NULL;
CREATE INDEX queue_jobs_dead ON queue_jobs (queue) WHERE dead_at IS NOT NULL;

-- Discovery: search, hashtag pages, explore and trending hashtags. Every query of
-- src/search/ has an index here; test/api/explain.test.ts checks the plans at 100k rows.

-- Trigrams: prefix and fuzzy matching of names (PGlite loads the extension itself).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- User search: LIKE 'q%', ILIKE 'q%', similarity (%) and word similarity (<%) on both names.
-- Usernames are lower-case by constraint, so the plain column serves case-insensitive search.
CREATE INDEX users_username_trgm ON users USING gin (username gin_trgm_ops);
CREATE INDEX users_display_name_trgm ON users USING gin (display_name gin_trgm_ops);

-- Hashtag search is a prefix match: text_pattern_ops makes LIKE 'q%' a btree range scan
-- whatever the database's collation.
CREATE INDEX hashtags_name_prefix ON hashtags (name text_pattern_ops) WHERE post_count > 0;

-- Caption search over what can ever be shown: published, not deleted. 'simple' neither stems
-- nor drops stop words, so it works the same for every language (search/search.repo.ts).
CREATE INDEX posts_caption_search ON posts USING gin (to_tsvector('simple', caption))
  WHERE status = 'published' AND deleted_at IS NULL;

-- Explore and trending read the recently published posts only.
CREATE INDEX posts_recently_published ON posts (published_at)
  WHERE status = 'published' AND deleted_at IS NULL;

-- Explore: each recompute writes a new generation of ranked posts; readers page through the
-- generation their first page came from, so a recompute never reshuffles a walk in progress.
CREATE TABLE explore_generations (
  generation bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  computed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE explore_ranking (
  generation bigint NOT NULL REFERENCES explore_generations (generation) ON DELETE CASCADE,
  rank integer NOT NULL,
  post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  score double precision NOT NULL,
  PRIMARY KEY (generation, rank)
);
-- Deleting a post cascades here: without it every delete would scan the ranking.
CREATE INDEX explore_ranking_by_post ON explore_ranking (post_id);

-- Trending hashtags, replaced as a whole by each recompute (no paging, so no generations).
CREATE TABLE trending_hashtags (
  rank integer PRIMARY KEY,
  hashtag_id bigint NOT NULL REFERENCES hashtags (id) ON DELETE CASCADE,
  -- Public posts carrying the tag inside the window.
  window_count integer NOT NULL,
  score double precision NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT now()
);

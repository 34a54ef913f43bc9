import { sql } from 'kysely';
import type { Executor } from '../db/executor.js';
import { visibleTo } from '../graph/visibility.sql.js';

/**
 * The search and hashtag queries, as builders: the repository runs them, and
 * test/api/explain.test.ts compiles the very same builders to check their plans at 100k rows.
 * Every list filters in SQL (visibility.sql.ts), so a page is never thinned afterwards.
 */

/** `LIKE` treats `%`, `_` and `\` as syntax; a search for "a_b" means those three characters. */
export function likePrefix(term: string): string {
  return `${term.replace(/[\\%_]/g, '\\$&')}%`;
}

/**
 * Match quality of a user for a term: 0 exact (username or display name), 1 prefix of either,
 * 2 fuzzy. Fuzzy matches are ordered by similarity in tenths (`bucket`), so that between two
 * near-equal matches the better-followed account wins; exact and prefix matches have bucket 10
 * and are ordered by followers alone.
 */
export interface UserKey {
  readonly tier: number;
  readonly bucket: number;
  readonly followers: number;
  readonly id: string;
}

/**
 * Accounts matching `term` (already lower-case): prefix of the username or display name, or
 * trigram-similar to either (whole string `%`, or a word of it `<%`), every branch served by
 * the trigram indexes of migration 0009. Accounts with a block either way are left out.
 */
export function userSearchQuery(options: {
  term: string;
  viewer: string | null;
  after?: UserKey;
  limit: number;
}) {
  const { term, viewer, after, limit } = options;
  const prefix = likePrefix(term);
  const visible = visibleTo('profile', { owner: sql.ref('u.id'), viewer });
  const keyset = after
    ? sql`WHERE (m.tier, -m.bucket, -m.follower_count, m.id) > (${after.tier}::int, ${-after.bucket}::int, ${-after.followers}::int, ${after.id}::bigint)`
    : sql``;
  return sql<{ id: string; tier: number; bucket: number; follower_count: number }>`
    SELECT m.id, m.tier, m.bucket, m.follower_count FROM (
      SELECT c.id, c.follower_count, c.tier,
             CASE WHEN c.tier < 2 THEN 10 ELSE floor(10 * c.similarity)::int END AS bucket
        FROM (
          SELECT u.id, u.follower_count,
                 CASE WHEN u.username = ${term} OR lower(u.display_name) = ${term} THEN 0
                      WHEN u.username LIKE ${prefix} OR u.display_name ILIKE ${prefix} THEN 1
                      ELSE 2 END AS tier,
                 greatest(similarity(u.username, ${term}), similarity(u.display_name, ${term}),
                          word_similarity(${term}, u.username), word_similarity(${term}, u.display_name)) AS similarity
            FROM users u
           WHERE (u.username LIKE ${prefix} OR u.display_name ILIKE ${prefix}
                  OR u.username % ${term} OR u.display_name % ${term}
                  OR ${term} <% u.username OR ${term} <% u.display_name)
             AND ${visible}
        ) c
    ) m
    ${keyset}
    ORDER BY m.tier, m.bucket DESC, m.follower_count DESC, m.id
    LIMIT ${limit + 1}`;
}

export interface HashtagKey {
  /** 0 for the tag that is exactly the term, 1 for the others. */
  readonly tier: number;
  readonly count: number;
  readonly name: string;
}

/** Tags with published posts starting with `term`: the exact tag first, then the most used. */
export function hashtagSearchQuery(options: { term: string; after?: HashtagKey; limit: number }) {
  const { term, after, limit } = options;
  const keyset = after
    ? sql`AND (CASE WHEN h.name = ${term} THEN 0 ELSE 1 END, -h.post_count, h.name) > (${after.tier}::int, ${-after.count}::int, ${after.name}::text)`
    : sql``;
  return sql<{ name: string; post_count: number; tier: number }>`
    SELECT h.name, h.post_count, CASE WHEN h.name = ${term} THEN 0 ELSE 1 END AS tier
      FROM hashtags h
     WHERE h.name LIKE ${likePrefix(term)} AND h.post_count > 0
       ${keyset}
     ORDER BY tier, h.post_count DESC, h.name
     LIMIT ${limit + 1}`;
}

/**
 * Published posts whose caption matches `tsquery` (to_tsquery syntax, built from plain words by
 * the service) and that the viewer may see, newest first. The condition repeats the partial
 * GIN index's expression and predicate word for word, which is what lets PostgreSQL use it.
 */
export function postSearchQuery(
  db: Executor,
  options: { tsquery: string; viewer: string | null; before?: string; limit: number },
) {
  const { tsquery, viewer, before, limit } = options;
  let query = db
    .selectFrom('posts as p')
    .innerJoin('users as u', 'u.id', 'p.author_id')
    .select('p.id')
    .where(sql<boolean>`to_tsvector('simple', p.caption) @@ to_tsquery('simple', ${tsquery})`)
    .where('p.status', '=', 'published')
    .where('p.deleted_at', 'is', null)
    .where(
      visibleTo('content', { owner: sql.ref('p.author_id'), ownerPrivate: sql.ref('u.is_private'), viewer }),
    );
  if (before) query = query.where('p.id', '<', before);
  return query.orderBy('p.id', 'desc').limit(limit + 1);
}

/** Published posts carrying the tag that the viewer may see, newest first. */
export function hashtagPostsQuery(
  db: Executor,
  options: { name: string; viewer: string | null; before?: string; limit: number },
) {
  const { name, viewer, before, limit } = options;
  let query = db
    .selectFrom('post_hashtags as ph')
    .innerJoin('posts as p', 'p.id', 'ph.post_id')
    .innerJoin('users as u', 'u.id', 'p.author_id')
    .select('p.id')
    // The tag's id as a scalar: joined by name, the planner guessed a popular tag's rows from
    // the average tag, then joined and sorted all of them (59 ms) instead of walking the
    // (hashtag_id, post_id DESC) index from the top (0.2 ms).
    .where('ph.hashtag_id', '=', (eb) => eb.selectFrom('hashtags').select('id').where('name', '=', name))
    .where('p.status', '=', 'published')
    .where('p.deleted_at', 'is', null)
    .where(
      visibleTo('content', { owner: sql.ref('p.author_id'), ownerPrivate: sql.ref('u.is_private'), viewer }),
    );
  if (before) query = query.where('ph.post_id', '<', before);
  return query.orderBy('ph.post_id', 'desc').limit(limit + 1);
}

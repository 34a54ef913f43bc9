import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Executor } from '../db/executor.js';
import { prepared } from '../db/prepared.js';
import type { FeedMode } from '../db/schema.js';
import { visibleTo } from '../graph/visibility.sql.js';
import { POST_COLUMNS, type PostRow } from '../posts/posts.repo.js';
import { TOUCH_EVERY_MS } from './fanout.js';

/**
 * The feed's SQL. What belongs in a viewer's feed is decided here, once, for every path
 * (timeline reads, rebuilds, database pages): a published, undeleted post by the viewer, or by
 * an account the viewer follows (approved) and does not mute, that the policy lets them see.
 */
function inFeedOf(viewer: string) {
  // The follow is a scalar probe of its primary key: as EXISTS, the planner may look for the
  // viewer among all of a celebrity author's followers instead.
  return sql<SqlBool>`(p.author_id = ${viewer}::bigint OR (
      (SELECT f.state FROM follows f WHERE f.follower_id = ${viewer}::bigint AND f.followee_id = p.author_id) = 'accepted'
      AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.muter_id = ${viewer}::bigint AND m.muted_id = p.author_id)
    )) AND ${visibleTo('content', { owner: sql.ref('p.author_id'), ownerPrivate: sql.ref('a.is_private'), viewer })}`;
}

const postColumns = POST_COLUMNS.map((c) => sql.ref(`p.${c}`));

export interface ReaderState {
  /** Never read, or idle past FEED_ACTIVE_DAYS: the timeline may lack posts fan-out skipped. */
  readonly stale: boolean;
  /** Followees (approved) whose posts readers pull from their own lists. */
  readonly pulled: string[];
}

/**
 * Marks the viewer active (at most hourly) and reads what a feed read needs, in one statement
 * that commits before the caller rebuilds anything: a fan-out that starts after it counts the
 * viewer active, one that started before ran on posts the rebuild's query will see.
 */
export async function readerState(db: Executor, viewer: string, activeDays: number): Promise<ReaderState> {
  const { rows } = await readerStateQuery(viewer, activeDays).execute(db);
  return rows[0] ?? { stale: true, pulled: [] };
}

/** readerState's statement (explain.test.ts checks its plan). */
export function readerStateQuery(viewer: string, activeDays: number) {
  return prepared(sql<{ stale: boolean; pulled: string[] }>`
    WITH prev AS (SELECT feed_read_at FROM users WHERE id = ${viewer}::bigint),
    touched AS (
      UPDATE users SET feed_read_at = now()
       WHERE id = ${viewer}::bigint
         AND (feed_read_at IS NULL OR feed_read_at < now() - make_interval(secs => ${TOUCH_EVERY_MS / 1000}))
      RETURNING id)
    -- touched runs whether or not it is read (PostgreSQL runs data-modifying WITHs to completion).
    -- pulled: a set operation reads each side once (the reader's follows; users_not_push, a few
    -- entries). As a join the planner may loop over the pulled authors and look for the reader
    -- among each one's followers, who are many by definition.
    SELECT COALESCE((SELECT feed_read_at IS NULL OR feed_read_at < now() - make_interval(days => ${activeDays}) FROM prev), true) AS stale,
           ARRAY(SELECT f.followee_id FROM follows f WHERE f.follower_id = ${viewer}::bigint AND f.state = 'accepted'
                 INTERSECT
                 SELECT u.id FROM users u WHERE u.feed_mode <> 'push')::text[] AS pulled`);
}

/**
 * The newest `limit` of the candidates that the viewer may see, as rows: a source for
 * PostHydrator.select, which reads and hydrates them in one statement.
 */
export function feedRows(viewer: string, ids: readonly string[], limit: number): RawBuilder<PostRow> {
  return sql<PostRow>`
    SELECT ${sql.join(postColumns)} FROM posts p JOIN users a ON a.id = p.author_id
     WHERE p.id = ANY(${ids}::bigint[]) AND p.status = 'published' AND p.deleted_at IS NULL
       AND ${inFeedOf(viewer)}
     ORDER BY p.id DESC LIMIT ${limit}`;
}

/**
 * Fan-out on read: the viewer's feed straight from the posts table, newest first, as a source
 * for PostHydrator.select. Serves pages while a timeline is missing or Redis is down.
 */
export function feedFromPosts(
  viewer: string,
  options: { before?: string; limit: number },
): RawBuilder<PostRow> {
  return sql<PostRow>`
    SELECT ${sql.join(postColumns)} FROM posts p JOIN users a ON a.id = p.author_id
     WHERE p.author_id IN (
             SELECT ${viewer}::bigint
             UNION ALL
             SELECT followee_id FROM follows WHERE follower_id = ${viewer}::bigint AND state = 'accepted')
       AND p.status = 'published' AND p.deleted_at IS NULL
       AND (${options.before ?? null}::bigint IS NULL OR p.id < ${options.before ?? null}::bigint)
       AND ${inFeedOf(viewer)}
     ORDER BY p.id DESC LIMIT ${options.limit}`;
}

/** The ids a rebuilt timeline holds: as feedFromPosts, minus authors readers pull anyway. */
export async function timelineIds(db: Executor, viewer: string, cap: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    SELECT p.id FROM posts p JOIN users a ON a.id = p.author_id
     WHERE p.author_id IN (
             SELECT ${viewer}::bigint
             UNION ALL
             SELECT followee_id FROM follows WHERE follower_id = ${viewer}::bigint AND state = 'accepted')
       AND p.status = 'published' AND p.deleted_at IS NULL
       AND (a.feed_mode <> 'pull' OR a.id = ${viewer}::bigint)
       AND ${inFeedOf(viewer)}
     ORDER BY p.id DESC LIMIT ${cap}`.execute(db);
  return rows.map((r) => r.id);
}

/** An author's newest published posts (the author's own list, backfills, demotion). */
export async function recentPostIds(db: Executor, authorId: string, limit: number): Promise<string[]> {
  if (limit <= 0) return [];
  const rows = await db
    .selectFrom('posts')
    .select('id')
    .where('author_id', '=', authorId)
    .where('status', '=', 'published')
    .where('deleted_at', 'is', null)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

export interface FanoutSubject {
  readonly authorId: string;
  readonly live: boolean;
  readonly publishedAt: Date | null;
  readonly mode: FeedMode;
  readonly followers: number;
}

export async function fanoutSubject(db: Executor, postId: string): Promise<FanoutSubject | null> {
  const row = await db
    .selectFrom('posts as p')
    .innerJoin('users as a', 'a.id', 'p.author_id')
    .select(['p.author_id', 'p.status', 'p.deleted_at', 'p.published_at', 'a.feed_mode', 'a.follower_count'])
    .where('p.id', '=', postId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    authorId: row.author_id,
    live: row.status === 'published' && row.deleted_at === null,
    publishedAt: row.published_at,
    mode: row.feed_mode,
    followers: row.follower_count,
  };
}

export async function authorMode(db: Executor, authorId: string): Promise<FeedMode | null> {
  const row = await db.selectFrom('users').select('feed_mode').where('id', '=', authorId).executeTakeFirst();
  return row?.feed_mode ?? null;
}

/** Compare-and-set of an author's mode: false when another worker moved it first. */
export async function switchMode(
  db: Executor,
  authorId: string,
  from: FeedMode,
  to: FeedMode,
): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ feed_mode: to })
    .where('id', '=', authorId)
    .where('feed_mode', '=', from)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * One keyset page of an author's approved followers, newest follow first. With `activeDays`,
 * followers idle for longer are left out (their next read rebuilds their timeline).
 */
export async function followersPage(
  db: Executor,
  authorId: string,
  options: { after?: string; limit: number; activeDays?: number },
): Promise<{ ids: string[]; next: string | null }> {
  const { rows } = await sql<{ follower_id: string; id: string }>`
    SELECT f.follower_id, f.id FROM follows f
      ${options.activeDays === undefined ? sql`` : sql`JOIN users u ON u.id = f.follower_id AND u.feed_read_at >= now() - make_interval(days => ${options.activeDays})`}
     WHERE f.followee_id = ${authorId}::bigint AND f.state = 'accepted'
       AND (${options.after ?? null}::bigint IS NULL OR f.id < ${options.after ?? null}::bigint)
     ORDER BY f.id DESC LIMIT ${options.limit}`.execute(db);
  return { ids: rows.map((r) => r.follower_id), next: rows.length < options.limit ? null : rows.at(-1)!.id };
}

/** Whether the author's posts belong in the viewer's feed right now (follow, no mute, no block). */
export async function belongsInFeed(db: Executor, viewer: string, authorId: string): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`
    SELECT ${inFeedOf(viewer)} AS ok FROM (SELECT ${authorId}::bigint AS author_id) p
      JOIN users a ON a.id = p.author_id`.execute(db);
  return rows[0]?.ok ?? false;
}

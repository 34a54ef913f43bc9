import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Executor } from '../db/executor.js';
import { visibleTo } from '../graph/visibility.sql.js';

/**
 * Likes, comments and saves. Every edge write moves its post's counter in the caller's
 * transaction, and only when a row was really inserted or deleted, so the counter always
 * equals the number of rows however requests interleave (PostgreSQL's row locks order them).
 */

export interface CommentRow {
  id: string;
  post_id: string;
  author_id: string;
  body: string;
  created_at: Date;
}

/**
 * `p` (a post) joined with `pu` (its author) is a live published post the viewer may see.
 * The same rule as postVisible() for published posts; unpublished ones have no engagement.
 */
function postVisibleSql(viewer: string | null): RawBuilder<SqlBool> {
  return sql<SqlBool>`p.deleted_at IS NULL AND p.status = 'published' AND ${visibleTo('content', {
    owner: sql.ref('p.author_id'),
    ownerPrivate: sql.ref('pu.is_private'),
    viewer,
  })}`;
}

/** A comment's author is left out across a block either way (API.md: blocks hide comments). */
const authorVisibleSql = (viewer: string | null) =>
  visibleTo('profile', { owner: sql.ref('c.author_id'), viewer });

// --- likes -------------------------------------------------------------------------------

/** Likes the post once; returns whether this call made the like, and the count after it. */
export async function insertLike(
  db: Executor,
  postId: string,
  userId: string,
): Promise<{ created: boolean; likeCount: number }> {
  const inserted = await db
    .insertInto('likes')
    .values({ post_id: postId, user_id: userId, id: sql<string>`next_id(shard_of(${postId}::bigint))` })
    .onConflict((oc) => oc.columns(['post_id', 'user_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return { created: inserted !== undefined, likeCount: await bumpLikes(db, postId, inserted ? 1 : 0) };
}

/** Takes the like back if there is one; returns whether this call removed it, and the count after. */
export async function deleteLike(
  db: Executor,
  postId: string,
  userId: string,
): Promise<{ removed: boolean; likeCount: number }> {
  const removed = await db
    .deleteFrom('likes')
    .where('post_id', '=', postId)
    .where('user_id', '=', userId)
    .returning('id')
    .executeTakeFirst();
  return { removed: removed !== undefined, likeCount: await bumpLikes(db, postId, removed ? -1 : 0) };
}

/** A repeated like or unlike writes nothing: the post row is only locked when the count moves. */
async function bumpLikes(db: Executor, postId: string, delta: -1 | 0 | 1): Promise<number> {
  const row =
    delta === 0
      ? await db.selectFrom('posts').select('like_count').where('id', '=', postId).executeTakeFirst()
      : await db
          .updateTable('posts')
          .set((eb) => ({ like_count: eb('like_count', '+', delta) }))
          .where('id', '=', postId)
          .returning('like_count')
          .executeTakeFirst();
  return row?.like_count ?? 0;
}

/** One page of a post's likers, newest like first, without users a block separates from the viewer. */
export async function likerPage(
  db: Executor,
  options: LikerPageOptions,
): Promise<{ userId: string; likeId: string }[]> {
  return likerPageQuery(db, options).execute();
}

type LikerPageOptions = { postId: string; viewer: string | null; after?: string; limit: number };

/** The builder of likerPage (explain.test.ts EXPLAINs it at scale). */
export function likerPageQuery(db: Executor, options: LikerPageOptions) {
  let query = db
    .selectFrom('likes')
    .select(['user_id as userId', 'id as likeId'])
    .where('post_id', '=', options.postId)
    .where(visibleTo('profile', { owner: sql.ref('likes.user_id'), viewer: options.viewer }));
  if (options.after) query = query.where('id', '<', options.after);
  return query.orderBy('id', 'desc').limit(options.limit + 1);
}

// --- comments ----------------------------------------------------------------------------

export async function insertComment(
  db: Executor,
  comment: { postId: string; authorId: string; body: string },
): Promise<CommentRow> {
  const row = await db
    .insertInto('comments')
    .values({
      id: sql<string>`next_id(shard_of(${comment.postId}::bigint))`,
      post_id: comment.postId,
      author_id: comment.authorId,
      body: comment.body,
    })
    .returning(['id', 'post_id', 'author_id', 'body', 'created_at'])
    .executeTakeFirstOrThrow();
  await bumpComments(db, comment.postId, 1);
  return row;
}

/** Deletes the comment; returns whether this call removed it. */
export async function deleteComment(db: Executor, commentId: string): Promise<boolean> {
  const removed = await db
    .deleteFrom('comments')
    .where('id', '=', commentId)
    .returning('post_id')
    .executeTakeFirst();
  if (removed) await bumpComments(db, removed.post_id, -1);
  return removed !== undefined;
}

async function bumpComments(db: Executor, postId: string, delta: -1 | 1): Promise<void> {
  await db
    .updateTable('posts')
    .set((eb) => ({ comment_count: eb('comment_count', '+', delta) }))
    .where('id', '=', postId)
    .execute();
}

/** A comment with what deciding access to it needs: its post's author and state. */
export async function findCommentForAccess(db: Executor, commentId: string) {
  return db
    .selectFrom('comments as c')
    .innerJoin('posts as p', 'p.id', 'c.post_id')
    .select(['c.id', 'c.post_id', 'c.author_id', 'p.author_id as post_author_id', 'p.status', 'p.deleted_at'])
    .where('c.id', '=', commentId)
    .executeTakeFirst();
}

/** The comments among `ids` the viewer may see (their post, and no block with their author). */
export async function commentsByIds(
  db: Executor,
  viewer: string | null,
  ids: readonly string[],
): Promise<CommentRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql<CommentRow>`
    SELECT c.id, c.post_id, c.author_id, c.body, c.created_at
      FROM comments c
      JOIN posts p ON p.id = c.post_id
      JOIN users pu ON pu.id = p.author_id
     WHERE c.id = ANY(${ids}::bigint[])
       AND ${postVisibleSql(viewer)}
       AND ${authorVisibleSql(viewer)}
     ORDER BY c.id`.execute(db);
  return rows;
}

/**
 * One page of a post's comments, oldest first. Comments by users a block separates from the
 * viewer are filtered here, so pages stay full and cursors stay exact.
 */
export async function commentPage(db: Executor, options: CommentPageOptions): Promise<CommentRow[]> {
  return commentPageQuery(db, options).execute();
}

type CommentPageOptions = { postId: string; viewer: string | null; after?: string; limit: number };

/** The builder of commentPage (explain.test.ts EXPLAINs it at scale). */
export function commentPageQuery(db: Executor, options: CommentPageOptions) {
  let query = db
    .selectFrom('comments as c')
    .select(['c.id', 'c.post_id', 'c.author_id', 'c.body', 'c.created_at'])
    .where('c.post_id', '=', options.postId)
    .where(authorVisibleSql(options.viewer));
  if (options.after) query = query.where('c.id', '>', options.after);
  return query.orderBy('c.id', 'asc').limit(options.limit + 1);
}

// --- saves -------------------------------------------------------------------------------

export async function insertSave(db: Executor, userId: string, postId: string): Promise<void> {
  await db
    .insertInto('saves')
    .values({ user_id: userId, post_id: postId, id: sql<string>`next_id(shard_of(${userId}::bigint))` })
    .onConflict((oc) => oc.columns(['user_id', 'post_id']).doNothing())
    .execute();
}

export async function deleteSave(db: Executor, userId: string, postId: string): Promise<void> {
  await db.deleteFrom('saves').where('user_id', '=', userId).where('post_id', '=', postId).execute();
}

/**
 * One page of the user's saved posts, newest save first. Posts that were deleted or that the
 * user may no longer see are filtered here, so they drop out without shortening pages.
 */
export async function savedPage(
  db: Executor,
  options: SavedPageOptions,
): Promise<{ postId: string; saveId: string }[]> {
  return (await savedPageQuery(options).execute(db)).rows;
}

type SavedPageOptions = { userId: string; after?: string; limit: number };

/** The statement of savedPage (explain.test.ts EXPLAINs it at scale). */
export function savedPageQuery(options: SavedPageOptions) {
  return sql<{ postId: string; saveId: string }>`
    SELECT s.post_id AS "postId", s.id AS "saveId"
      FROM saves s
      JOIN posts p ON p.id = s.post_id
      JOIN users pu ON pu.id = p.author_id
     WHERE s.user_id = ${options.userId}::bigint
       ${options.after ? sql`AND s.id < ${options.after}::bigint` : sql``}
       AND ${postVisibleSql(options.userId)}
     ORDER BY s.id DESC
     LIMIT ${options.limit + 1}`;
}

import { sql } from 'kysely';
import type { Executor } from '../db/executor.js';

export interface PostRow {
  id: string;
  author_id: string;
  caption: string;
  location: string | null;
  status: 'processing' | 'published' | 'failed';
  error_code: string | null;
  like_count: number;
  comment_count: number;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
}

export const POST_COLUMNS = [
  'id',
  'author_id',
  'caption',
  'location',
  'status',
  'error_code',
  'like_count',
  'comment_count',
  'created_at',
  'edited_at',
  'deleted_at',
] as const;

export async function findPosts(db: Executor, ids: readonly string[]): Promise<PostRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('posts')
    .select(POST_COLUMNS)
    .where('id', 'in', [...new Set(ids)])
    .execute();
}

/** The post id takes its author's shard: posts live with their author's rows. */
export async function insertPost(
  db: Executor,
  post: { authorId: string; caption: string; location: string | null; status: 'processing' | 'published' },
): Promise<string> {
  const { id } = await db
    .insertInto('posts')
    .values({
      id: sql<string>`next_id(shard_of(${post.authorId}::bigint))`,
      author_id: post.authorId,
      caption: post.caption,
      location: post.location,
      status: post.status,
      published_at: post.status === 'published' ? sql<Date>`now()` : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function insertPostMedia(
  db: Executor,
  postId: string,
  items: readonly { mediaId: string; altText: string | null }[],
): Promise<void> {
  await db
    .insertInto('post_media')
    .values(
      items.map((item, position) => ({
        post_id: postId,
        position,
        media_id: item.mediaId,
        alt_text: item.altText,
      })),
    )
    .execute();
}

/** Replaces the post's hashtags (creating new tags); returns their ids. */
export async function setHashtags(db: Executor, postId: string, names: readonly string[]): Promise<string[]> {
  await db.deleteFrom('post_hashtags').where('post_id', '=', postId).execute();
  if (names.length === 0) return [];
  // DO UPDATE (a no-op) rather than DO NOTHING, so RETURNING also gives the existing tags' ids.
  const tags = await db
    .insertInto('hashtags')
    .values(names.map((name) => ({ name })))
    .onConflict((oc) => oc.column('name').doUpdateSet({ name: (eb) => eb.ref('excluded.name') }))
    .returning('id')
    .execute();
  await db
    .insertInto('post_hashtags')
    .values(tags.map((t) => ({ post_id: postId, hashtag_id: t.id })))
    .execute();
  return tags.map((t) => t.id);
}

/** Replaces the post's mentions with the usernames that exist; returns those. */
export async function setMentions(
  db: Executor,
  postId: string,
  usernames: readonly string[],
): Promise<string[]> {
  await db.deleteFrom('post_mentions').where('post_id', '=', postId).execute();
  if (usernames.length === 0) return [];
  const users = await db
    .selectFrom('users')
    .select(['id', 'username'])
    .where('username', 'in', [...usernames])
    .execute();
  if (users.length > 0) {
    await db
      .insertInto('post_mentions')
      .values(users.map((u) => ({ post_id: postId, user_id: u.id })))
      .execute();
  }
  return users.map((u) => u.username);
}

/** Published posts count towards their author and their hashtags; call with +1 / -1 as that changes. */
export async function adjustPublishedCounts(
  db: Executor,
  posts: readonly { id: string; author_id: string }[],
  delta: 1 | -1,
) {
  if (posts.length === 0) return;
  const perAuthor = new Map<string, number>();
  for (const p of posts) perAuthor.set(p.author_id, (perAuthor.get(p.author_id) ?? 0) + delta);
  await sql`
    UPDATE users SET post_count = post_count + d.delta
    FROM (SELECT unnest(${[...perAuthor.keys()]}::bigint[]) AS id, unnest(${[...perAuthor.values()]}::int[]) AS delta) d
    WHERE users.id = d.id`.execute(db);
  await adjustHashtagCounts(
    db,
    posts.map((p) => p.id),
    delta,
  );
}

/** Moves the post counts of the hashtags the given posts carry right now. */
export async function adjustHashtagCounts(db: Executor, postIds: readonly string[], delta: 1 | -1) {
  if (postIds.length === 0) return;
  await sql`
    UPDATE hashtags SET post_count = hashtags.post_count + d.delta
    FROM (SELECT ph.hashtag_id AS id, count(*)::int * ${delta}::int AS delta
            FROM post_hashtags ph WHERE ph.post_id = ANY(${postIds}::bigint[])
           GROUP BY ph.hashtag_id) d
    WHERE hashtags.id = d.id`.execute(db);
}

/** Newest first; the author also sees their processing and failed posts. */
export async function authorPostIds(
  db: Executor,
  options: { authorId: string; includeUnpublished: boolean; after?: string; limit: number },
): Promise<string[]> {
  let query = db
    .selectFrom('posts')
    .select('id')
    .where('author_id', '=', options.authorId)
    .where('deleted_at', 'is', null);
  if (!options.includeUnpublished) query = query.where('status', '=', 'published');
  if (options.after) query = query.where('id', '<', options.after);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(options.limit + 1)
    .execute();
  return rows.map((r) => r.id);
}

export async function updatePostText(
  db: Executor,
  postId: string,
  patch: { caption?: string; location?: string | null },
): Promise<void> {
  await db
    .updateTable('posts')
    .set({ ...patch, edited_at: sql<Date>`now()` })
    .where('id', '=', postId)
    .execute();
}

/** Hides the post from every read at once; returns its state before, or null if already gone. */
export async function softDelete(
  db: Executor,
  postId: string,
): Promise<{ status: PostRow['status']; author_id: string } | null> {
  const row = await db
    .updateTable('posts')
    .set({ deleted_at: sql<Date>`now()` })
    .where('id', '=', postId)
    .where('deleted_at', 'is', null)
    .returning(['status', 'author_id'])
    .executeTakeFirst();
  return row ?? null;
}

/** Publishes every processing post whose media are now all ready, in one statement. */
export async function publishReadyPosts(db: Executor, mediaId: string) {
  const { rows } = await sql<{ id: string; author_id: string }>`
    UPDATE posts p SET status = 'published', published_at = now()
     WHERE p.id IN (SELECT post_id FROM post_media WHERE media_id = ${mediaId}::bigint)
       AND p.status = 'processing' AND p.deleted_at IS NULL
       AND NOT EXISTS (
         SELECT 1 FROM post_media pm JOIN media m ON m.id = pm.media_id
          WHERE pm.post_id = p.id AND m.status <> 'ready')
    RETURNING p.id, p.author_id`.execute(db);
  return rows;
}

/** Fails every processing post waiting for this media item. */
export async function failPostsWithMedia(db: Executor, mediaId: string, code: string) {
  const { rows } = await sql<{ id: string }>`
    UPDATE posts SET status = 'failed', error_code = ${code}
     WHERE id IN (SELECT post_id FROM post_media WHERE media_id = ${mediaId}::bigint)
       AND status = 'processing' AND deleted_at IS NULL
    RETURNING id`.execute(db);
  return rows.map((r) => r.id);
}

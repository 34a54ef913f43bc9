import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Executor } from '../db/executor.js';
import type { JobHandler } from '../jobs/runner.js';
import { originalKey, renditionKey } from '../media/media.repo.js';
import { VARIANTS } from '../media/renditions.js';
import type { ObjectStore } from '../ports/object-store.js';
import * as posts from './posts.repo.js';
import { publish, type AfterPublish } from './posts.service.js';

/** `media.ready` → publish the posts whose last processing photo this was. Idempotent. */
export function publishReadyJob(db: Executor, afterPublish: AfterPublish): JobHandler<'posts.media-ready'> {
  return async ({ mediaId }) => {
    const published = await db.transaction().execute(async (trx) => {
      const rows = await posts.publishReadyPosts(trx, mediaId);
      await publish(trx, rows);
      return rows;
    });
    await afterPublish(published);
  };
}

/** `media.failed` → the posts waiting for that photo fail with its code. Idempotent. */
export function failPostsJob(db: Executor): JobHandler<'posts.media-failed'> {
  return async ({ mediaId, code }) => {
    await posts.failPostsWithMedia(db, mediaId, code);
  };
}

/**
 * `post.deleted` → remove the post's rows, then its photos: their rows and files go when no
 * other post, no avatar and no re-upload (sharing their renditions) still uses them. Rows go
 * first, in one transaction; files after it commits (a crash in between leaves files nobody
 * points at, never a pointer to a missing file).
 */
export function cleanupDeletedPostJob(deps: {
  db: Executor;
  objects: ObjectStore;
  log: Logger;
}): JobHandler<'posts.cleanup'> {
  const { db, objects, log } = deps;
  return async ({ postId }) => {
    const removed = await db.transaction().execute(async (trx) => {
      const post = await trx
        .selectFrom('posts')
        .select('deleted_at')
        .where('id', '=', postId)
        .forUpdate()
        .executeTakeFirst();
      if (!post?.deleted_at) return []; // cleaned up already, or (never) not deleted
      const media = await trx
        .selectFrom('post_media')
        .select('media_id')
        .where('post_id', '=', postId)
        .execute();
      await trx.deleteFrom('posts').where('id', '=', postId).execute();
      if (media.length === 0) return [];
      const { rows } = await sql<{ id: string; rendition_source_id: string | null }>`
        DELETE FROM media m
         WHERE m.id = ANY(${media.map((m) => m.media_id)}::bigint[])
           AND NOT EXISTS (SELECT 1 FROM post_media pm WHERE pm.media_id = m.id)
           AND NOT EXISTS (SELECT 1 FROM users u WHERE u.avatar_media_id = m.id)
           AND NOT EXISTS (SELECT 1 FROM media other WHERE other.rendition_source_id = m.id)
        RETURNING m.id, m.rendition_source_id`.execute(trx);
      return rows;
    });
    const keys = removed.flatMap((m) => [
      originalKey(m.id),
      // A re-upload only borrowed its renditions; the source's stay.
      ...(m.rendition_source_id ? [] : VARIANTS.map((v) => renditionKey(m.id, v))),
    ]);
    if (keys.length > 0) await objects.delete(keys);
    if (removed.length > 0) log.info({ postId, media: removed.length }, 'deleted post cleaned up');
  };
}

import type { CreatePostBody, Post, PostsPage, UpdatePostBody } from '@glimpse/contract';
import type { Executor, Trx } from '../db/executor.js';
import type { UserDirectory } from '../graph/user-directory.js';
import { allows, postVisible } from '../graph/visibility.js';
import { appendToOutbox } from '../jobs/outbox.js';
import { decodeCursor, paginate } from '../lib/cursor.js';
import { AppError, forbidden, invalidFields, notFound } from '../lib/errors.js';
import { MAX_HASHTAGS, MAX_MENTIONS, parseCaption } from './caption.js';
import type { PostHydrator } from './hydrate.js';
import { visiblePost } from './visible-post.js';
import * as posts from './posts.repo.js';

/**
 * Posts: create from uploaded media (published at once when every photo is ready, else when the
 * last one is: posts.worker.ts), read through the visibility policy, edit and delete by the
 * author. A post nobody may see answers 404, exactly like one that does not exist.
 */
export class PostsService {
  constructor(
    private readonly db: Executor,
    private readonly users: UserDirectory,
    private readonly hydrator: PostHydrator,
    private readonly afterPublish: AfterPublish,
  ) {}

  async create(authorId: string, body: CreatePostBody): Promise<Post> {
    const mediaIds = body.mediaIds;
    if (new Set(mediaIds).size !== mediaIds.length) {
      throw new AppError(400, 'duplicate_media', 'Each photo can appear only once in a post.', {
        fields: { mediaIds: 'has duplicates' },
      });
    }
    if (body.altTexts && body.altTexts.length !== mediaIds.length) {
      throw invalidFields({ altTexts: `must have one entry per photo (${mediaIds.length})` });
    }
    const caption = body.caption ?? '';
    const parsed = this.#parse(caption);
    const media = await this.db
      .selectFrom('media')
      .select(['id', 'owner_id', 'status', 'error_code'])
      .where('id', 'in', mediaIds)
      .execute();
    const byId = new Map(media.map((m) => [m.id, m]));
    for (const id of mediaIds) {
      const item = byId.get(id);
      if (!item) throw notFound('photo');
      if (item.owner_id !== authorId)
        throw forbidden('media_not_owned', 'You can only post photos you uploaded.');
      if (item.status === 'uploading') {
        throw new AppError(
          409,
          'media_not_uploaded',
          'A photo has not finished uploading; call complete first.',
          { mediaId: id },
        );
      }
      if (item.status === 'failed') {
        throw new AppError(409, 'media_failed', 'A photo could not be processed; remove it and try again.', {
          mediaId: id,
          code: item.error_code,
        });
      }
    }
    const ready = media.every((m) => m.status === 'ready');
    const postId = await this.db.transaction().execute(async (trx) => {
      const id = await posts.insertPost(trx, {
        authorId,
        caption,
        location: body.location || null,
        status: ready ? 'published' : 'processing',
      });
      await posts.insertPostMedia(
        trx,
        id,
        mediaIds.map((mediaId, i) => ({ mediaId, altText: body.altTexts?.[i] || null })),
      );
      await posts.setHashtags(trx, id, parsed.hashtags);
      await posts.setMentions(trx, id, parsed.mentions);
      if (ready) await publish(trx, [{ id, author_id: authorId }]);
      return id;
    });
    if (ready) await this.afterPublish([{ id: postId, author_id: authorId }]);
    return this.#one(authorId, postId);
  }

  async get(viewer: string | null, postId: string): Promise<Post> {
    const row = await this.#visible(viewer, postId);
    return (await this.hydrator.hydrate(viewer, [row]))[0]!;
  }

  async update(viewer: string, postId: string, patch: UpdatePostBody): Promise<Post> {
    const row = await this.#ownPost(viewer, postId);
    await this.db.transaction().execute(async (trx) => {
      const published = row.status === 'published';
      if (patch.caption !== undefined) {
        const parsed = this.#parse(patch.caption);
        // Hashtag counts follow the tags: take the old ones off, put the new ones on.
        if (published) await posts.adjustHashtagCounts(trx, [postId], -1);
        await posts.setHashtags(trx, postId, parsed.hashtags);
        await posts.setMentions(trx, postId, parsed.mentions);
        if (published) await posts.adjustHashtagCounts(trx, [postId], 1);
      }
      await posts.updatePostText(trx, postId, {
        ...(patch.caption !== undefined && { caption: patch.caption }),
        ...(patch.location !== undefined && { location: patch.location || null }),
      });
    });
    return this.#one(viewer, postId);
  }

  async delete(viewer: string, postId: string): Promise<void> {
    await this.#ownPost(viewer, postId);
    await this.db.transaction().execute(async (trx) => {
      const before = await posts.softDelete(trx, postId);
      if (!before) return;
      if (before.status === 'published')
        await posts.adjustPublishedCounts(trx, [{ id: postId, author_id: before.author_id }], -1);
      await appendToOutbox(trx, [
        { topic: 'post.deleted', aggregateId: postId, payload: { postId, authorId: before.author_id } },
      ]);
    });
  }

  /** A user's posts, newest first, if the viewer may see them. */
  async byAuthor(
    viewer: string | null,
    authorId: string,
    page: { limit: number; cursor?: string },
  ): Promise<PostsPage> {
    const facts = await this.users.facts(viewer, authorId);
    if (!facts || !allows('content', facts)) throw notFound('account');
    const ids = await posts.authorPostIds(this.db, {
      authorId,
      includeUnpublished: facts.isOwner,
      after: decodeCursor(page.cursor),
      limit: page.limit,
    });
    const { page: pageIds, nextCursor } = paginate(ids, page.limit, (id) => id);
    const rows = await posts.findPosts(this.db, pageIds);
    const order = new Map(pageIds.map((id, i) => [id, i]));
    rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    return { posts: await this.hydrator.hydrate(viewer, rows), nextCursor };
  }

  /** Whether the viewer can see some post showing this media item (media is only posted by its owner). */
  async mediaVisibleTo(viewer: string | null, mediaId: string): Promise<boolean> {
    const rows = await this.db
      .selectFrom('post_media')
      .innerJoin('posts', 'posts.id', 'post_media.post_id')
      .select(['posts.author_id', 'posts.status'])
      .where('post_media.media_id', '=', mediaId)
      .where('posts.deleted_at', 'is', null)
      .execute();
    if (rows.length === 0) return false;
    const facts = await this.users.facts(viewer, rows[0]!.author_id);
    return facts !== null && rows.some((r) => postVisible({ status: r.status, deleted: false }, facts));
  }

  #parse(caption: string) {
    const parsed = parseCaption(caption);
    if (parsed.hashtags.length > MAX_HASHTAGS)
      throw invalidFields({ caption: `can have at most ${MAX_HASHTAGS} hashtags` });
    if (parsed.mentions.length > MAX_MENTIONS)
      throw invalidFields({ caption: `can mention at most ${MAX_MENTIONS} accounts` });
    return parsed;
  }

  async #one(viewer: string, postId: string): Promise<Post> {
    const rows = await posts.findPosts(this.db, [postId]);
    return (await this.hydrator.hydrate(viewer, rows))[0]!;
  }

  #visible(viewer: string | null, postId: string): Promise<posts.PostRow> {
    return visiblePost(this.db, this.users, viewer, postId);
  }

  /** The viewer's own post: someone else's visible post is 403, an invisible one 404. */
  async #ownPost(viewer: string, postId: string): Promise<posts.PostRow> {
    const row = await this.#visible(viewer, postId);
    if (row.author_id !== viewer)
      throw forbidden('not_author', 'Only the author can change or delete this post.');
    return row;
  }
}

/**
 * Runs once a publishing transaction has committed: puts the posts in their authors' own
 * timelines (read-your-writes). Best effort: the fan-out job does it again, and a missing
 * timeline is rebuilt from the database.
 */
export type AfterPublish = (posts: readonly { id: string; author_id: string }[]) => Promise<void>;

/** A post goes public: counters move and the feed hears about it, in the caller's transaction. */
export async function publish(
  trx: Trx,
  published: readonly { id: string; author_id: string }[],
): Promise<void> {
  await posts.adjustPublishedCounts(trx, published, 1);
  await appendToOutbox(
    trx,
    published.map((p) => ({
      topic: 'post.published' as const,
      aggregateId: p.id,
      payload: { postId: p.id, authorId: p.author_id },
    })),
  );
}

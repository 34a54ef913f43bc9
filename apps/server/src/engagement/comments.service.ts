import type { Comment, CommentsPage } from '@glimpse/contract';
import type { Executor } from '../db/executor.js';
import type { UserDirectory } from '../graph/user-directory.js';
import { allows, postVisible } from '../graph/visibility.js';
import { appendToOutbox } from '../jobs/outbox.js';
import { decodeCursor, paginate } from '../lib/cursor.js';
import { forbidden, invalidFields, notFound } from '../lib/errors.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import { MAX_MENTIONS, parseCaption } from '../posts/caption.js';
import { visiblePost } from '../posts/visible-post.js';
import { engageablePost, gone } from './access.js';
import type { CommentReader } from './comment-view.js';
import * as repo from './engagement.repo.js';
import { perMinute, spend } from './limits.js';

/**
 * Comments: written on posts the viewer may see, listed oldest first, deleted by their author
 * or the post's author. `comment.created` is written with the row; its consumers parse the
 * body's @mentions again (they need the current accounts, not the ones at write time).
 */
export class CommentsService {
  constructor(
    private readonly db: Executor,
    private readonly users: UserDirectory,
    private readonly reader: CommentReader,
    private readonly limiter: RateLimiter,
    private readonly commentsPerMinute: number,
  ) {}

  async create(viewer: string, postId: string, body: string): Promise<Comment> {
    // Bad input is refused before it spends any of the budget.
    if (parseCaption(body).mentions.length > MAX_MENTIONS)
      throw invalidFields({ body: `can mention at most ${MAX_MENTIONS} accounts` });
    await spend(this.limiter, `comments:${viewer}`, perMinute(this.commentsPerMinute));
    await engageablePost(this.db, this.users, viewer, postId);
    const row = await this.db
      .transaction()
      .execute(async (trx) => {
        const inserted = await repo.insertComment(trx, { postId, authorId: viewer, body });
        await appendToOutbox(trx, [
          {
            topic: 'comment.created',
            aggregateId: postId,
            payload: { commentId: inserted.id, postId, authorId: viewer },
          },
        ]);
        return inserted;
      })
      .catch(gone);
    const [comment] = await this.reader.fromRows(viewer, [row]);
    return comment!;
  }

  /** Oldest first; comments by users a block separates from the viewer are left out. */
  async list(
    viewer: string | null,
    postId: string,
    page: { limit: number; cursor?: string },
  ): Promise<CommentsPage> {
    await visiblePost(this.db, this.users, viewer, postId);
    const rows = await repo.commentPage(this.db, {
      postId,
      viewer,
      after: decodeCursor(page.cursor),
      limit: page.limit,
    });
    const { page: pageRows, nextCursor } = paginate(rows, page.limit, (r) => r.id);
    return { comments: await this.reader.fromRows(viewer, pageRows), nextCursor };
  }

  /**
   * By the comment's author or the post's author. Someone else who can see the comment gets
   * 403; a comment the viewer cannot see (its post, or a block with its author) is 404.
   */
  async delete(viewer: string, commentId: string): Promise<void> {
    const found = await repo.findCommentForAccess(this.db, commentId);
    if (!found) throw notFound('comment');
    const [postFacts, authorFacts] = await Promise.all([
      this.users.facts(viewer, found.post_author_id),
      this.users.facts(viewer, found.author_id),
    ]);
    const visible =
      postFacts !== null &&
      postVisible({ status: found.status, deleted: found.deleted_at !== null }, postFacts) &&
      authorFacts !== null &&
      allows('profile', authorFacts);
    if (!visible) throw notFound('comment');
    if (viewer !== found.author_id && viewer !== found.post_author_id)
      throw forbidden('not_allowed', "Only the comment's author or the post's author can delete it.");
    await this.db.transaction().execute((trx) => repo.deleteComment(trx, commentId));
  }
}

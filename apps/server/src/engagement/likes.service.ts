import type { LikeState, UsersPage } from '@glimpse/contract';
import type { Executor } from '../db/executor.js';
import type { UserDirectory } from '../graph/user-directory.js';
import { appendToOutbox } from '../jobs/outbox.js';
import { decodeCursor, paginate } from '../lib/cursor.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import { visiblePost } from '../posts/visible-post.js';
import { engageablePost, gone } from './access.js';
import * as repo from './engagement.repo.js';
import { perMinute, spend } from './limits.js';

/**
 * Likes: idempotent like and unlike with an exact count, and the likers list. Only a post the
 * viewer may see can be liked (404 otherwise, blocks included); `like.created` is written with
 * the like row, and only when the row is new, so a like/unlike loop notifies once per new row.
 */
export class LikesService {
  constructor(
    private readonly db: Executor,
    private readonly users: UserDirectory,
    private readonly limiter: RateLimiter,
    private readonly likesPerMinute: number,
  ) {}

  async like(viewer: string, postId: string): Promise<LikeState> {
    await spend(this.limiter, `likes:${viewer}`, perMinute(this.likesPerMinute));
    await engageablePost(this.db, this.users, viewer, postId);
    const likeCount = await this.db
      .transaction()
      .execute(async (trx) => {
        const result = await repo.insertLike(trx, postId, viewer);
        if (result.created) {
          await appendToOutbox(trx, [
            { topic: 'like.created', aggregateId: postId, payload: { postId, userId: viewer } },
          ]);
        }
        return result.likeCount;
      })
      .catch(gone);
    return { likeCount, likedByMe: true };
  }

  async unlike(viewer: string, postId: string): Promise<LikeState> {
    await spend(this.limiter, `likes:${viewer}`, perMinute(this.likesPerMinute));
    await engageablePost(this.db, this.users, viewer, postId);
    const { likeCount } = await this.db.transaction().execute((trx) => repo.deleteLike(trx, postId, viewer));
    return { likeCount, likedByMe: false };
  }

  /** Who liked the post, newest like first; users a block separates from the viewer are left out. */
  async likers(
    viewer: string | null,
    postId: string,
    page: { limit: number; cursor?: string },
  ): Promise<UsersPage> {
    await visiblePost(this.db, this.users, viewer, postId);
    const rows = await repo.likerPage(this.db, {
      postId,
      viewer,
      after: decodeCursor(page.cursor),
      limit: page.limit,
    });
    const { page: edges, nextCursor } = paginate(rows, page.limit, (r) => r.likeId);
    const users = await this.users.many(
      viewer,
      edges.map((e) => e.userId),
    );
    return { users: edges.flatMap((e) => users.get(e.userId) ?? []), nextCursor };
  }
}

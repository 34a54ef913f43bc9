import type { Notification } from '@glimpse/contract';
import type { Executor } from '../db/executor.js';
import type { CommentReader } from '../engagement/comment-view.js';
import type { UserDirectory } from '../graph/user-directory.js';
import type { PostHydrator } from '../posts/hydrate.js';
import { findPosts } from '../posts/posts.repo.js';
import type { NotificationRow } from './notifications.repo.js';

/**
 * Notifications as the API shows them, for their recipient, in a fixed number of queries
 * however many there are: actors, posts and comments each in one batch. The rows were filtered
 * by the policy in SQL already; a notification whose actor, post or comment the viewer cannot
 * be shown after all is left out (the last guard, never the only one).
 */
export class NotificationHydrator {
  constructor(
    private readonly db: Executor,
    private readonly users: UserDirectory,
    private readonly posts: PostHydrator,
    private readonly comments: CommentReader,
  ) {}

  async hydrate(viewer: string, rows: readonly NotificationRow[], marker: string): Promise<Notification[]> {
    if (rows.length === 0) return [];
    const postIds = rows.flatMap((r) => (r.post_id ? [r.post_id] : []));
    const commentIds = rows.flatMap((r) => (r.comment_id ? [r.comment_id] : []));
    const [actors, posts, comments] = await Promise.all([
      this.users.many(
        viewer,
        rows.map((r) => r.actor_id),
      ),
      findPosts(this.db, postIds).then((found) => this.posts.hydrate(viewer, found)),
      this.comments.many(viewer, commentIds),
    ]);
    const postById = new Map(posts.map((p) => [p.id, p]));
    const readUpTo = BigInt(marker);
    return rows.flatMap((row) => {
      const actor = actors.get(row.actor_id);
      const post = row.post_id ? postById.get(row.post_id) : null;
      const comment = row.comment_id ? comments.get(row.comment_id) : null;
      if (!actor || post === undefined || comment === undefined) return [];
      return [
        {
          id: row.id,
          type: row.type,
          actor,
          post,
          comment,
          read: BigInt(row.id) <= readUpTo,
          createdAt: row.created_at.toISOString(),
        },
      ];
    });
  }
}

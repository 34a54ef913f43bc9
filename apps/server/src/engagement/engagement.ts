import type { Executor } from '../db/executor.js';
import type { UserDirectory } from '../graph/user-directory.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import type { PostHydrator } from '../posts/hydrate.js';
import { CommentReader } from './comment-view.js';
import { CommentsService } from './comments.service.js';
import type { EngagementLimits } from './limits.js';
import { LikesService } from './likes.service.js';
import { SavesService } from './saves.service.js';

/** Likes, comments and saves, as wiring.ts hands them to the routes. */
export interface Engagement {
  readonly likes: LikesService;
  readonly comments: CommentsService;
  readonly saves: SavesService;
  /** Comments for other objects (notifications) as the viewer may see them. */
  readonly commentReader: CommentReader;
}

export function createEngagement(deps: {
  db: Executor;
  users: UserDirectory;
  hydrator: PostHydrator;
  rateLimiter: RateLimiter;
  limits: EngagementLimits;
}): Engagement {
  const { db, users, hydrator, rateLimiter, limits } = deps;
  const commentReader = new CommentReader(db, users);
  return {
    likes: new LikesService(db, users, rateLimiter, limits.likesPerMinute),
    comments: new CommentsService(db, users, commentReader, rateLimiter, limits.commentsPerMinute),
    saves: new SavesService(db, users, hydrator),
    commentReader,
  };
}

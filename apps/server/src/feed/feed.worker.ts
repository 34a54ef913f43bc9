import type { JobHandler } from '../jobs/runner.js';
import type { FeedWriter } from './feed.writer.js';

/** `post.published` → fan out (or into the author's list, for celebrities). */
export function fanOutJob(writer: FeedWriter): JobHandler<'feed.fanout'> {
  return ({ postId }) => writer.fanOut(postId);
}

/** `post.deleted` → out of every timeline that may hold it. */
export function retractJob(writer: FeedWriter): JobHandler<'feed.retract'> {
  return ({ postId, authorId }) => writer.retract(postId, authorId);
}

/**
 * Graph changes → the (reader, author) pairs whose timelines they affect. A block cuts both
 * ways; the reconcile re-reads the graph, so the event only says where to look.
 */
export function graphJob(writer: FeedWriter): JobHandler<'feed.graph'> {
  return async (payload) => {
    const pairs: [string, string][] =
      'followerId' in payload
        ? [[payload.followerId, payload.followeeId]]
        : 'muterId' in payload
          ? [[payload.muterId, payload.mutedId]]
          : [
              [payload.blockerId, payload.blockedId],
              [payload.blockedId, payload.blockerId],
            ];
    for (const [viewer, author] of pairs) await writer.reconcile(viewer, author);
  };
}

import { sql } from 'kysely';
import type { Executor } from '../db/executor.js';
import { jobs, type Topic, type TopicPayload } from '../jobs/catalogue.js';
import { MAX_MENTIONS, parseCaption } from '../posts/caption.js';
import type { NewNotification } from './notifications.repo.js';

/** A notification an event would create, before the gate, with the owner of the post it is about. */
export interface Candidate extends NewNotification {
  readonly postOwner: string | null;
}

export type SourceTopic =
  | 'like.created'
  | 'comment.created'
  | 'post.published'
  | 'follow.created'
  | 'follow.requested'
  | 'follow.accepted';

/**
 * What an event means for notifications, from the current state rather than the event: an
 * unliked like, a deleted comment or post, a withdrawn request or an unfollow create nothing.
 * The dedupe keys make every source idempotent (docs/notifications.md lists them).
 */
export async function candidatesFor<T extends SourceTopic>(
  db: Executor,
  topic: T,
  payload: TopicPayload<T>,
): Promise<Candidate[]> {
  switch (topic) {
    case 'like.created': {
      const { postId, userId } = payload as TopicPayload<'like.created'>;
      const { rows } = await sql<{ author_id: string }>`
        SELECT p.author_id FROM likes l JOIN posts p ON p.id = l.post_id
         WHERE l.post_id = ${postId}::bigint AND l.user_id = ${userId}::bigint
           AND p.status = 'published' AND p.deleted_at IS NULL`.execute(db);
      return rows.map((r) => ({
        recipientId: r.author_id,
        type: 'like',
        actorId: userId,
        postId,
        commentId: null,
        dedupeKey: `like:${postId}:${userId}`,
        postOwner: r.author_id,
      }));
    }
    case 'comment.created':
      return commentCandidates(db, (payload as TopicPayload<'comment.created'>).commentId);
    case 'post.published': {
      const { postId } = payload as TopicPayload<'post.published'>;
      const { rows } = await sql<{ author_id: string; user_id: string }>`
        SELECT p.author_id, pm.user_id FROM posts p JOIN post_mentions pm ON pm.post_id = p.id
         WHERE p.id = ${postId}::bigint AND p.status = 'published' AND p.deleted_at IS NULL`.execute(db);
      return rows.map((r) => ({
        recipientId: r.user_id,
        type: 'mention',
        actorId: r.author_id,
        postId,
        commentId: null,
        dedupeKey: `mention:post:${postId}`,
        postOwner: r.author_id,
      }));
    }
    default: {
      const { followerId, followeeId } = payload as TopicPayload<'follow.created'>;
      const wanted = topic === 'follow.requested' ? 'pending' : 'accepted';
      const edge = await db
        .selectFrom('follows')
        .select('state')
        .where('follower_id', '=', followerId)
        .where('followee_id', '=', followeeId)
        .executeTakeFirst();
      if (edge?.state !== wanted) return [];
      // An approval notifies the one who asked; the one who approved is its actor.
      const [recipientId, actorId, type] =
        topic === 'follow.accepted'
          ? ([followerId, followeeId, 'follow_accepted'] as const)
          : ([followeeId, followerId, topic === 'follow.created' ? 'follow' : 'follow_request'] as const);
      return [
        {
          recipientId,
          type,
          actorId,
          postId: null,
          commentId: null,
          dedupeKey: `${type}:${actorId}`,
          postOwner: null,
        },
      ];
    }
  }
}

/**
 * The post's author hears about the comment; accounts mentioned in it hear about the mention
 * (the post's author only once, as a comment).
 */
async function commentCandidates(db: Executor, commentId: string): Promise<Candidate[]> {
  const { rows } = await sql<{ post_id: string; author_id: string; body: string; post_author: string }>`
    SELECT c.post_id, c.author_id, c.body, p.author_id AS post_author
      FROM comments c JOIN posts p ON p.id = c.post_id
     WHERE c.id = ${commentId}::bigint AND p.status = 'published' AND p.deleted_at IS NULL`.execute(db);
  const comment = rows[0];
  if (!comment) return [];
  const about = {
    actorId: comment.author_id,
    postId: comment.post_id,
    commentId,
    postOwner: comment.post_author,
  };
  const candidates: Candidate[] = [
    { ...about, recipientId: comment.post_author, type: 'comment', dedupeKey: `comment:${commentId}` },
  ];
  const usernames = parseCaption(comment.body).mentions.slice(0, MAX_MENTIONS);
  if (usernames.length === 0) return candidates;
  const mentioned = await db.selectFrom('users').select('id').where('username', 'in', usernames).execute();
  for (const { id } of mentioned) {
    if (id === comment.post_author) continue;
    candidates.push({
      ...about,
      recipientId: id,
      type: 'mention',
      dedupeKey: `mention:comment:${commentId}`,
    });
  }
  return candidates;
}

/** The events that can notify someone: exactly what the notifications.create job subscribes to. */
export const SOURCE_TOPICS: readonly Topic[] = jobs['notifications.create'].topics;

export const isSourceTopic = (topic: string): topic is SourceTopic => SOURCE_TOPICS.includes(topic as Topic);

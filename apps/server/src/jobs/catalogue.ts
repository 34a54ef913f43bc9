import { Type, type Static, type TSchema } from 'typebox';
import type { Topology } from '../ports/job-queue.js';

/**
 * Every topic a message can carry, with its payload. Payloads carry ids and small facts,
 * never whole rows: a handler re-reads the current state, which is what makes it idempotent.
 */
const Id64 = Type.String({ pattern: '^[1-9][0-9]{0,18}$' });
const MediaId = Id64;
const Edge = <A extends string, B extends string>(from: A, to: B) =>
  Type.Object({ [from]: Id64, [to]: Id64 } as { [K in A | B]: typeof Id64 }, { additionalProperties: false });

export const topics = {
  /** Published by the worker role's scheduler once per hour (message id = the hour). */
  'maintenance.hourly': Type.Object(
    { hour: Type.String({ format: 'date-time' }) },
    { additionalProperties: false },
  ),
  /** Published by the scheduler every five minutes (message id = the slot). */
  'maintenance.frequent': Type.Object(
    { at: Type.String({ format: 'date-time' }) },
    { additionalProperties: false },
  ),
  /** The original's bytes are in the object store and look like an image: process them. */
  'media.uploaded': Type.Object({ mediaId: MediaId }, { additionalProperties: false }),
  /** Renditions are stored; posts waiting for this media item can publish. */
  'media.ready': Type.Object({ mediaId: MediaId }, { additionalProperties: false }),
  /** A post became visible to its audience (feeds fan out from here). */
  'post.published': Type.Object({ postId: Id64, authorId: Id64 }, { additionalProperties: false }),
  /** A post was deleted: feeds, search and storage clean up after it. */
  'post.deleted': Type.Object({ postId: Id64, authorId: Id64 }, { additionalProperties: false }),
  /** Graph changes, for feeds to backfill or clean up. */
  'follow.created': Edge('followerId', 'followeeId'),
  'follow.requested': Edge('followerId', 'followeeId'),
  'follow.accepted': Edge('followerId', 'followeeId'),
  'follow.removed': Edge('followerId', 'followeeId'),
  'block.created': Edge('blockerId', 'blockedId'),
  'block.removed': Edge('blockerId', 'blockedId'),
  'mute.created': Edge('muterId', 'mutedId'),
  'mute.removed': Edge('muterId', 'mutedId'),
  /** Engagement, for notifications (handlers re-read: an unliked post notifies nobody). */
  'like.created': Type.Object({ postId: Id64, userId: Id64 }, { additionalProperties: false }),
  'comment.created': Type.Object(
    { commentId: Id64, postId: Id64, authorId: Id64 },
    { additionalProperties: false },
  ),
  /** The item will never be ready (`code` says why); posts waiting for it fail. */
  'media.failed': Type.Object(
    { mediaId: MediaId, code: Type.String({ minLength: 1, maxLength: 64 }) },
    { additionalProperties: false },
  ),
} satisfies Record<string, TSchema>;

export type Topic = keyof typeof topics;
export type TopicPayload<T extends Topic> = Static<(typeof topics)[T]>;

export interface JobDefinition {
  readonly topics: readonly Topic[];
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly timeoutMs: number;
  readonly description: string;
}

/**
 * Every job: the queue of that name receives the listed topics. Start-up fails unless each job
 * has exactly one handler (jobs/runner.ts).
 */
export const jobs = {
  'accounts.prune-sessions': {
    topics: ['maintenance.hourly'],
    concurrency: 1,
    maxAttempts: 5,
    timeoutMs: 120_000,
    description: 'delete expired or long-revoked sessions and their spent refresh tokens',
  },
  'outbox.prune': {
    topics: ['maintenance.hourly'],
    concurrency: 1,
    maxAttempts: 5,
    timeoutMs: 120_000,
    description: 'delete outbox rows published long ago and dead letters past their retention',
  },
  'media.process': {
    topics: ['media.uploaded'],
    // libvips already uses every core for one picture; two at a time keeps them busy while
    // one waits on the object store, and bounds the worker's memory.
    concurrency: 2,
    maxAttempts: 3,
    timeoutMs: 60_000,
    description: 'decode an original and store its renditions, placeholders and hashes',
  },
  'posts.media-ready': {
    topics: ['media.ready'],
    concurrency: 4,
    maxAttempts: 5,
    timeoutMs: 30_000,
    description: 'publish the posts whose last processing photo just became ready',
  },
  'posts.media-failed': {
    topics: ['media.failed'],
    concurrency: 2,
    maxAttempts: 5,
    timeoutMs: 30_000,
    description: 'fail the posts waiting for a photo that will never be ready',
  },
  'posts.cleanup': {
    topics: ['post.deleted'],
    concurrency: 2,
    maxAttempts: 5,
    timeoutMs: 120_000,
    description: "delete a deleted post's rows, and its photos' files when no other post uses them",
  },
  'feed.fanout': {
    topics: ['post.published'],
    concurrency: 4,
    maxAttempts: 10,
    // A push to 10,000 followers takes well under a second; a demotion re-pushes up to a
    // timeline's worth of posts to every follower.
    timeoutMs: 600_000,
    description: "put a new post in its author's and followers' timelines, or in a celebrity's list",
  },
  'feed.retract': {
    topics: ['post.deleted'],
    concurrency: 2,
    maxAttempts: 10,
    timeoutMs: 600_000,
    description: 'take a deleted post out of every timeline that may hold it',
  },
  'feed.graph': {
    topics: [
      'follow.created',
      'follow.accepted',
      'follow.removed',
      'block.created',
      'mute.created',
      'mute.removed',
    ],
    concurrency: 4,
    maxAttempts: 10,
    timeoutMs: 60_000,
    description: "backfill or clear an author's posts in a reader's timeline after a graph change",
  },
  'media.reconcile': {
    topics: ['maintenance.frequent'],
    concurrency: 1,
    maxAttempts: 3,
    timeoutMs: 60_000,
    description: 're-queue media stuck in processing; forget upload slots nobody used',
  },
  'discovery.rank': {
    topics: ['maintenance.frequent'],
    concurrency: 1,
    maxAttempts: 3,
    timeoutMs: 120_000,
    description: 'score recent public posts into a new explore generation; recompute trending hashtags',
  },
  'notifications.create': {
    topics: [
      'like.created',
      'comment.created',
      'follow.created',
      'follow.requested',
      'follow.accepted',
      'post.published',
    ],
    concurrency: 4,
    maxAttempts: 10,
    timeoutMs: 30_000,
    description: 'notify the people an action concerns (like, comment, follow, request, approval, mention)',
  },
} as const satisfies Record<string, JobDefinition>;

export type JobName = keyof typeof jobs;

/** Payload a job's handler receives: the union over the topics it subscribes to. */
export type JobPayload<J extends JobName> = TopicPayload<(typeof jobs)[J]['topics'][number]>;

export function topologyOf(catalogue: Record<string, JobDefinition>): Topology {
  const topology = new Map<string, string[]>();
  for (const [queue, job] of Object.entries(catalogue)) {
    for (const topic of job.topics) topology.set(topic, [...(topology.get(topic) ?? []), queue]);
  }
  return topology;
}

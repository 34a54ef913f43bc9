import type { TimelineEntry, TimelineStore } from '../../ports/timeline-store.js';
import { redisKeys } from './keys.js';
import type { RedisClient } from './redis-client.js';

/**
 * Timelines as sorted sets whose members are post ids zero-padded to 19 digits, all with
 * score 0: Redis then orders them lexicographically, which for equal-width decimals is exact
 * numeric order. (A 64-bit id used as a score would be rounded to a double's 53 bits, so two
 * posts could tie and a cursor could skip one.)
 */
const WIDTH = 19;
const pad = (id: string) => id.padStart(WIDTH, '0');
const unpad = (member: string) => member.replace(/^0+/, '');

/** ZADD the members, then keep only the newest ARGV[1] (rank 0 is the oldest). */
const ADD_AND_TRIM = `
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 0, ARGV[i]) end
return redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[1]) + 1))
`;

type TimelineClient = RedisClient & {
  timelineAdd(key: string, cap: number, ...members: string[]): Promise<number>;
};

export class RedisTimelineStore implements TimelineStore {
  readonly #redis: TimelineClient;

  constructor(redis: RedisClient) {
    redis.defineCommand('timelineAdd', { numberOfKeys: 1, lua: ADD_AND_TRIM });
    this.#redis = redis as TimelineClient;
  }

  async add(entries: readonly TimelineEntry[], cap: number): Promise<void> {
    const byTimeline = new Map<string, string[]>();
    for (const { timelineId, postId } of entries) {
      const members = byTimeline.get(timelineId);
      if (members) members.push(pad(postId));
      else byTimeline.set(timelineId, [pad(postId)]);
    }
    // One script call per timeline; auto-pipelining sends them in one round trip per node.
    await Promise.all(
      [...byTimeline].map(([id, members]) =>
        this.#redis.timelineAdd(redisKeys.timeline(id), cap, ...members),
      ),
    );
  }

  async range(timelineId: string, { before, limit }: { before?: string; limit: number }): Promise<string[]> {
    const max = before === undefined ? '+' : `(${pad(before)}`;
    const members = await this.#redis.zrange(
      redisKeys.timeline(timelineId),
      max,
      '-',
      'BYLEX',
      'REV',
      'LIMIT',
      0,
      limit,
    );
    return members.map(unpad);
  }

  async remove(timelineId: string, postIds: readonly string[]): Promise<void> {
    if (postIds.length === 0) return;
    await this.#redis.zrem(redisKeys.timeline(timelineId), ...postIds.map(pad));
  }

  async exists(timelineId: string): Promise<boolean> {
    return (await this.#redis.exists(redisKeys.timeline(timelineId))) === 1;
  }

  async replace(timelineId: string, postIds: readonly string[], cap: number): Promise<void> {
    const key = redisKeys.timeline(timelineId);
    const members = [...new Set(postIds)].map(pad).sort().slice(-cap);
    const tx = this.#redis.multi().del(key);
    if (members.length > 0) tx.zadd(key, ...members.flatMap((m) => ['0', m]));
    for (const [err] of (await tx.exec()) ?? []) if (err) throw err;
  }

  async drop(timelineIds: readonly string[]): Promise<void> {
    await Promise.all(timelineIds.map((id) => this.#redis.del(redisKeys.timeline(id))));
  }
}

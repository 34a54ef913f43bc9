import { Cluster } from 'ioredis';
import type { TimelineEntry, TimelineStore } from '../../ports/timeline-store.js';
import { redisKeys } from './keys.js';
import {
  ADD,
  BEGIN_REBUILD,
  PUSH,
  PUSH_BATCH,
  PUSH_SHARED,
  RANGE,
  RECORD,
  REMOVE,
} from './redis-timeline-scripts.js';
import type { RedisClient } from './redis-client.js';

/**
 * Lists as "packed ids" (docs/timelines.md): one Redis string per list holding its post ids as
 * 8-byte big-endian unsigned integers, ascending. 800 ids take 6.4 KB (9 B per entry with the
 * allocator's rounding, where a sorted set takes 120 B: bench/results/timeline-memory.json),
 * and the order is exact for 64-bit ids. An existing but empty list is the empty string.
 * Every operation is a script over one list (and its scratch key, in the same slot), except
 * batched pushes on a single Redis. Needs Redis 6.2 or later (COPY).
 */

export { TRIM_SLACK } from './redis-timeline-scripts.js';

type Arg = string | number | Buffer;
type TimelineClient = RedisClient & {
  timelinePush(numKeys: number, ...keysThenArgs: Arg[]): Promise<number>;
  timelinePushOne(key: string, scratch: string, cap: number, ids: Buffer): Promise<number>;
  timelinePushShared(numKeys: number, ...keysThenArgs: Arg[]): Promise<number>;
  timelineBeginRebuild(key: string, mark: string): Promise<number>;
  timelineAdd(key: string, mark: string, scratch: string, cap: number, ids: Buffer): Promise<number>;
  timelineRangeBuffer(
    key: string,
    mark: string,
    before: Buffer | string,
    limit: number,
  ): Promise<Buffer | null>;
  timelineRemove(key: string, scratch: string, ids: Buffer): Promise<number>;
};

/** `new RedisTimelineStore(redis, redisKeys.homeTimeline)`: the key builder names the lists. */
export class RedisTimelineStore implements TimelineStore {
  readonly #redis: TimelineClient;
  readonly #key: (timelineId: string) => string;
  /**
   * On one Redis a push batch is one script over many keys. A cluster refuses scripts whose
   * keys live in different slots, so there each list gets its own call, which auto-pipelining
   * still sends as one write per node.
   */
  readonly #perList: boolean;

  constructor(redis: RedisClient, key: (timelineId: string) => string) {
    redis.defineCommand('timelinePush', { lua: PUSH }); // number of keys given per call
    redis.defineCommand('timelinePushShared', { lua: PUSH_SHARED });
    // The same script with a declared key: ioredis's cluster auto-pipelining routes a command
    // by its first key, which it only finds when the number of keys is declared.
    redis.defineCommand('timelinePushOne', { numberOfKeys: 2, lua: PUSH });
    redis.defineCommand('timelineBeginRebuild', { numberOfKeys: 2, lua: BEGIN_REBUILD });
    redis.defineCommand('timelineAdd', { numberOfKeys: 3, lua: ADD });
    redis.defineCommand('timelineRange', { numberOfKeys: 2, lua: RANGE });
    redis.defineCommand('timelineRemove', { numberOfKeys: 2, lua: REMOVE });
    this.#redis = redis as TimelineClient;
    this.#key = key;
    this.#perList = redis instanceof Cluster;
  }

  async push(entries: readonly TimelineEntry[], cap: number): Promise<void> {
    const lists = [...byList(entries)];
    if (this.#perList) {
      await Promise.all(
        lists.map(([id, ids]) => {
          const key = this.#key(id);
          return this.#redis.timelinePushOne(key, redisKeys.listScratch(key), cap, pack(ids));
        }),
      );
      return;
    }
    const calls: Promise<number>[] = [];
    const shared = sameIds(lists);
    for (let at = 0; at < lists.length; at += PUSH_BATCH) {
      const batch = lists.slice(at, at + PUSH_BATCH);
      if (shared) {
        const keys = batch.map(([id]) => this.#key(id));
        calls.push(this.#redis.timelinePushShared(keys.length, ...keys, cap, shared));
        continue;
      }
      calls.push(
        this.#redis.timelinePush(
          batch.length * 2,
          ...batch.flatMap(([id]) => {
            const key = this.#key(id);
            return [key, redisKeys.listScratch(key)];
          }),
          cap,
          ...batch.map(([, ids]) => pack(ids)),
        ),
      );
    }
    await Promise.all(calls);
  }

  async beginRebuild(timelineId: string): Promise<void> {
    const key = this.#key(timelineId);
    await this.#redis.timelineBeginRebuild(key, redisKeys.listRebuilding(key));
  }

  async completeRebuild(timelineId: string, postIds: readonly string[], cap: number): Promise<void> {
    const key = this.#key(timelineId);
    await this.#redis.timelineAdd(
      key,
      redisKeys.listRebuilding(key),
      redisKeys.listScratch(key),
      cap,
      pack(postIds),
    );
  }

  async range(timelineId: string, options: { before?: string; limit: number }): Promise<string[]> {
    return (await this.#range(timelineId, options)) ?? [];
  }

  async rangeMany(
    timelineIds: readonly string[],
    options: { before?: string; limit: number },
  ): Promise<Map<string, string[] | null>> {
    const pages = await Promise.all(timelineIds.map((id) => this.#range(id, options)));
    return new Map(timelineIds.map((id, i) => [id, pages[i] ?? null]));
  }

  async remove(entries: readonly TimelineEntry[]): Promise<void> {
    await Promise.all(
      [...byList(entries)].map(([id, ids]) => {
        const key = this.#key(id);
        return this.#redis.timelineRemove(key, redisKeys.listScratch(key), pack(ids));
      }),
    );
  }

  async exists(timelineId: string): Promise<boolean> {
    const key = this.#key(timelineId);
    const [list, mark] = await Promise.all([
      this.#redis.exists(key),
      this.#redis.exists(redisKeys.listRebuilding(key)),
    ]);
    return list === 1 && mark === 0;
  }

  async drop(timelineIds: readonly string[]): Promise<void> {
    await Promise.all(
      timelineIds.map((id) => {
        const key = this.#key(id);
        return this.#redis.del(key, redisKeys.listRebuilding(key));
      }),
    );
  }

  async #range(timelineId: string, { before, limit }: { before?: string; limit: number }) {
    const key = this.#key(timelineId);
    const page = await this.#redis.timelineRangeBuffer(
      key,
      redisKeys.listRebuilding(key),
      before === undefined ? '' : pack([before]),
      limit,
    );
    if (page === null) return null;
    const ids: string[] = [];
    for (let at = page.length - RECORD; at >= 0; at -= RECORD) ids.push(page.readBigUInt64BE(at).toString());
    return ids;
  }
}

/** The packed ids when every list gets the same ones (a fan-out), else null. */
function sameIds(lists: readonly [string, string[]][]): Buffer | null {
  const first = lists[0]?.[1];
  if (!first || first.length !== 1) return null;
  return lists.every(([, ids]) => ids.length === 1 && ids[0] === first[0]) ? pack(first) : null;
}

function byList(entries: readonly TimelineEntry[]): Map<string, string[]> {
  const lists = new Map<string, string[]>();
  for (const { timelineId, postId } of entries) {
    const ids = lists.get(timelineId);
    if (ids) ids.push(postId);
    else lists.set(timelineId, [postId]);
  }
  return lists;
}

/** Ids as ascending, distinct 8-byte records: the form every script expects. */
function pack(ids: readonly string[]): Buffer {
  const sorted = ids.map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out = Buffer.allocUnsafe(sorted.length * RECORD);
  let length = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i > 0 && sorted[i] === sorted[i - 1]) continue;
    out.writeBigUInt64BE(sorted[i]!, length);
    length += RECORD;
  }
  return out.subarray(0, length);
}

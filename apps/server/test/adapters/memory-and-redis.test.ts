import { randomBytes } from 'node:crypto';
import { type Cluster, Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryCache } from '../../src/adapters/memory/memory-cache.js';
import { MemoryRateLimiter } from '../../src/adapters/memory/memory-rate-limiter.js';
import { MemoryTimelineStore } from '../../src/adapters/memory/memory-timeline-store.js';
import { redisKeys } from '../../src/adapters/redis/keys.js';
import { RedisCache } from '../../src/adapters/redis/redis-cache.js';
import {
  createRedisClient,
  waitUntilReady,
  type RedisClient,
} from '../../src/adapters/redis/redis-client.js';
import { RedisRateLimiter } from '../../src/adapters/redis/redis-rate-limiter.js';
import { RedisTimelineStore, TRIM_SLACK } from '../../src/adapters/redis/redis-timeline-store.js';
import { cacheContract } from '../contracts/cache.contract.js';
import { rateLimiterContract } from '../contracts/rate-limiter.contract.js';
import { timelineStoreContract } from '../contracts/timeline-store.contract.js';
import {
  clusterNodes,
  REDIS_URL,
  redisAvailable,
  redisClusterAvailable,
  testKeyPrefix,
} from '../support/services.js';

/**
 * Redis only: pushes APPEND, whose greedy allocation would double a list's memory unless the
 * script compacts it (redis-timeline-store.ts). Past the trim too, so both paths are covered.
 */
function staysPacked(redis: RedisClient) {
  it('keeps a list that pushes grow at its packed size', async () => {
    const store = new RedisTimelineStore(redis, redisKeys.homeTimeline);
    const t = `packed${randomBytes(4).toString('hex')}`;
    const id = (n: number) => String(10n ** 17n + BigInt(n));
    await store.completeRebuild(
      t,
      Array.from({ length: 800 }, (_, i) => id(i)),
      800,
    );
    for (let i = 800; i < 900; i++) await store.push([{ timelineId: t, postId: id(i) }], 800);
    const key = redisKeys.homeTimeline(t);
    const bytes = await redis.strlen(key);
    // Push number TRIM_SLACK + 1 crossed the slack and cut the list back to 800; the rest appended.
    expect(bytes / 8).toBe(800 + 100 - (TRIM_SLACK + 1));
    expect(Number(await redis.memory('USAGE', key, 'SAMPLES', 0))).toBeLessThan(bytes * 1.3 + 256);
    expect(await redis.exists(redisKeys.listScratch(key))).toBe(0);
    expect(await store.range(t, { limit: 3 })).toEqual([id(899), id(898), id(897)]);
  });
}

/** The timelines/cache port family: every contract against every adapter. */
cacheContract('memory', () => new MemoryCache());
rateLimiterContract('memory', () => new MemoryRateLimiter());
timelineStoreContract('memory', () => new MemoryTimelineStore(), { slack: 0 });

const keys = testKeyPrefix();
const clients: RedisClient[] = [];
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await keys.clean();
});

// Plain `if`s, not describe.skipIf: a skipped describe still runs its body to collect tests,
// and these bodies connect.
if (await redisAvailable())
  describe('Redis', async () => {
    const redis = createRedisClient({ kind: 'single', url: REDIS_URL, keyPrefix: keys.prefix });
    clients.push(redis);
    await waitUntilReady(redis, 5_000);
    cacheContract('redis', () => new RedisCache(redis));
    rateLimiterContract('redis', () => new RedisRateLimiter(redis, new MemoryRateLimiter()));
    timelineStoreContract('redis', () => new RedisTimelineStore(redis, redisKeys.homeTimeline), {
      slack: TRIM_SLACK,
    });
    staysPacked(redis);

    it('writes keys under the configured prefix, hash-tagged per subject', async () => {
      await new RedisTimelineStore(redis, redisKeys.homeTimeline).completeRebuild('77', ['1', '258'], 10);
      await new RedisTimelineStore(redis, redisKeys.authorPosts).completeRebuild('78', [], 10);
      const raw = new Redis(REDIS_URL);
      try {
        expect(await raw.type(`${keys.prefix}feed:{77}`)).toBe('string');
        // Packed ids: 8 bytes each, big-endian, ascending.
        expect((await raw.getBuffer(`${keys.prefix}feed:{77}`))?.toString('hex')).toBe(
          '0000000000000001' + '0000000000000102',
        );
        expect(await raw.type(`${keys.prefix}posts:{78}`)).toBe('string');
        expect(await raw.strlen(`${keys.prefix}posts:{78}`)).toBe(0);
      } finally {
        raw.disconnect();
      }
    });
  });

if (await redisClusterAvailable())
  describe('Redis Cluster (3 masters)', async () => {
    const redis = createRedisClient({ kind: 'cluster', nodes: clusterNodes(), keyPrefix: keys.prefix });
    clients.push(redis);
    await waitUntilReady(redis, 10_000);
    cacheContract('redis-cluster', () => new RedisCache(redis));
    rateLimiterContract('redis-cluster', () => new RedisRateLimiter(redis, new MemoryRateLimiter()));
    timelineStoreContract('redis-cluster', () => new RedisTimelineStore(redis, redisKeys.homeTimeline), {
      slack: TRIM_SLACK,
    });
    staysPacked(redis);

    it('spreads timelines over every master', async () => {
      const store = new RedisTimelineStore(redis, redisKeys.homeTimeline);
      const ids = Array.from({ length: 60 }, (_, i) => `spread${i}`);
      await Promise.all(ids.map((id) => store.completeRebuild(id, [], 10)));
      await store.push(
        ids.map((timelineId) => ({ timelineId, postId: '1' })),
        10,
      );
      for (const page of (await store.rangeMany(ids, { limit: 5 })).values()) expect(page).toEqual(['1']);
      const perNode = await Promise.all(
        (redis as Cluster)
          .nodes('master')
          .map(async (node) => (await node.keys(`${keys.prefix}feed:{spread*`)).length),
      );
      expect(perNode.every((n) => n > 0)).toBe(true);
      expect(perNode.reduce((a, b) => a + b, 0)).toBe(60);
    });
  });

describe('Redis unreachable', () => {
  it('rate limits fall back to per-process counters instead of failing requests', async () => {
    const dead = createRedisClient({ kind: 'single', url: 'redis://127.0.0.1:1', keyPrefix: 'x:' });
    dead.on('error', () => {});
    clients.push(dead);
    const fallbacks: unknown[] = [];
    const limiter = new RedisRateLimiter(dead, new MemoryRateLimiter(), (err) => fallbacks.push(err));
    const rule = { limit: 2, periodMs: 60_000 };
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await limiter.consume('k', rule)).allowed);
    expect(results).toEqual([true, true, false]);
    expect(fallbacks.length).toBe(3);
  });
});

import { type Cluster, Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryCache } from '../../src/adapters/memory/memory-cache.js';
import { MemoryRateLimiter } from '../../src/adapters/memory/memory-rate-limiter.js';
import { MemoryTimelineStore } from '../../src/adapters/memory/memory-timeline-store.js';
import { RedisCache } from '../../src/adapters/redis/redis-cache.js';
import {
  createRedisClient,
  waitUntilReady,
  type RedisClient,
} from '../../src/adapters/redis/redis-client.js';
import { RedisRateLimiter } from '../../src/adapters/redis/redis-rate-limiter.js';
import { RedisTimelineStore } from '../../src/adapters/redis/redis-timeline-store.js';
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

/** The timelines/cache port family: every contract against every adapter. */
cacheContract('memory', () => new MemoryCache());
rateLimiterContract('memory', () => new MemoryRateLimiter());
timelineStoreContract('memory', () => new MemoryTimelineStore());

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
    timelineStoreContract('redis', () => new RedisTimelineStore(redis));

    it('writes keys under the configured prefix, hash-tagged per subject', async () => {
      await new RedisTimelineStore(redis).add([{ timelineId: '77', postId: '1' }], 10);
      const raw = new Redis(REDIS_URL);
      try {
        expect(await raw.exists(`${keys.prefix}feed:{77}`)).toBe(1);
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
    timelineStoreContract('redis-cluster', () => new RedisTimelineStore(redis));

    it('spreads timelines over every master', async () => {
      const store = new RedisTimelineStore(redis);
      await store.add(
        Array.from({ length: 60 }, (_, i) => ({ timelineId: `spread${i}`, postId: '1' })),
        10,
      );
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

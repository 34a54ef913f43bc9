import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryNotificationBus } from '../../src/adapters/memory/memory-notification-bus.js';
import {
  createRedisClient,
  waitUntilReady,
  type RedisTarget,
} from '../../src/adapters/redis/redis-client.js';
import { RedisNotificationBus } from '../../src/adapters/redis/redis-notification-bus.js';
import { notificationBusContract } from '../contracts/notification-bus.contract.js';
import {
  clusterNodes,
  REDIS_URL,
  redisAvailable,
  redisClusterAvailable,
  testKeyPrefix,
} from '../support/services.js';

notificationBusContract('memory', async () => {
  const bus = new MemoryNotificationBus();
  return { publisher: bus, subscriber: bus, close: () => bus.close() };
});

const keys = testKeyPrefix();
afterAll(() => keys.clean());

/** Publisher and subscriber on their own clients, as a worker and an API process would be. */
async function redisPair(target: RedisTarget) {
  const clients = [createRedisClient(target), createRedisClient(target)];
  await Promise.all(clients.map((c) => waitUntilReady(c, 10_000)));
  const [publisher, subscriber] = clients.map((c) => new RedisNotificationBus(c, target.keyPrefix));
  return {
    publisher: publisher!,
    subscriber: subscriber!,
    close: async () => {
      await publisher!.close();
      await subscriber!.close();
      for (const c of clients) c.disconnect();
    },
  };
}

if (await redisAvailable()) {
  const target = { kind: 'single', url: REDIS_URL, keyPrefix: keys.prefix } as const;
  notificationBusContract('redis', () => redisPair(target));

  describe('Redis notification bus', () => {
    it('publishes on a channel named with the key prefix, so deployments sharing a Redis stay apart', async () => {
      const pair = await redisPair(target);
      const other = await redisPair({ ...target, keyPrefix: `${keys.prefix}other:` });
      const raw = new Redis(REDIS_URL);
      try {
        const onChannel: string[] = [];
        await raw.subscribe(`${keys.prefix}notifications`);
        raw.on('message', (channel: string, message: string) => onChannel.push(`${channel} ${message}`));
        const strangers: unknown[] = [];
        await other.subscriber.subscribe('42', (e) => strangers.push(e));
        const mine: unknown[] = [];
        await pair.subscriber.subscribe('42', (e) => mine.push(e));
        await pair.publisher.publish([{ id: '5', recipientId: '42' }]);
        for (let i = 0; i < 200 && (mine.length === 0 || onChannel.length === 0); i++)
          await new Promise((r) => setTimeout(r, 10));
        expect(onChannel).toEqual([`${keys.prefix}notifications [["5","42"]]`]);
        expect(mine).toEqual([{ id: '5', recipientId: '42' }]);
        expect(strangers).toEqual([]);
      } finally {
        raw.disconnect();
        await pair.close();
        await other.close();
      }
    });

    it('ignores messages on its channel that are not events, and keeps delivering', async () => {
      const pair = await redisPair(target);
      const raw = new Redis(REDIS_URL);
      try {
        const got: unknown[] = [];
        await pair.subscriber.subscribe('43', (e) => got.push(e));
        for (const junk of ['not json', '{"a":1}', '[[1,2]]', '[["1"]]'])
          await raw.publish(`${keys.prefix}notifications`, junk);
        await pair.publisher.publish([{ id: '6', recipientId: '43' }]);
        for (let i = 0; i < 200 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
        expect(got).toEqual([{ id: '6', recipientId: '43' }]);
      } finally {
        raw.disconnect();
        await pair.close();
      }
    });
  });
}

if (await redisClusterAvailable()) {
  notificationBusContract('redis-cluster', () =>
    redisPair({ kind: 'cluster', nodes: clusterNodes(), keyPrefix: keys.prefix }),
  );
}

describe('Redis notification bus, Redis unreachable', () => {
  it('still lets a stream subscribe (after a bounded wait) while publishing fails fast', async () => {
    const dead = createRedisClient({ kind: 'single', url: 'redis://127.0.0.1:1', keyPrefix: 'x:' });
    dead.on('error', () => {});
    const errors: unknown[] = [];
    const bus = new RedisNotificationBus(dead, 'x:', (err) => errors.push(err));
    try {
      const unsubscribe = await bus.subscribe('1', () => {});
      unsubscribe();
      await expect(bus.publish([{ id: '1', recipientId: '1' }])).rejects.toThrow();
    } finally {
      await bus.close();
      dead.disconnect();
    }
  });
});

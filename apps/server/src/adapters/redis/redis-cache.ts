import { Cluster } from 'ioredis';
import type { Cache } from '../../ports/cache.js';
import { redisKeys } from './keys.js';
import type { RedisClient } from './redis-client.js';

export class RedisCache implements Cache {
  constructor(private readonly redis: RedisClient) {}

  async get(key: string): Promise<string | null> {
    return this.redis.get(redisKeys.cache(key));
  }

  /** One GET per key, auto-pipelined: legal on a cluster, where MGET across slots is not. */
  async getMany(keys: readonly string[]): Promise<(string | null)[]> {
    return Promise.all(keys.map((k) => this.redis.get(redisKeys.cache(k))));
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.set(redisKeys.cache(key), value, 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  async delete(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((k) => this.redis.del(redisKeys.cache(k))));
  }

  async ping(): Promise<void> {
    if (this.redis instanceof Cluster) {
      await Promise.all(this.redis.nodes('master').map((node) => node.ping()));
    } else {
      await this.redis.ping();
    }
  }

  async close(): Promise<void> {}
}

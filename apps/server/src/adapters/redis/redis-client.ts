import { Cluster, Redis, type RedisOptions } from 'ioredis';

export type RedisClient = Redis | Cluster;

export type RedisTarget =
  | { kind: 'single'; url: string; keyPrefix: string }
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; keyPrefix: string };

/**
 * Commands fail fast while Redis is unreachable (no offline queue, one retry) so that callers
 * can fall back to PostgreSQL or an in-process limiter instead of hanging; the client keeps
 * reconnecting in the background. Auto-pipelining batches concurrent commands per node, which
 * is also what keeps multi-key work legal on a cluster.
 */
export function createRedisClient(target: RedisTarget): RedisClient {
  const common: RedisOptions = {
    keyPrefix: target.keyPrefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    enableAutoPipelining: true,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  };
  if (target.kind === 'single') return new Redis(target.url, common);
  return new Cluster(target.nodes, {
    redisOptions: common,
    keyPrefix: target.keyPrefix,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    clusterRetryStrategy: (times) => Math.min(times * 200, 2_000),
  });
}

/** Resolves once the client is connected, or rejects after `timeoutMs`. */
export function waitUntilReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`Redis did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

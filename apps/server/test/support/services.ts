import { randomBytes } from 'node:crypto';
import { connect as amqpConnect } from 'amqplib';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';

/**
 * Real services for the service-shape suites. In CI (CI=true) a service that does not answer
 * fails the run; elsewhere its suites are skipped with one line naming what was missing.
 */
export const inCI = process.env.CI === 'true';
export const POSTGRES_ADMIN_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const REDIS_CLUSTER_NODES = process.env.TEST_REDIS_CLUSTER_NODES ?? '';
export const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
/** An S3-compatible store (.ci/run starts Ceph RGW); tests make their own bucket with these. */
export const TEST_S3 = {
  endpoint: process.env.TEST_S3_ENDPOINT ?? 'http://127.0.0.1:7480',
  region: process.env.TEST_S3_REGION ?? 'us-east-1',
  credentials: {
    accessKeyId: process.env.TEST_S3_ACCESS_KEY_ID ?? 'GLIMPSETESTKEY',
    secretAccessKey: process.env.TEST_S3_SECRET_ACCESS_KEY ?? 'GLIMPSETESTSECRET',
  },
  // RGW (and most S3-compatible servers on loopback) have no per-bucket host names.
  forcePathStyle: true,
} as const;

async function reachable(name: string, probe: () => Promise<void>): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (inCI) throw new Error(`${name} is required in CI but is not reachable: ${reason}`, { cause: err });
    console.warn(`[skip] ${name} is not reachable (${reason}); its suites are skipped`);
    return false;
  }
}

const memo = new Map<string, Promise<boolean>>();
const once = (name: string, probe: () => Promise<void>) => {
  if (!memo.has(name)) memo.set(name, reachable(name, probe));
  return memo.get(name)!;
};

export const postgresAvailable = () =>
  once(`PostgreSQL (${POSTGRES_ADMIN_URL})`, async () => {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2_000 });
    await client.connect();
    await client.end();
  });

export const redisAvailable = () =>
  once(`Redis (${REDIS_URL})`, async () => {
    const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0 });
    try {
      await redis.connect();
      await redis.ping();
    } finally {
      redis.disconnect();
    }
  });

export const rabbitmqAvailable = () =>
  once(`RabbitMQ (${new URL(AMQP_URL).host})`, async () => {
    const connection = await amqpConnect(AMQP_URL, { timeout: 2_000 });
    await connection.close();
  });

export const redisClusterAvailable = () =>
  once(`Redis Cluster (TEST_REDIS_CLUSTER_NODES=${REDIS_CLUSTER_NODES || 'unset'})`, async () => {
    if (!REDIS_CLUSTER_NODES) throw new Error('TEST_REDIS_CLUSTER_NODES is not set (.ci/run starts one)');
    const cluster = new Cluster(clusterNodes(), { lazyConnect: true, clusterRetryStrategy: () => null });
    try {
      await cluster.connect();
      await cluster.ping();
    } finally {
      cluster.disconnect();
    }
  });

export const s3Available = () =>
  once(`S3 (TEST_S3_ENDPOINT=${TEST_S3.endpoint})`, async () => {
    // Imported here so test files without S3 suites do not pay for loading the SDK.
    const { ListBucketsCommand, S3Client } = await import('@aws-sdk/client-s3');
    const client = new S3Client({ ...TEST_S3, maxAttempts: 1 });
    try {
      // A signed call, so wrong credentials fail here rather than in every test.
      await client.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(5_000) });
    } catch (err) {
      // RGW sends empty messages (the SDK says "UnknownError"); the code is in the name.
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new Error(`${reason} (start one with shared/services/ceph-rgw.sh start 7480)`, { cause: err });
    } finally {
      client.destroy();
    }
  });

export function clusterNodes(): { host: string; port: number }[] {
  return REDIS_CLUSTER_NODES.split(',').map((n) => {
    const [host, port] = n.split(':');
    return { host: host!, port: Number(port) };
  });
}

export const uniqueName = (prefix: string) => `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;

/** A fresh database on the test server; `drop` removes it (and any connection left open). */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = uniqueName('glimpse_t');
  const admin = new pg.Client(POSTGRES_ADMIN_URL);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client(POSTGRES_ADMIN_URL);
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A key prefix of its own for one test file, and a way to delete everything under it. */
export function testKeyPrefix(): { prefix: string; clean: () => Promise<void> } {
  const prefix = `${uniqueName('t')}:`;
  return {
    prefix,
    clean: async () => {
      const nodes =
        REDIS_CLUSTER_NODES && (await redisClusterAvailable().catch(() => false)) ? clusterNodes() : [];
      const targets = [REDIS_URL, ...nodes.map((n) => `redis://${n.host}:${n.port}`)];
      for (const url of targets) {
        const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
        try {
          await redis.connect();
          let cursor = '0';
          do {
            const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
            cursor = next;
            for (const key of keys) await redis.del(key);
          } while (cursor !== '0');
        } catch {
          // best effort: a node that is gone has nothing left to clean
        } finally {
          redis.disconnect();
        }
      }
    },
  };
}

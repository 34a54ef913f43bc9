/**
 * What the feed scenarios (feed-read, feed-naive, feed-scale) share: a seeded graph of a given
 * size, kept between runs; a `serve` process on it; signed-in readers; and a closed-loop load
 * run that records every response's latency.
 *
 * Seeded graphs are cached: database `glimpse_bench_<size>`, Redis prefix `bench_<size>:`, data
 * directory `$TMPDIR/glimpse-bench/<size>` with the manifest. A run reuses one when its manifest
 * is there and its timelines are still in Redis (a Redis restart empties them); `--fresh`
 * reseeds. `npm run bench -- feed-read --drop-graphs` removes every cached graph afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';
import { AccessTokens } from '../apps/server/src/accounts/tokens.js';
import { redisKeys } from '../apps/server/src/adapters/redis/keys.js';
import { startServer, type ServerProcess } from '../apps/server/test/support/process.js';
import { deleteProcessQueues } from '../apps/server/test/support/rabbitmq.js';
import { AMQP_URL, POSTGRES_ADMIN_URL, REDIS_URL } from '../apps/server/test/support/services.js';
import { DEFAULT_OPTIONS, seedGraph, type SeedManifest, type SeedOptions } from './seed/index.js';

const CACHE_DIR = join(tmpdir(), 'glimpse-bench');
const started = performance.now();
export const say = (message: string) =>
  console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`);
export const flag = (name: string) => process.argv.includes(`--${name}`);

export interface Graph {
  readonly name: string;
  readonly databaseUrl: string;
  readonly keyPrefix: string;
  readonly dataDir: string;
  readonly manifest: SeedManifest;
}

const nameOf = (o: SeedOptions) =>
  `u${o.users}_f${o.avgFollows}_c${o.celebrities}_p${o.postsPerUser}_a${Math.round(o.activeShare * 100)}_s${o.seed}`;

function databaseUrl(database: string): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(POSTGRES_ADMIN_URL);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The seeded graph for these options: the cached one when it is intact, else a new one. */
export async function seededGraph(partial: Partial<SeedOptions>): Promise<Graph> {
  const options = { ...DEFAULT_OPTIONS, ...partial };
  const name = nameOf(options);
  const graph = {
    name,
    databaseUrl: databaseUrl(`glimpse_bench_${name}`),
    keyPrefix: `bench_${name}:`,
    dataDir: join(CACHE_DIR, name),
  };
  const env = {
    DATABASE_URL: graph.databaseUrl,
    REDIS_URL,
    REDIS_KEY_PREFIX: graph.keyPrefix,
    DATA_DIR: graph.dataDir,
  };
  if (!flag('fresh')) {
    const manifest = await readFile(join(graph.dataDir, 'manifest.json'), 'utf8').then(
      (text) => JSON.parse(text) as SeedManifest,
      () => null,
    );
    if (manifest && (await intact(graph))) {
      say(`reusing the seeded graph ${name} (--fresh reseeds)`);
      return { ...graph, manifest };
    }
  }
  await dropGraph(graph);
  say(`seeding ${name}`);
  await admin((c) => c.query(`CREATE DATABASE glimpse_bench_${name}`));
  await mkdir(graph.dataDir, { recursive: true });
  const manifest = await seedGraph(env, options, say);
  await writeFile(join(graph.dataDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { ...graph, manifest };
}

/** The database answers and an active reader's timeline is still in Redis. */
async function intact(graph: Omit<Graph, 'manifest'>): Promise<boolean> {
  const client = new pg.Client(graph.databaseUrl);
  const redis = new Redis(REDIS_URL, { keyPrefix: graph.keyPrefix, lazyConnect: true });
  try {
    await client.connect();
    const { rows } = await client.query<{ id: string }>(
      `SELECT id::text FROM users WHERE feed_read_at > now() - interval '7 days' LIMIT 1`,
    );
    await redis.connect();
    return rows.length === 1 && (await redis.exists(redisKeys.homeTimeline(rows[0]!.id))) === 1;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
    redis.disconnect();
  }
}

async function dropGraph(graph: Omit<Graph, 'manifest'>): Promise<void> {
  const database = new URL(graph.databaseUrl).pathname.slice(1);
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${graph.keyPrefix}*`, 'COUNT', 10_000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  await rm(graph.dataDir, { recursive: true, force: true });
}

/** Removes every cached graph (databases, Redis keys, data directories). */
export async function dropCachedGraphs(): Promise<void> {
  const names = await readdir(CACHE_DIR).catch(() => [] as string[]);
  for (const name of names) {
    say(`dropping the cached graph ${name}`);
    await dropGraph({
      name,
      databaseUrl: databaseUrl(`glimpse_bench_${name}`),
      keyPrefix: `bench_${name}:`,
      dataDir: join(CACHE_DIR, name),
    });
  }
}

export interface Api {
  readonly server: ServerProcess;
  readonly url: string;
  /** Bearer tokens of readers (active users whose first page is full), one per reader. */
  readonly readers: { userId: string; token: string }[];
  stop(): Promise<void>;
}

/**
 * One `serve` process on the graph (service shape: PostgreSQL, Redis, RabbitMQ), and `count`
 * active readers signed in (sessions made in SQL, tokens signed with the server's secret).
 */
export async function startApi(
  graph: Graph,
  count: number,
  extraEnv: Record<string, string> = {},
): Promise<Api> {
  const secret = randomBytes(32).toString('hex');
  const queuePrefix = `bench_feed_${process.pid}_${randomBytes(3).toString('hex')}.`;
  const server = await startServer('serve', {
    DATABASE_URL: graph.databaseUrl,
    REDIS_URL,
    REDIS_KEY_PREFIX: graph.keyPrefix,
    AMQP_URL,
    AMQP_QUEUE_PREFIX: queuePrefix,
    DATA_DIR: graph.dataDir,
    JWT_SECRET: secret,
    CELEBRITY_FOLLOWERS: String(graph.manifest.celebrityFollowers),
    LOG_LEVEL: 'warn',
    ...extraEnv,
  });
  const stop = async () => {
    await server.stop();
    await deleteProcessQueues(queuePrefix).catch(() => {});
  };
  try {
    const client = new pg.Client(graph.databaseUrl);
    await client.connect();
    // Random active readers, the same ones every run on this graph.
    const { rows } = await (async () => {
      await client.query('SELECT setseed(0.42)');
      return client.query<{ user_id: string; id: string }>(
        `INSERT INTO sessions (id, user_id, expires_at)
         SELECT next_id(shard_of(u.id)), u.id, now() + interval '1 day'
           FROM (SELECT id FROM users WHERE feed_read_at > now() - interval '7 days' ORDER BY id LIMIT $1 * 20) u
          ORDER BY random() LIMIT $1
         RETURNING user_id::text, id::text`,
        [count],
      );
    })().finally(() => client.end());
    const tokens = new AccessTokens(new TextEncoder().encode(secret));
    const readers = await Promise.all(
      rows.map(async (r) => ({
        userId: r.user_id,
        token: await tokens.issue({ userId: r.user_id, sessionId: r.id }),
      })),
    );
    return { server, url: server.url, readers, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface Load {
  readonly connections: number;
  readonly requests: number;
  readonly rps: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly errors: number;
}

/**
 * Closed-loop load on one path for `seconds`: every response's latency is kept, so the
 * percentiles are exact. With tokens, each request is signed in as the next reader in turn.
 */
export async function load(
  url: string,
  path: string,
  options: { connections: number; seconds: number; tokens?: readonly string[] },
): Promise<Load> {
  const latencies: number[] = [];
  let next = 0;
  const tokens = options.tokens ?? [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${url}${path}`,
        connections: options.connections,
        duration: options.seconds,
        requests: [
          {
            setupRequest: (request) =>
              tokens.length === 0
                ? request
                : {
                    ...request,
                    headers: {
                      ...request.headers,
                      authorization: `Bearer ${tokens[next++ % tokens.length]}`,
                    },
                  },
          },
        ],
      },
      (err, done) => (err ? reject(err as Error) : resolve(done)),
    );
    instance.on('response', (_client, status, _bytes, time) => {
      if (status === 200) latencies.push(time);
    });
  });
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    +(latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? 0).toFixed(2);
  return {
    connections: options.connections,
    requests: latencies.length,
    rps: Math.round(latencies.length / result.duration),
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    errors: result.errors + result.non2xx,
  };
}

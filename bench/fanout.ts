/**
 * Benchmark `fanout`: writing posts into followers' timelines on the service shape (PostgreSQL +
 * Redis + RabbitMQ), against real server processes (`all`, plus `--workers N` extra `worker`
 * processes), on a graph generated in SQL: USERS users, all active; push-mode authors followed
 * by the first 1,000, 10,000 and 100,000 users, author B by the first 200,000, celebrity C by
 * everyone (more than CELEBRITY_FOLLOWERS, so C's first post moves C to pull mode).
 *   1. After one unmeasured warm-up post (1,000 followers), each push author publishes
 *      `--posts` posts one after another. Per post, "publish → last follower timeline written"
 *      is the server's own figure: the fan-out job observes glimpse_feed_fanout_lag_seconds
 *      once Redis has acknowledged every write, and with one post in flight the histogram's
 *      _sum moves by exactly that post's lag (glimpse_job_duration_seconds likewise gives the
 *      part spent in the job). The bench polls /metrics only to know when to send the next
 *      post; the post's createdAt (the same PostgreSQL now() as published_at) turns the lag
 *      into "201 → last follower written". Then every follower timeline is checked to end
 *      with the author's posts.
 *   2. Burst: 5 posts by B at once (5 × 200,000 inserts), inserts per second from the first
 *      POST to the last fan-out job done, against `redis-benchmark` ZADD (16-deep pipelines)
 *      run straight after on the same Redis.
 *   3. Celebrity C: the first post promotes C (mode flip, then C's list is built), then 5 more
 *      posts, each written to C's list (and C's own timeline) only: follower writes, keys
 *      holding each post, and the time from 201 to the post in a random follower's first page.
 *   4. Read cost with celebrities: reader R1 follows 5 pull-mode authors and 5 push authors,
 *      R2 follows 10 push authors (12 posts each); GET /feed?limit=20 under autocannon for
 *      each, same duration and connections; R1 ÷ R2.
 * Usage: npm run bench -- fanout [--small] [--posts 5] [--workers 0] [--duration 10] [--connections 16]
 * --small divides the graph (and CELEBRITY_FOLLOWERS) by 10. Needs PostgreSQL, Redis and
 * RabbitMQ (TEST_DATABASE_URL, TEST_REDIS_URL, TEST_AMQP_URL as in the tests) and
 * /usr/bin/redis-benchmark; removes its database, keys, queues and processes, also on failure.
 * Writes bench/results/fanout.json, bench/results/fanout.md and bench/fanout.svg.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';
import { AccessTokens } from '../apps/server/src/accounts/tokens.js';
import { DEFAULT_RABBITMQ_OPTIONS } from '../apps/server/src/adapters/rabbitmq/rabbitmq-queue.js';
import { rabbitMqNames, retryDelays } from '../apps/server/src/adapters/rabbitmq/rabbitmq-topology.js';
import { redisKeys } from '../apps/server/src/adapters/redis/keys.js';
import { createRedisClient, waitUntilReady } from '../apps/server/src/adapters/redis/redis-client.js';
import { RedisTimelineStore } from '../apps/server/src/adapters/redis/redis-timeline-store.js';
import { jobs, topologyOf } from '../apps/server/src/jobs/catalogue.js';
import { startServer, type ServerProcess } from '../apps/server/test/support/process.js';
import { deleteEverything } from '../apps/server/test/support/rabbitmq.js';
import {
  AMQP_URL,
  createTestDatabase,
  postgresAvailable,
  rabbitmqAvailable,
  REDIS_URL,
  redisAvailable,
} from '../apps/server/test/support/services.js';
import { lineChart, writeChart } from './chart.js';
import {
  arg,
  attempt,
  cleanUpOnSignals,
  describeMachine,
  machineInfo,
  markdownTable,
  writeReport,
  writeResults,
} from './common.js';

const SMALL = process.argv.includes('--small');
const SCALE = SMALL ? 10 : 1;
const WORKERS = arg('workers', 0);
const DURATION = arg('duration', 10);
const CONNECTIONS = arg('connections', 16);
const POSTS = arg('posts', 5);

const USERS = 1_000_000 / SCALE;
/** Followers of the push-mode authors of measurement 1, smallest first. */
const PUSH_FOLLOWERS = [1_000, 10_000, 100_000].map((n) => n / SCALE);
/** One unmeasured post first, so no measured one pays for cold connections, scripts and JIT. */
const WARM_UP_FOLLOWERS = PUSH_FOLLOWERS[0]!;
const B_FOLLOWERS = 200_000 / SCALE;
/** The seeds' value; C's USERS followers are above it, everyone else's below. */
const CELEBRITY_FOLLOWERS = 500_000 / SCALE;
const CAP = 800; // FEED_TIMELINE_CAP's default
const B_POSTS = 5;
const C_POSTS = 5; // after the promoting one
const READ_AUTHORS = 10; // per reader
const POSTS_PER_READ_AUTHOR = 12;
/** The resolution of "visible in a follower's page" and of the burst's end. */
const POLL_MS = 20;
/**
 * Polls of /metrics that only decide when to go on (the figure is the server's own), or that
 * are far from the end: each scrape costs the server CPU and RabbitMQ round trips.
 */
const METRICS_POLL_MS = 100;

const TARGET = {
  fanoutSeconds: 1, // issue 5 (10,000 followers); the chart draws it for every size
  insertsPerSecond: 100_000, // issue 8
  insertsVsZadd: 0.5, // issue 5
  followerWritesForCelebrity: 0, // issue 5: "one timeline write"
  readerCost: 1.3, // issue 5: R1 ÷ R2, p50 and p99
};

const run = promisify(execFile);
const started = performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (fromMs: number, toMs = performance.now()) => (toMs - fromMs) / 1000;
const round = (n: number, digits = 3) => +n.toFixed(digits);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (s: number | null) => (s === null ? '?' : `${fmt(s * 1000)} ms`);
const say = (message: string) => console.log(`[${seconds(started).toFixed(1).padStart(6)} s] ${message}`);
const load = () => loadavg().map((l) => round(l, 2));
const met = (ok: boolean) => (ok ? 'met' : 'not met');

/** A post id as the timelines store it: one 8-byte big-endian record. */
function record(id: string): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(id));
  return out;
}
function packSorted(ids: readonly string[]): Buffer {
  return Buffer.concat([...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)).map(record));
}
/** Whether a packed list holds the id (records are 8-byte aligned). */
function holds(list: Buffer | null, id: string): boolean {
  if (!list) return false;
  const want = record(id);
  for (let at = list.indexOf(want); at >= 0; at = list.indexOf(want, at + 1)) if (at % 8 === 0) return true;
  return false;
}
function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let at = 0; at < items.length; at += size) out.push(items.slice(at, at + size));
  return out;
}
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
/** p50 and max of a sample, in seconds. */
function spread(values: readonly number[]) {
  const sorted = [...values].sort((x, y) => x - y);
  return { p50Seconds: round(quantile(sorted, 0.5)), maxSeconds: round(sorted.at(-1)!) };
}

// ---- everything this run creates, removed in `cleanup` ----------------------------------------

const tag = `${process.pid}_${randomBytes(3).toString('hex')}`;
const KEY_PREFIX = `bench_fanout_${tag}:`;
const QUEUE_PREFIX = `bench_fanout_${tag}.`;
const JWT_SECRET = randomBytes(32).toString('hex');
const processes: ServerProcess[] = [];
let database: { url: string; drop: () => Promise<void> } | null = null;
let dataDir: string | null = null;
let db: pg.Client | null = null;
let raw: Redis | null = null;
let store: ReturnType<typeof createRedisClient> | null = null;
let cleaned: Promise<void> | null = null;

async function deleteKeys(redis: Redis): Promise<number> {
  let cursor = '0';
  let removed = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${KEY_PREFIX}*`, 'COUNT', 10_000);
    cursor = next;
    for (const part of chunks(keys, 1_000)) removed += await redis.unlink(...part);
  } while (cursor !== '0');
  return removed;
}

function cleanup(): Promise<void> {
  cleaned ??= (async () => {
    say('cleaning up: server processes, queues, database, Redis keys, data directory');
    await attempt('stopping processes', () =>
      Promise.all(
        processes.map(async (p) => {
          const timer = setTimeout(() => p.proc.kill('SIGKILL'), 15_000);
          await p.stop();
          clearTimeout(timer);
        }),
      ),
    );
    await attempt('closing the database connection', async () => db?.end());
    await attempt('deleting queues', () =>
      deleteEverything([
        rabbitMqNames(
          QUEUE_PREFIX,
          topologyOf(jobs),
          retryDelays(DEFAULT_RABBITMQ_OPTIONS.retryBaseMs, DEFAULT_RABBITMQ_OPTIONS.maxRetryDelayMs),
        ),
      ]),
    );
    await attempt('dropping the database', async () => database?.drop());
    await attempt('deleting Redis keys', async () => {
      if (raw) say(`  ${fmt(await deleteKeys(raw))} Redis keys deleted`);
    });
    store?.disconnect();
    raw?.disconnect();
    if (dataDir)
      await attempt('removing the data directory', () => rm(dataDir!, { recursive: true, force: true }));
  })();
  return cleaned;
}

const signals = cleanUpOnSignals(cleanup);

const q = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
  (await db!.query<R>(text, values)).rows;

// ---- helpers against the running servers --------------------------------------------------

const tokens = new AccessTokens(new TextEncoder().encode(JWT_SECRET));
/** Sessions (one per user who calls the API), made in SQL; tokens signed with the server's secret. */
const sessionOf = new Map<string, string>();
async function token(userId: string): Promise<string> {
  const sessionId = sessionOf.get(userId);
  if (!sessionId) throw new Error(`no session for user ${userId}`);
  return tokens.issue({ userId, sessionId });
}

const api = () => processes[0]!.url;

/** One ready photo per post to come, by author (test/support/world.ts readyMedia, in bulk). */
const mediaOf = new Map<string, string[]>();
const media = (author: string) => mediaOf.get(author)!.pop()!;

interface Published {
  id: string;
  /** The post's created_at, the same PostgreSQL now() as its published_at (epoch ms). */
  createdAtMs: number;
  /** Date.now() when the 201 arrived: the same clock, this is one machine. */
  answeredAtMs: number;
}
async function createPost(authorId: string): Promise<Published> {
  const response = await fetch(`${api()}/api/v1/posts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await token(authorId)}` },
    body: JSON.stringify({ mediaIds: [media(authorId)] }),
  });
  const text = await response.text();
  const answeredAtMs = Date.now();
  if (response.status !== 201) throw new Error(`POST /posts failed: ${response.status} ${text}`);
  const post = JSON.parse(text) as { id: string; createdAt: string };
  return { id: post.id, createdAtMs: Date.parse(post.createdAt), answeredAtMs };
}

async function feedPage(userId: string): Promise<string[]> {
  const response = await fetch(`${api()}/api/v1/feed?limit=20`, {
    headers: { authorization: `Bearer ${await token(userId)}` },
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET /feed failed: ${response.status} ${text}`);
  return (JSON.parse(text) as { posts: { id: string }[] }).posts.map((p) => p.id);
}

/** The feed and job metrics of every process, summed (a job runs in whichever process takes it). */
type Scrape = Map<string, number>;
const SCRAPED = ['glimpse_feed_', 'glimpse_jobs_total', 'glimpse_job_duration_seconds'];
async function scrape(): Promise<Scrape> {
  const total: Scrape = new Map();
  for (const p of processes) {
    const text = await (await fetch(`${p.url}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (!SCRAPED.some((prefix) => line.startsWith(prefix))) continue;
      const at = line.lastIndexOf(' ');
      const series = line.slice(0, at);
      total.set(series, (total.get(series) ?? 0) + Number(line.slice(at + 1)));
    }
  }
  return total;
}
const delta = (before: Scrape, after: Scrape, series: string) =>
  (after.get(series) ?? 0) - (before.get(series) ?? 0);
const WRITES = 'glimpse_feed_timeline_writes_total';
const LAG = 'glimpse_feed_fanout_lag_seconds';
/** Push fan-outs finished (every follower written) between two scrapes. */
const fanoutsDone = (before: Scrape, after: Scrape) => delta(before, after, `${LAG}_count`);
/** The fan-out job's handler time, observed just after the lag when the handler returns. */
const JOB = 'glimpse_job_duration_seconds_%{queue="feed.fanout"}';
const jobSeries = (what: 'count' | 'sum') => JOB.replace('%', what);

/**
 * A histogram's observations between two scrapes: count, mean and interpolated quantiles (as
 * Prometheus's histogram_quantile does), and the upper bound of the highest non-empty bucket.
 */
function histogram(before: Scrape, after: Scrape, name: string, labels = '') {
  const buckets: { le: number; count: number }[] = [];
  for (const series of after.keys()) {
    if (!series.startsWith(`${name}_bucket{${labels}`)) continue;
    const le = /le="([^"]+)"/.exec(series)![1]!;
    buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: delta(before, after, series) });
  }
  buckets.sort((a, b) => a.le - b.le);
  const suffix = labels ? `{${labels.replace(/,$/, '')}}` : '';
  const count = delta(before, after, `${name}_count${suffix}`);
  const sum = delta(before, after, `${name}_sum${suffix}`);
  const at = (q: number) => {
    const target = q * count;
    let previous = { le: 0, count: 0 };
    for (const b of buckets) {
      if (b.count >= target && b.count > previous.count) {
        if (b.le === Infinity) return previous.le;
        return previous.le + ((b.le - previous.le) * (target - previous.count)) / (b.count - previous.count);
      }
      previous = b;
    }
    return NaN;
  };
  const top = buckets.find((b) => b.count === count);
  return {
    count,
    meanSeconds: count ? round(sum / count, 4) : null,
    p50Seconds: count ? round(at(0.5), 4) : null,
    p99Seconds: count ? round(at(0.99), 4) : null,
    maxAtMostSeconds: count && top ? top.le : null,
  };
}

/**
 * Calls of, and microseconds the Redis server has spent in, each command (INFO commandstats;
 * commands run by scripts count too). The server is shared: other clients add to it.
 */
type CommandStats = Map<string, { calls: number; usec: number }>;
async function commandStats(): Promise<CommandStats> {
  const stats: CommandStats = new Map();
  for (const line of (await raw!.info('commandstats')).split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
    if (match) stats.set(match[1]!, { calls: Number(match[2]), usec: Number(match[3]) });
  }
  return stats;
}
const statOf = (stats: CommandStats, command: string) => stats.get(command) ?? { calls: 0, usec: 0 };

const homeKey = (userId: string) => KEY_PREFIX + redisKeys.homeTimeline(userId);
const authorKey = (userId: string) => KEY_PREFIX + redisKeys.authorPosts(userId);

/** The newest record of each list (null when missing or empty), pipelined. */
async function newestOf(keys: readonly string[]): Promise<(Buffer | null)[]> {
  const out: (Buffer | null)[] = [];
  for (const part of chunks(keys, 10_000)) {
    const pipeline = raw!.pipeline();
    for (const key of part) pipeline.getrangeBuffer(key, -8, -1);
    for (const [err, value] of (await pipeline.exec())!) {
      if (err) throw err;
      out.push((value as Buffer).length === 8 ? (value as Buffer) : null);
    }
  }
  return out;
}

/** Throws unless every follower's timeline ends with exactly these posts, in id order. */
async function assertTimelinesEndWith(followers: readonly string[], postIds: readonly string[]) {
  const tail = packSorted(postIds);
  let wrong = 0;
  for (const part of chunks(followers.map(homeKey), 10_000)) {
    const pipeline = raw!.pipeline();
    for (const key of part) pipeline.getrangeBuffer(key, -tail.length, -1);
    for (const [err, value] of (await pipeline.exec())!) if (err || !(value as Buffer).equals(tail)) wrong++;
  }
  if (wrong > 0)
    throw new Error(
      `${fmt(wrong)} of ${fmt(followers.length)} timelines do not end with the ${postIds.length} posts`,
    );
}

async function until<T>(
  what: string,
  probe: () => Promise<T | null | false>,
  timeoutMs: number,
  pollMs: number | (() => number) = POLL_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(typeof pollMs === 'number' ? pollMs : pollMs());
  }
}

interface LoadFigures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}
async function hammer(url: string, headers: Record<string, string>, duration: number): Promise<LoadFigures> {
  const result = await autocannon({ url, headers, connections: CONNECTIONS, duration });
  return {
    rps: Math.round(result['2xx'] / result.duration),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

// ---- setup: services, servers, graph ------------------------------------------------------

async function startEverything(): Promise<void> {
  for (const [name, available] of [
    ['PostgreSQL', postgresAvailable],
    ['Redis', redisAvailable],
    ['RabbitMQ', rabbitmqAvailable],
  ] as const) {
    if (!(await available())) throw new Error(`${name} is not reachable; this benchmark needs it`);
  }
  say('creating a database, a data directory and the Redis clients');
  database = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'glimpse-bench-fanout-'));
  raw = new Redis(REDIS_URL);
  store = createRedisClient({ kind: 'single', url: REDIS_URL, keyPrefix: KEY_PREFIX });
  await waitUntilReady(store, 5_000);
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.url,
    REDIS_URL,
    REDIS_KEY_PREFIX: KEY_PREFIX,
    AMQP_URL,
    AMQP_QUEUE_PREFIX: QUEUE_PREFIX,
    JWT_SECRET,
    CELEBRITY_FOLLOWERS: String(CELEBRITY_FOLLOWERS),
    FEED_TIMELINE_CAP: String(CAP),
  };
  say('starting the server (role all; it applies the migrations)');
  processes.push(await startServer('all', env));
  for (let i = 0; i < WORKERS; i++) {
    say(`starting worker process ${i + 1} of ${WORKERS}`);
    processes.push(await startServer('worker', env));
  }
  db = new pg.Client(database.url);
  await db.connect();
  await db.query('SET synchronous_commit = off');
}

interface Graph {
  warmUp: string;
  /** The push authors of measurement 1, with their follower counts, smallest first. */
  pushAuthors: { id: string; followers: number }[];
  authorB: string;
  celebrity: string;
  /** Authors of measurement 4: pull-mode on paper (no followers but the reader), and push. */
  pulled: string[];
  pushed: string[];
  reader1: string;
  reader2: string;
  /** B's followers in rank order; the first n of them follow the n-follower push author. */
  followers: string[];
  follows: number;
  seconds: { users: number; follows: number; countsAndAnalyze: number; total: number };
}

async function namedUsers(names: string[], following = 0, mode = 'push'): Promise<string[]> {
  const rows = await q<{ id: string }>(
    `INSERT INTO users (username, email, password_hash, feed_read_at, following_count, feed_mode)
     SELECT u, u || '@bench.example.com', 'not-a-password-hash', now(), $2, $3
       FROM unnest($1::text[]) WITH ORDINALITY AS x (u, i) ORDER BY i
     RETURNING id`,
    [names, following, mode],
  );
  return rows.map((r) => r.id);
}

/**
 * USERS users, defined by rank (bench_users.n): the author with n followers is followed by
 * ranks 1..n, so following_count follows from the rank, with no pass over the follows later.
 */
async function generateUsers(prefixSizes: readonly number[]): Promise<void> {
  await q('CREATE TABLE bench_users (n integer PRIMARY KEY, id bigint NOT NULL)');
  const follows = prefixSizes.map((_, i) => `(g <= $${i + 2})::int`).join(' + ');
  await q(
    `WITH made AS (
       INSERT INTO users (username, email, password_hash, feed_read_at, following_count)
       SELECT 'u' || g, 'u' || g || '@bench.example.com', 'not-a-password-hash', now(), 1 + ${follows}
         FROM generate_series(1, $1::int) g
       RETURNING id, username)
     INSERT INTO bench_users SELECT substr(username, 2)::int, id FROM made`,
    [USERS, ...prefixSizes],
  );
}

async function followByRank(author: string, count: number): Promise<void> {
  await q(
    `INSERT INTO follows (follower_id, followee_id, id, state)
     SELECT id, $1, next_id(shard_of(id)), 'accepted' FROM bench_users WHERE n <= $2 ORDER BY n`,
    [author, count],
  );
}

async function setAndCheckCounts(pulled: readonly string[]): Promise<void> {
  await q(
    `UPDATE users u SET follower_count = f.c
       FROM (SELECT followee_id, count(*)::int AS c FROM follows WHERE state = 'accepted' GROUP BY followee_id) f
      WHERE u.id = f.followee_id`,
  );
  const [check] = await q<{ follows: string; following: string; followers: string }>(
    `SELECT (SELECT count(*) FROM follows) AS follows,
            (SELECT sum(following_count) FROM users) AS following,
            (SELECT sum(follower_count) FROM users) AS followers`,
  );
  if (check!.follows !== check!.following || check!.follows !== check!.followers)
    throw new Error(`inconsistent counts: ${JSON.stringify(check)}`);
  // The pull-mode authors of measurement 4 are celebrities on paper only: mode and count set
  // here, so that their posts go to their lists without a million followers each.
  await q('UPDATE users SET follower_count = $2 WHERE id = ANY($1::bigint[])', [
    pulled,
    Math.round(CELEBRITY_FOLLOWERS * 1.2),
  ]);
  await q('VACUUM ANALYZE users');
  await q('VACUUM ANALYZE follows');
}

async function generateGraph(): Promise<Graph> {
  say(`generating ${fmt(USERS)} users`);
  const t0 = performance.now();
  await generateUsers([WARM_UP_FOLLOWERS, ...PUSH_FOLLOWERS, B_FOLLOWERS]);
  const t1 = performance.now();
  const [warmUp] = await namedUsers(['warm_up']);
  const pushIds = await namedUsers(PUSH_FOLLOWERS.map((n) => `author_${n}`));
  const [authorB, celebrity] = await namedUsers(['author_b', 'celebrity_c']);
  const half = READ_AUTHORS / 2;
  const pulled = await namedUsers(
    Array.from({ length: half }, (_, i) => `pulled_${i + 1}`),
    0,
    'pull',
  );
  const pushed = await namedUsers(Array.from({ length: READ_AUTHORS }, (_, i) => `pushed_${i + 1}`));
  const [reader1, reader2] = await namedUsers(['reader_1', 'reader_2'], READ_AUTHORS);

  const byRank: [string, number][] = [
    [warmUp!, WARM_UP_FOLLOWERS],
    ...pushIds.map((id, i): [string, number] => [id, PUSH_FOLLOWERS[i]!]),
    [authorB!, B_FOLLOWERS],
    [celebrity!, USERS],
  ];
  const follows = byRank.reduce((n, [, count]) => n + count, 0);
  say(`generating ${fmt(follows)} follows`);
  for (const [author, count] of byRank) await followByRank(author, count);
  const readerFollows = [
    ...[...pulled, ...pushed.slice(0, half)].map((a) => [reader1!, a]),
    ...pushed.map((a) => [reader2!, a]),
  ];
  await q(
    `INSERT INTO follows (follower_id, followee_id, id, state)
     SELECT f, a, next_id(shard_of(f)), 'accepted' FROM unnest($1::bigint[], $2::bigint[]) AS x (f, a)`,
    [readerFollows.map((p) => p[0]), readerFollows.map((p) => p[1])],
  );
  const t2 = performance.now();
  say('setting follower counts (one UPDATE), checking them, VACUUM ANALYZE');
  await setAndCheckCounts(pulled);
  const t3 = performance.now();
  const followers = (
    await q<{ id: string }>('SELECT id::text AS id FROM bench_users WHERE n <= $1 ORDER BY n', [B_FOLLOWERS])
  ).map((r) => r.id);
  const graph: Graph = {
    warmUp: warmUp!,
    pushAuthors: pushIds.map((id, i) => ({ id, followers: PUSH_FOLLOWERS[i]! })),
    authorB: authorB!,
    celebrity: celebrity!,
    pulled,
    pushed,
    reader1: reader1!,
    reader2: reader2!,
    followers,
    follows,
    seconds: {
      users: round(seconds(t0, t1), 1),
      follows: round(seconds(t1, t2), 1),
      countsAndAnalyze: round(seconds(t2, t3), 1),
      total: round(seconds(t0, t3), 1),
    },
  };
  say(
    `graph generated in ${graph.seconds.total} s (users ${graph.seconds.users} s, follows ${graph.seconds.follows} s)`,
  );
  return graph;
}

/** Sessions for every caller, and one ready photo for every post each author will publish. */
async function prepareCallers(graph: Graph, sampled: readonly string[]): Promise<void> {
  const { pushAuthors, authorB, celebrity, pulled, pushed, reader1, reader2 } = graph;
  const postsBy = new Map<string, number>([
    [graph.warmUp, 1],
    ...pushAuthors.map((a): [string, number] => [a.id, POSTS]),
    [authorB, B_POSTS],
    [celebrity, C_POSTS + 1],
    ...[...pulled, ...pushed].map((a): [string, number] => [a, POSTS_PER_READ_AUTHOR]),
  ]);
  const callers = [...postsBy.keys(), reader1, reader2, ...sampled];
  for (const row of await q<{ id: string; user_id: string }>(
    `INSERT INTO sessions (id, user_id, expires_at)
     SELECT next_id(shard_of(u)), u, now() + interval '1 day' FROM unnest($1::bigint[]) AS x (u)
     RETURNING id::text, user_id::text`,
    [[...new Set(callers)]],
  ))
    sessionOf.set(row.user_id, row.id);
  const owners = [...postsBy].flatMap(([a, n]) => Array<string>(n).fill(a));
  for (const row of await q<{ id: string; owner_id: string }>(
    `INSERT INTO media (id, owner_id, status, content_type, size_bytes, width, height, blurhash, dominant_color)
     SELECT next_id(shard_of(o)), o, 'ready', 'image/jpeg', 1000, 1200, 800, 'LKO2?U%2Tw=w', '#808080'
       FROM unnest($1::bigint[]) AS x (o)
     RETURNING id::text, owner_id::text`,
    [owners],
  ))
    mediaOf.set(row.owner_id, [...(mediaOf.get(row.owner_id) ?? []), row.id]);
}

/** Empty timelines for everyone a push reaches: pushes only land in timelines that exist. */
async function createTimelines(graph: Graph): Promise<number> {
  const home = new RedisTimelineStore(store!, redisKeys.homeTimeline);
  const authorLists = new RedisTimelineStore(store!, redisKeys.authorPosts);
  const { pushAuthors, authorB, celebrity, pulled, pushed, reader1, reader2 } = graph;
  const everyHome = [
    ...graph.followers,
    graph.warmUp,
    ...pushAuthors.map((a) => a.id),
    authorB,
    celebrity,
    ...pulled,
    ...pushed,
    reader1,
    reader2,
  ];
  say(`creating ${fmt(everyHome.length)} empty timelines`);
  const t0 = performance.now();
  for (const part of chunks(everyHome, 5_000))
    await Promise.all(part.map((id) => home.completeRebuild(id, [], CAP)));
  await Promise.all(pulled.map((id) => authorLists.completeRebuild(id, [], CAP)));
  say(`  done in ${seconds(t0).toFixed(1)} s`);
  return everyHome.length;
}

// ---- 1. push authors, one post at a time --------------------------------------------------

interface PostFanout {
  /** published_at → the job's last Redis write acknowledged (the server's histogram). */
  publishToWrittenSeconds: number;
  /** The part of it spent in the job's handler; the rest is commit, outbox relay and RabbitMQ. */
  jobSeconds: number;
  /** The 201 arriving → the same moment. */
  answerToWrittenSeconds: number;
}

/** Publishes one post and waits for its fan-out job to observe the lag; nothing else is in flight. */
async function publishOne(author: string): Promise<Published & PostFanout> {
  const before = await scrape();
  const post = await createPost(author);
  const after = await until(
    `the fan-out of post ${post.id}`,
    async () => {
      const now = await scrape();
      return fanoutsDone(before, now) > 0 && delta(before, now, jobSeries('count')) > 0 && now;
    },
    120_000,
    METRICS_POLL_MS,
  );
  if (fanoutsDone(before, after) !== 1)
    throw new Error('more than one fan-out finished: something else posted');
  const lag = delta(before, after, `${LAG}_sum`);
  return {
    ...post,
    publishToWrittenSeconds: round(lag, 4),
    jobSeconds: round(delta(before, after, jobSeries('sum')), 4),
    answerToWrittenSeconds: round((post.createdAtMs + lag * 1000 - post.answeredAtMs) / 1000, 4),
  };
}

async function measureAuthor(author: { id: string; followers: number }, graph: Graph) {
  say(`1. ${POSTS} posts by the author with ${fmt(author.followers)} followers, one after another`);
  const before = await scrape();
  const posts: (Published & PostFanout)[] = [];
  for (let i = 0; i < POSTS; i++) {
    const post = await publishOne(author.id);
    posts.push(post);
    say(
      `  post ${i + 1}: publish → last follower written ${ms(post.publishToWrittenSeconds)} (in the job ${ms(post.jobSeconds)}; 201 → written ${ms(post.answerToWrittenSeconds)})`,
    );
  }
  const writes = delta(before, await scrape(), WRITES);
  const expected = author.followers * POSTS;
  if (writes !== expected) throw new Error(`${fmt(writes)} timeline writes, expected ${fmt(expected)}`);
  await assertTimelinesEndWith(
    graph.followers.slice(0, author.followers),
    posts.map((p) => p.id),
  );
  const publish = spread(posts.map((p) => p.publishToWrittenSeconds));
  const job = spread(posts.map((p) => p.jobSeconds));
  return {
    followers: author.followers,
    posts: POSTS,
    publishToWritten: publish,
    // Negative when the job finished before the 201 reached the client.
    answerToWritten: spread(posts.map((p) => p.answerToWrittenSeconds)),
    job,
    perPost: posts.map(({ publishToWrittenSeconds, answerToWrittenSeconds, jobSeconds }) => ({
      publishToWrittenSeconds,
      answerToWrittenSeconds,
      jobSeconds,
    })),
    // One post's inserts over its fan-out time, at the median post; and over its job alone.
    insertsPerSecond: Math.round(author.followers / publish.p50Seconds),
    insertsPerSecondInJob: Math.round(author.followers / job.p50Seconds),
    timelineWrites: writes,
    everyTimelineChecked: true,
    targetSeconds: TARGET.fanoutSeconds,
    met: publish.maxSeconds < TARGET.fanoutSeconds,
  };
}
type AuthorResult = Awaited<ReturnType<typeof measureAuthor>>;

// ---- 2. the burst, against redis-benchmark ------------------------------------------------

/** `redis-benchmark` pipelined ZADD on the same Redis: the ceiling, in ops/s and server µs. */
async function zaddCeiling() {
  say('  running redis-benchmark ZADD (16-deep pipelines) on the same Redis');
  const key = `${KEY_PREFIX}zadd_ceiling`;
  const requests = 1_000_000;
  const options = ['-P', '16', '-n', String(requests), '-r', '100000', '-q'];
  const command = ['zadd', key, '__rand_int__', '__rand_int__'];
  const before = statOf(await commandStats(), 'zadd');
  const { stdout } = await run('/usr/bin/redis-benchmark', ['-u', REDIS_URL, ...options, ...command], {
    maxBuffer: 1 << 24,
  });
  const after = statOf(await commandStats(), 'zadd');
  await raw!.unlink(key);
  const rates = [...stdout.matchAll(/([\d.]+) requests per second/g)];
  if (rates.length === 0) throw new Error(`no rate in redis-benchmark output: ${stdout}`);
  return {
    command: `redis-benchmark ${[...options, ...command].join(' ')}`,
    opsPerSecond: Math.round(Number(rates.at(-1)![1])),
    redisServerMicrosPerZadd: round((after.usec - before.usec) / requests, 2),
  };
}

async function measureBurst(graph: Graph) {
  const inserts = B_POSTS * B_FOLLOWERS;
  say(`2. ${B_POSTS} posts by B at once: ${fmt(inserts)} timeline inserts`);
  const before = await scrape();
  const redis0 = await commandStats();
  const t0 = performance.now();
  const posts = await Promise.all(Array.from({ length: B_POSTS }, () => createPost(graph.authorB)));
  say(`  all ${B_POSTS} answered 201 after ${fmt(seconds(t0) * 1000)} ms; waiting for the fan-out`);
  let lastReport = performance.now();
  let written = 0;
  const done = await until(
    'the burst',
    async () => {
      const now = await scrape();
      written = delta(before, now, WRITES);
      if (performance.now() - lastReport > 2_000) {
        lastReport = performance.now();
        say(`  ${fmt(written)} of ${fmt(inserts)} inserts`);
      }
      return fanoutsDone(before, now) >= B_POSTS && performance.now();
    },
    600_000,
    // The end is timed to POLL_MS; until the last tenth, fewer scrapes disturb the burst less.
    () => (written < 0.9 * inserts ? METRICS_POLL_MS : POLL_MS),
  );
  const redis1 = await commandStats();
  const after = await scrape();
  const burstSeconds = seconds(t0, done);
  const writes = delta(before, after, WRITES);
  if (writes !== inserts) throw new Error(`${fmt(writes)} timeline writes, expected ${fmt(inserts)}`);
  say(`  ${fmt(inserts)} inserts in ${burstSeconds.toFixed(2)} s; checking every timeline`);
  await assertTimelinesEndWith(
    graph.followers,
    posts.map((p) => p.id),
  );
  const ceiling = await zaddCeiling();
  const insertsPerSecond = inserts / burstSeconds;
  const evalsha = (stats: CommandStats) => statOf(stats, 'evalsha');
  return {
    posts: B_POSTS,
    followers: B_FOLLOWERS,
    inserts,
    seconds: round(burstSeconds),
    insertsPerSecond: Math.round(insertsPerSecond),
    redisBenchmarkZadd: ceiling,
    insertsVsZadd: round(insertsPerSecond / ceiling.opsPerSecond, 2),
    target: { insertsPerSecond: TARGET.insertsPerSecond, insertsVsZadd: TARGET.insertsVsZadd },
    met: {
      insertsPerSecond: insertsPerSecond >= TARGET.insertsPerSecond,
      insertsVsZadd: insertsPerSecond / ceiling.opsPerSecond >= TARGET.insertsVsZadd,
    },
    // Every EVALSHA on the shared server in the window (other clients' too): an upper bound.
    redisServerMicrosPerInsert: round((evalsha(redis1).usec - evalsha(redis0).usec) / inserts, 2),
    redisEvalshaCalls: evalsha(redis1).calls - evalsha(redis0).calls,
    // What the push script ran per insert (GETRANGE, EXISTS for an empty list, APPEND, and
    // MEMORY USAGE when an append crosses an allocator size class).
    redisCommandsPerInsert: Object.fromEntries(
      ['getrange', 'setrange', 'exists', 'append', 'memory|usage', 'copy', 'rename', 'set', 'get'].map(
        (c) => [c, round((statOf(redis1, c).calls - statOf(redis0, c).calls) / inserts, 2)],
      ),
    ),
    serverFanoutLag: histogram(before, after, LAG),
  };
}
type BurstResult = Awaited<ReturnType<typeof measureBurst>>;

// ---- 3. the celebrity ---------------------------------------------------------------------

/** C's first post: C moves to pull mode and C's list is built; seconds from the 201 to the list. */
async function promoteCelebrity(celebrity: string) {
  const list = authorKey(celebrity);
  const rebuilding = KEY_PREFIX + redisKeys.listRebuilding(redisKeys.authorPosts(celebrity));
  const first = await createPost(celebrity);
  const answered = performance.now();
  const built = await until(
    "C's list",
    async () => {
      const [newest] = await newestOf([list]);
      return !!newest?.equals(record(first.id)) && (await raw!.exists(rebuilding)) === 0 && performance.now();
    },
    120_000,
  );
  const [{ feed_mode: mode } = { feed_mode: '?' }] = await q<{ feed_mode: string }>(
    'SELECT feed_mode FROM users WHERE id = $1',
    [celebrity],
  );
  if (mode !== 'pull') throw new Error(`C is in ${mode} mode after the first post`);
  return { firstPost: first.id, mode, listBuiltSecondsAfter201: round(seconds(answered, built)) };
}

/** A post by C, and the time from its 201 until it is in the reader's first page. */
async function celebrityPostSeenBy(celebrity: string, reader: string) {
  const post = await createPost(celebrity);
  const answered = performance.now();
  let reads = 0;
  const visible = await until(
    `C's post in a follower's feed`,
    async () => {
      reads++;
      return (await feedPage(reader)).includes(post.id) && performance.now();
    },
    60_000,
  );
  return { postId: post.id, reader, seconds: round(seconds(answered, visible)), reads };
}

async function measureCelebrity(graph: Graph, sampled: readonly string[]) {
  const { celebrity, followers } = graph;
  say(`3. celebrity C (${fmt(USERS)} followers): the first post promotes C to pull mode`);
  const before = await scrape();
  const promotion = await promoteCelebrity(celebrity);
  say(
    `  C is in pull mode; the list holds the first post ${ms(promotion.listBuiltSecondsAfter201)} after its 201`,
  );
  const writesAfterPromotion = delta(before, await scrape(), WRITES);
  const beforePosts = await scrape();
  const posts = [];
  for (const reader of sampled) {
    const post = await celebrityPostSeenBy(celebrity, reader);
    posts.push(post);
    say(
      `  post ${posts.length}: in follower ${reader}'s first page ${ms(post.seconds)} after its 201 (${post.reads} read(s))`,
    );
  }
  // Give any stray write the time to land before counting where the posts went.
  await sleep(1_000);
  const after = await scrape();
  say(`  counting which of the ${fmt(followers.length + 2)} lists hold C's posts`);
  const [list, own] = await Promise.all([
    raw!.getBuffer(authorKey(celebrity)),
    raw!.getBuffer(homeKey(celebrity)),
  ]);
  const first = record(promotion.firstPost);
  const followerTimelinesHoldingAnyCPost = (await newestOf(followers.map(homeKey))).filter(
    (newest) => newest && newest.compare(first) >= 0,
  ).length;
  const keysHoldingEachPost = posts.map((p) => Number(holds(list, p.postId)) + Number(holds(own, p.postId)));
  const writesAllPosts = delta(before, after, WRITES);
  if (keysHoldingEachPost.some((n) => n !== 2) || followerTimelinesHoldingAnyCPost > 0)
    say(`  UNEXPECTED: C's posts are not exactly in C's list and C's own timeline`);
  return {
    followers: USERS,
    celebrityFollowersSetting: CELEBRITY_FOLLOWERS,
    promotion: { ...promotion, followerWrites: writesAfterPromotion },
    posts: posts.length,
    followerTimelineWrites: delta(beforePosts, after, WRITES),
    // The promoting post and the ones after it, counted after a quiet second.
    followerTimelineWritesAllPosts: writesAllPosts,
    fanoutLagObservations: fanoutsDone(before, after),
    keysHoldingEachPost,
    followerTimelinesHoldingAnyCPost,
    bytesPerPost: 8 * 2,
    celebrityListEntries: (list?.length ?? 0) / 8,
    celebrityListMemoryBytes: Number(await raw!.memory('USAGE', authorKey(celebrity), 'SAMPLES', 0)),
    visibleInFollowerFeed: {
      pollMs: POLL_MS,
      ...spread(posts.map((p) => p.seconds)),
      perPost: posts.map(({ seconds: s, reads }) => ({ seconds: s, reads })),
    },
    target: { followerTimelineWrites: TARGET.followerWritesForCelebrity },
    met: writesAllPosts === TARGET.followerWritesForCelebrity && followerTimelinesHoldingAnyCPost === 0,
  };
}
type CelebrityResult = Awaited<ReturnType<typeof measureCelebrity>>;

// ---- 4. read cost with celebrities --------------------------------------------------------

async function fillReaderTimelines(graph: Graph): Promise<void> {
  const { pulled, pushed, reader1, reader2 } = graph;
  const authors = [...pulled, ...pushed];
  for (let r = 0; r < POSTS_PER_READ_AUTHOR; r++) await Promise.all(authors.map((a) => createPost(a)));
  const lengthOf = async (key: string) => (await raw!.strlen(key)) / 8;
  const want = POSTS_PER_READ_AUTHOR;
  await until(
    'the readers’ timelines and the pull-mode lists',
    async () => {
      const [r1, r2, lists] = await Promise.all([
        lengthOf(homeKey(reader1)),
        lengthOf(homeKey(reader2)),
        Promise.all(pulled.map((a) => lengthOf(authorKey(a)))),
      ]);
      return r1 === want * (READ_AUTHORS / 2) && r2 === want * READ_AUTHORS && lists.every((n) => n === want);
    },
    120_000,
  );
}

async function measureReaders(graph: Graph) {
  const { pulled, reader1, reader2 } = graph;
  say(
    `4. readers: R1 follows ${pulled.length} pull-mode + ${READ_AUTHORS / 2} push authors, R2 ${READ_AUTHORS} push authors; ${POSTS_PER_READ_AUTHOR} posts each`,
  );
  await fillReaderTimelines(graph);
  say('  timelines and lists complete; warming up');
  const r1Page = await feedPage(reader1);
  const r2Page = await feedPage(reader2);
  if (r1Page.length !== 20 || r2Page.length !== 20) throw new Error('a reader’s first page is not full');
  const [{ pulled_in_page: pulledInPage } = { pulled_in_page: 0 }] = await q<{ pulled_in_page: number }>(
    'SELECT count(*)::int AS pulled_in_page FROM posts WHERE id = ANY($1::bigint[]) AND author_id = ANY($2::bigint[])',
    [r1Page, pulled],
  );
  const feedUrl = `${api()}/api/v1/feed?limit=20`;
  const headersOf = async (user: string) => ({ authorization: `Bearer ${await token(user)}` });
  await hammer(feedUrl, await headersOf(reader1), 2);
  await hammer(feedUrl, await headersOf(reader2), 2);
  const before = await scrape();
  const figures: Record<'r1' | 'r2', LoadFigures & { serverMeanMs: number | null }> = {} as never;
  for (const [name, user] of [
    ['r1', reader1],
    ['r2', reader2],
  ] as const) {
    say(`  autocannon: ${name.toUpperCase()}, ${DURATION} s, ${CONNECTIONS} connections`);
    const from = await scrape();
    const loadFigures = await hammer(feedUrl, await headersOf(user), DURATION);
    const read = histogram(from, await scrape(), 'glimpse_feed_read_seconds', 'source="timeline",');
    figures[name] = {
      ...loadFigures,
      serverMeanMs: read.meanSeconds === null ? null : round(read.meanSeconds * 1000, 2),
    };
  }
  const after = await scrape();
  const fallbacks = [...after.keys()]
    .filter((s) => s.startsWith('glimpse_feed_timeline_fallbacks_total'))
    .reduce((n, s) => n + delta(before, after, s), 0);
  const { r1, r2 } = figures;
  const ratio = {
    rps: round(r1.rps / r2.rps, 2),
    p50: round(r1.p50 / r2.p50, 2),
    p99: round(r1.p99 / r2.p99, 2),
    serverMean: r1.serverMeanMs && r2.serverMeanMs ? round(r1.serverMeanMs / r2.serverMeanMs, 2) : null,
  };
  return {
    durationSeconds: DURATION,
    connections: CONNECTIONS,
    postsPerAuthor: POSTS_PER_READ_AUTHOR,
    r1: {
      follows: { pull: pulled.length, push: READ_AUTHORS / 2 },
      pulledPostsInFirstPage: pulledInPage,
      ...r1,
    },
    r2: { follows: { pull: 0, push: READ_AUTHORS }, ...r2 },
    fallbacksDuringLoad: fallbacks,
    r1VsR2: ratio,
    target: TARGET.readerCost,
    met: ratio.p50 <= TARGET.readerCost && ratio.p99 <= TARGET.readerCost,
  };
}
type ReaderResult = Awaited<ReturnType<typeof measureReaders>>;

// ---- the report -----------------------------------------------------------------------------

function fanoutChart(authors: readonly AuthorResult[]): string {
  const points = (pick: (a: AuthorResult) => number) =>
    authors.map((a): [number, number] => [a.followers, round(pick(a) * 1000, 1)]);
  return lineChart({
    title: `Fan-out: publish → last follower timeline written (${POSTS} posts per author)`,
    xLabel: 'followers',
    yLabel: 'ms',
    xLog: true,
    yLog: true,
    series: [
      { name: 'p50', points: points((a) => a.publishToWritten.p50Seconds) },
      { name: 'max', points: points((a) => a.publishToWritten.maxSeconds) },
    ],
    targets: [{ y: TARGET.fanoutSeconds * 1000, label: `${TARGET.fanoutSeconds} s target` }],
  });
}

function summaryTable(
  authors: readonly AuthorResult[],
  burst: BurstResult,
  celebrity: CelebrityResult,
  readers: ReaderResult,
): string {
  const rows: [string, string, string][] = [
    ...authors.map((a): [string, string, string] => [
      `author with ${fmt(a.followers)} followers, ${a.posts} posts one after another`,
      `publish → last follower written p50 **${ms(a.publishToWritten.p50Seconds)}**, max **${ms(a.publishToWritten.maxSeconds)}** (in the job p50 ${ms(a.job.p50Seconds)}; 201 → written p50 ${ms(a.answerToWritten.p50Seconds)}); ${fmt(a.insertsPerSecond)} inserts/s (${fmt(a.insertsPerSecondInJob)}/s in the job)`,
      `max < ${TARGET.fanoutSeconds} s: ${met(a.met)}`,
    ]),
    [
      `${burst.posts} posts by B (${fmt(burst.followers)} followers) at once, ${fmt(burst.inserts)} inserts, end to end`,
      `**${fmt(burst.insertsPerSecond)} inserts/s** (${burst.seconds} s)`,
      `≥ ${fmt(TARGET.insertsPerSecond)}/s: ${met(burst.met.insertsPerSecond)}`,
    ],
    [
      '  the same vs `redis-benchmark -P 16` ZADD, same Redis, same run',
      `${fmt(burst.redisBenchmarkZadd.opsPerSecond)} ZADD/s → **${burst.insertsVsZadd}**; Redis server ${burst.redisServerMicrosPerInsert} µs/insert, ${burst.redisBenchmarkZadd.redisServerMicrosPerZadd} µs/ZADD`,
      `≥ ${TARGET.insertsVsZadd}: ${met(burst.met.insertsVsZadd)}`,
    ],
    [
      `celebrity C (${fmt(celebrity.followers)} followers), promoting post + ${celebrity.posts} posts`,
      `mode ${celebrity.promotion.mode} (list built ${ms(celebrity.promotion.listBuiltSecondsAfter201)} after the 201); keys written per post: ${celebrity.keysHoldingEachPost.join(', ')} (C's list + C's own timeline, ${celebrity.bytesPerPost} B); **${fmt(celebrity.followerTimelineWritesAllPosts)} follower timeline writes**; in a random follower's first page p50 ${ms(celebrity.visibleInFollowerFeed.p50Seconds)}, max ${ms(celebrity.visibleInFollowerFeed.maxSeconds)} after the 201`,
      `0 follower writes: ${met(celebrity.met)}`,
    ],
    ...(['r1', 'r2'] as const).map((r): [string, string, string] => [
      `GET /feed?limit=20, ${r.toUpperCase()} (${r === 'r1' ? '5 pull + 5 push authors' : '10 push authors'})`,
      `${fmt(readers[r].rps)} req/s, p50 ${readers[r].p50} ms, p99 ${readers[r].p99} ms, server mean ${readers[r].serverMeanMs} ms, errors ${readers[r].errors + readers[r].non2xx}`,
      '',
    ]),
    [
      '  R1 ÷ R2',
      `p50 **${readers.r1VsR2.p50}x**, p99 **${readers.r1VsR2.p99}x** (req/s ${readers.r1VsR2.rps}, server mean ${readers.r1VsR2.serverMean}); fallbacks ${readers.fallbacksDuringLoad}`,
      `≤ ${TARGET.readerCost}x: ${met(readers.met)}`,
    ],
  ];
  return markdownTable(['measurement', 'figure', 'target'], rows);
}

// ---- the run --------------------------------------------------------------------------------

async function main(): Promise<void> {
  const loadAtStart = load();
  say(
    `fanout benchmark: ${fmt(USERS)} users${SMALL ? ' (--small)' : ''}, ${WORKERS} extra worker process(es); load average ${loadAtStart.join(' ')}`,
  );
  await startEverything();
  const graph = await generateGraph();
  const sampled = Array.from(
    { length: C_POSTS },
    () => graph.followers[Math.floor(Math.random() * graph.followers.length)]!,
  );
  await prepareCallers(graph, sampled);
  const timelines = await createTimelines(graph);

  const warmUp = await publishOne(graph.warmUp);
  say(
    `warm-up post (${fmt(WARM_UP_FOLLOWERS)} followers, not counted): ${ms(warmUp.publishToWrittenSeconds)}`,
  );
  const authors: AuthorResult[] = [];
  for (const author of graph.pushAuthors) authors.push(await measureAuthor(author, graph));
  const burst = await measureBurst(graph);
  const celebrity = await measureCelebrity(graph, sampled);
  const readers = await measureReaders(graph);

  const report = {
    scenario: 'fanout',
    date: new Date().toISOString(),
    machine: await machineInfo({ loadAverageAtStart: loadAtStart, loadAverageAtEnd: load() }),
    graph: {
      small: SMALL,
      users: USERS,
      follows: graph.follows,
      celebrityFollowers: CELEBRITY_FOLLOWERS,
      generationSeconds: graph.seconds,
      emptyTimelinesCreated: timelines,
    },
    processes: { all: 1, worker: WORKERS },
    authors,
    burst,
    celebrity,
    readCost: readers,
    runSeconds: round(seconds(started), 1),
  };
  await writeResults('fanout', report);
  await writeChart('fanout', fanoutChart(authors));
  await writeReport(
    'fanout',
    [
      '# fanout',
      '',
      `${describeMachine(report.machine)}; load average ${loadAtStart.join(' ')} at the start, ${report.machine.loadAverageAtEnd.join(' ')} at the end.`,
      `${fmt(USERS)} users${SMALL ? ' (--small)' : ''}, graph generated in ${graph.seconds.total} s; one \`all\` process and ${WORKERS} extra worker(s); ${report.runSeconds} s in all.`,
      '',
      summaryTable(authors, burst, celebrity, readers),
      '',
      'results: bench/results/fanout.json, chart: bench/fanout.svg',
    ].join('\n'),
  );
}

try {
  await main();
} catch (err) {
  // After Ctrl-C the run fails because its servers are gone: nothing worth printing.
  if (!signals.interrupted) {
    console.error(err);
    for (const [i, p] of processes.entries()) {
      const output = p.output().trim();
      if (output)
        console.error(
          `\n--- process ${i} (${i === 0 ? 'all' : 'worker'}) output, last 3000 characters ---\n${output.slice(-3000)}`,
        );
    }
  }
  process.exitCode = 1;
} finally {
  await cleanup();
}

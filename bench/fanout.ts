/**
 * Benchmark: the home feed on the service shape (PostgreSQL + Redis + RabbitMQ), against real
 * server processes (`all`, plus `--workers N` extra `worker` processes), on a generated graph:
 * USERS users, all active; author A followed by the first 1%, B by the first 20%, celebrity C
 * by everyone (more than CELEBRITY_FOLLOWERS, so C's first post moves C to pull mode).
 *   1. A's post → every follower timeline: from the POST's 201 to the last timeline holding
 *      it (Redis polled every 20 ms), 10 posts one after another; and the server's own
 *      glimpse_feed_fanout_lag_seconds.
 *   2. Large fan-out: 5 posts by B at once (5 × 20% of USERS inserts), inserts per second from
 *      the first POST to the last timeline written, against `redis-benchmark` ZADD (16-deep
 *      pipelines) run straight after on the same Redis.
 *   3. Celebrity C: the first post promotes C (mode flip, then C's list is built), then 5 more
 *      posts, each written to C's list (and C's own timeline) only: follower writes, keys
 *      holding each post, and the time from 201 to the post in a random follower's first page.
 *   4. Read cost with celebrities: reader R1 follows 5 pull-mode authors and 5 push authors,
 *      R2 follows 10 push authors (12 posts each); GET /feed?limit=20 under autocannon for
 *      each, same duration and connections; R1 ÷ R2.
 * Usage: npm run bench -- feed [--small] [--workers 0] [--duration 10] [--connections 16]
 * --small divides the graph (and CELEBRITY_FOLLOWERS) by 10. Needs PostgreSQL, Redis and
 * RabbitMQ (TEST_DATABASE_URL, TEST_REDIS_URL, TEST_AMQP_URL as in the tests) and
 * /usr/bin/redis-benchmark; removes its database, keys, queues and processes, also on failure.
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
import { arg, machine, writeResults } from './common.js';

const SMALL = process.argv.includes('--small');
const SCALE = SMALL ? 10 : 1;
const WORKERS = arg('workers', 0);
const DURATION = arg('duration', 10);
const CONNECTIONS = arg('connections', 16);

const USERS = 1_000_000 / SCALE;
const A_FOLLOWERS = 10_000 / SCALE;
const B_FOLLOWERS = 200_000 / SCALE;
/** The seeds' value; C's USERS followers are above it, B's are below. */
const CELEBRITY_FOLLOWERS = 500_000 / SCALE;
const CAP = 800; // FEED_TIMELINE_CAP's default
const A_POSTS = 10;
const B_POSTS = 5;
const C_POSTS = 5; // after the promoting one
const READ_AUTHORS = 10; // per reader
const POSTS_PER_READ_AUTHOR = 12;
const POLL_MS = 20;

const run = promisify(execFile);
const started = performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (fromMs: number, toMs = performance.now()) => (toMs - fromMs) / 1000;
const round = (n: number, digits = 3) => +n.toFixed(digits);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const say = (message: string) => console.log(`[${seconds(started).toFixed(1).padStart(6)} s] ${message}`);
const load = () => loadavg().map((l) => round(l, 2));

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

// ---- everything this run creates, removed in `cleanup` ----------------------------------------

const tag = `${process.pid}_${randomBytes(3).toString('hex')}`;
const KEY_PREFIX = `bench_feed_${tag}:`;
const QUEUE_PREFIX = `bench_feed_${tag}.`;
const JWT_SECRET = randomBytes(32).toString('hex');
const processes: ServerProcess[] = [];
let database: { url: string; drop: () => Promise<void> } | null = null;
let dataDir: string | null = null;
let db: pg.Client | null = null;
let raw: Redis | null = null;
let store: ReturnType<typeof createRedisClient> | null = null;
let cleaned: Promise<void> | null = null;
let interrupted = false;

function cleanup(): Promise<void> {
  cleaned ??= (async () => {
    const attempt = async (what: string, work: () => Promise<unknown>) => {
      try {
        await work();
      } catch (err) {
        console.error(`cleanup: ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
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
      if (!raw) return;
      let cursor = '0';
      let removed = 0;
      do {
        const [next, keys] = await raw.scan(cursor, 'MATCH', `${KEY_PREFIX}*`, 'COUNT', 10_000);
        cursor = next;
        for (const part of chunks(keys, 1_000)) removed += await raw.unlink(...part);
      } while (cursor !== '0');
      say(`  ${fmt(removed)} Redis keys deleted`);
    });
    store?.disconnect();
    raw?.disconnect();
    if (dataDir)
      await attempt('removing the data directory', () => rm(dataDir!, { recursive: true, force: true }));
  })();
  return cleaned;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

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

async function createPost(authorId: string, mediaId: string): Promise<string> {
  const response = await fetch(`${api()}/api/v1/posts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await token(authorId)}` },
    body: JSON.stringify({ mediaIds: [mediaId] }),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`POST /posts failed: ${response.status} ${text}`);
  return (JSON.parse(text) as { id: string }).id;
}

async function feedPage(userId: string): Promise<string[]> {
  const response = await fetch(`${api()}/api/v1/feed?limit=20`, {
    headers: { authorization: `Bearer ${await token(userId)}` },
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET /feed failed: ${response.status} ${text}`);
  return (JSON.parse(text) as { posts: { id: string; author: { id: string } }[] }).posts.map((p) => p.id);
}

/** The feed metrics of every process, summed (a job runs in whichever process takes it). */
type Scrape = Map<string, number>;
async function scrape(): Promise<Scrape> {
  const total: Scrape = new Map();
  for (const p of processes) {
    const text = await (await fetch(`${p.url}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (!line.startsWith('glimpse_feed_') && !line.startsWith('glimpse_jobs_total')) continue;
      const at = line.lastIndexOf(' ');
      const series = line.slice(0, at);
      total.set(series, (total.get(series) ?? 0) + Number(line.slice(at + 1)));
    }
  }
  return total;
}
const delta = (before: Scrape, after: Scrape, series: string) =>
  (after.get(series) ?? 0) - (before.get(series) ?? 0);
const writesSeries = 'glimpse_feed_timeline_writes_total';

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
async function commandStats(): Promise<Map<string, { calls: number; usec: number }>> {
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const line of (await raw!.info('commandstats')).split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
    if (match) stats.set(match[1]!, { calls: Number(match[2]), usec: Number(match[3]) });
  }
  return stats;
}
async function serverMicros(command: string): Promise<{ calls: number; usec: number }> {
  return (await commandStats()).get(command) ?? { calls: 0, usec: 0 };
}

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

/** Resolves at the moment every list's newest record is `id` or newer, polling every 20 ms. */
async function untilAllHold(keys: readonly string[], id: string, timeoutMs: number): Promise<number> {
  const want = record(id);
  const deadline = Date.now() + timeoutMs;
  let pending = keys;
  for (;;) {
    const newest = await newestOf(pending);
    pending = pending.filter((_, i) => !newest[i] || newest[i]!.compare(want) < 0);
    if (pending.length === 0) return performance.now();
    if (Date.now() > deadline)
      throw new Error(`${fmt(pending.length)} of ${fmt(keys.length)} timelines still lack post ${id}`);
    await sleep(POLL_MS);
  }
}

async function until<T>(what: string, probe: () => Promise<T | null | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(POLL_MS);
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

// ---- the run --------------------------------------------------------------------------------

try {
  const loadAtStart = load();
  say(
    `feed benchmark: ${fmt(USERS)} users${SMALL ? ' (--small)' : ''}, ${WORKERS} extra worker process(es); load average ${loadAtStart.join(' ')}`,
  );
  for (const [name, available] of [
    ['PostgreSQL', postgresAvailable],
    ['Redis', redisAvailable],
    ['RabbitMQ', rabbitmqAvailable],
  ] as const) {
    if (!(await available())) throw new Error(`${name} is not reachable; this benchmark needs it`);
  }

  say('creating a database, a data directory and the Redis clients');
  database = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'glimpse-bench-feed-'));
  raw = new Redis(REDIS_URL);
  store = createRedisClient({ kind: 'single', url: REDIS_URL, keyPrefix: KEY_PREFIX });
  await waitUntilReady(store, 5_000);
  const home = new RedisTimelineStore(store, redisKeys.homeTimeline);
  const authorLists = new RedisTimelineStore(store, redisKeys.authorPosts);
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

  // ---- the graph ----
  db = new pg.Client(database.url);
  await db.connect();
  await db.query('SET synchronous_commit = off');
  const q = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
    (await db!.query<R>(text, values)).rows;

  say(`generating ${fmt(USERS)} users`);
  const generationStarted = performance.now();
  // Who is the n-th generated user: the graph is defined by rank, not by id.
  await q('CREATE TABLE bench_users (n integer PRIMARY KEY, id bigint NOT NULL)');
  // following_count from the same rule as the follows below (every user follows C; the first
  // A_FOLLOWERS also A, the first B_FOLLOWERS also B), so no pass over a million rows later.
  await q(
    `WITH made AS (
       INSERT INTO users (username, email, password_hash, feed_read_at, following_count)
       SELECT 'u' || g, 'u' || g || '@bench.example.com', 'not-a-password-hash', now(),
              1 + (g <= $2)::int + (g <= $3)::int
         FROM generate_series(1, $1::int) g
       RETURNING id, username)
     INSERT INTO bench_users SELECT substr(username, 2)::int, id FROM made`,
    [USERS, A_FOLLOWERS, B_FOLLOWERS],
  );
  const usersSeconds = seconds(generationStarted);

  const named = async (names: string[], following = 0, mode = 'push') =>
    (
      await q<{ id: string }>(
        `INSERT INTO users (username, email, password_hash, feed_read_at, following_count, feed_mode)
         SELECT u, u || '@bench.example.com', 'not-a-password-hash', now(), $2, $3
           FROM unnest($1::text[]) WITH ORDINALITY AS x (u, i) ORDER BY i
         RETURNING id`,
        [names, following, mode],
      )
    ).map((r) => r.id);
  const [authorA, authorB, celebrity] = await named(['author_a', 'author_b', 'celebrity_c']);
  const pulled = await named(
    Array.from({ length: READ_AUTHORS / 2 }, (_, i) => `pulled_${i + 1}`),
    0,
    'pull',
  );
  const pushed = await named(Array.from({ length: READ_AUTHORS }, (_, i) => `pushed_${i + 1}`));
  const [reader1, reader2] = await named(['reader_1', 'reader_2'], READ_AUTHORS);

  say(`generating ${fmt(A_FOLLOWERS + B_FOLLOWERS + USERS)} follows (A, B and C)`);
  const followsStarted = performance.now();
  for (const [author, count] of [
    [authorA!, A_FOLLOWERS],
    [authorB!, B_FOLLOWERS],
    [celebrity!, USERS],
  ] as const) {
    await q(
      `INSERT INTO follows (follower_id, followee_id, id, state)
       SELECT id, $1, next_id(shard_of(id)), 'accepted' FROM bench_users WHERE n <= $2 ORDER BY n`,
      [author, count],
    );
  }
  const readerFollows = [
    ...[...pulled, ...pushed.slice(0, READ_AUTHORS / 2)].map((a) => [reader1!, a]),
    ...pushed.map((a) => [reader2!, a]),
  ];
  await q(
    `INSERT INTO follows (follower_id, followee_id, id, state)
     SELECT f, a, next_id(shard_of(f)), 'accepted' FROM unnest($1::bigint[], $2::bigint[]) AS x (f, a)`,
    [readerFollows.map((p) => p[0]), readerFollows.map((p) => p[1])],
  );
  const followsSeconds = seconds(followsStarted);

  say('setting follower counts (one UPDATE), checking them, VACUUM ANALYZE');
  const countsStarted = performance.now();
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
  const countsSeconds = seconds(countsStarted);
  const generationSeconds = seconds(generationStarted);
  say(
    `graph generated in ${generationSeconds.toFixed(1)} s (users ${usersSeconds.toFixed(1)} s, follows ${followsSeconds.toFixed(1)} s, counts + VACUUM ANALYZE ${countsSeconds.toFixed(1)} s)`,
  );

  const followers = (
    await q<{ id: string }>('SELECT id::text AS id FROM bench_users WHERE n <= $1 ORDER BY n', [B_FOLLOWERS])
  ).map((r) => r.id);
  const aFollowers = followers.slice(0, A_FOLLOWERS);
  const sampled = Array.from(
    { length: C_POSTS },
    () => followers[Math.floor(Math.random() * followers.length)]!,
  );
  const callers = [authorA!, authorB!, celebrity!, ...pulled, ...pushed, reader1!, reader2!, ...sampled];
  for (const row of await q<{ id: string; user_id: string }>(
    `INSERT INTO sessions (id, user_id, expires_at)
     SELECT next_id(shard_of(u)), u, now() + interval '1 day' FROM unnest($1::bigint[]) AS x (u)
     RETURNING id::text, user_id::text`,
    [[...new Set(callers)]],
  ))
    sessionOf.set(row.user_id, row.id);

  // One ready photo per post to come (test/support/world.ts readyMedia, in bulk).
  const postsBy = new Map<string, number>([
    [authorA!, A_POSTS],
    [authorB!, B_POSTS],
    [celebrity!, C_POSTS + 1],
    ...[...pulled, ...pushed].map((a) => [a, POSTS_PER_READ_AUTHOR] as [string, number]),
  ]);
  const owners = [...postsBy].flatMap(([a, n]) => Array<string>(n).fill(a));
  const mediaOf = new Map<string, string[]>();
  for (const row of await q<{ id: string; owner_id: string }>(
    `INSERT INTO media (id, owner_id, status, content_type, size_bytes, width, height, blurhash, dominant_color)
     SELECT next_id(shard_of(o)), o, 'ready', 'image/jpeg', 1000, 1200, 800, 'LKO2?U%2Tw=w', '#808080'
       FROM unnest($1::bigint[]) AS x (o)
     RETURNING id::text, owner_id::text`,
    [owners],
  ))
    mediaOf.set(row.owner_id, [...(mediaOf.get(row.owner_id) ?? []), row.id]);
  const media = (author: string) => mediaOf.get(author)!.pop()!;

  // ---- timelines that exist, so that pushes land ----
  say(`creating ${fmt(followers.length)} empty follower timelines (and the authors' and readers' own)`);
  const timelinesStarted = performance.now();
  const everyHome = [...followers, authorA!, authorB!, celebrity!, ...pulled, ...pushed, reader1!, reader2!];
  for (const part of chunks(everyHome, 5_000))
    await Promise.all(part.map((id) => home.completeRebuild(id, [], CAP)));
  await Promise.all(pulled.map((id) => authorLists.completeRebuild(id, [], CAP)));
  say(`  done in ${seconds(timelinesStarted).toFixed(1)} s`);

  // ---- 1. A's posts ----
  say(`1. ${A_POSTS} posts by A, one after another, each into ${fmt(A_FOLLOWERS)} timelines`);
  const aKeys = aFollowers.map(homeKey);
  const before1 = await scrape();
  const aLatencies: number[] = [];
  for (let i = 0; i < A_POSTS; i++) {
    const postId = await createPost(authorA!, media(authorA!));
    const answered = performance.now();
    const done = await untilAllHold(aKeys, postId, 60_000);
    aLatencies.push(seconds(answered, done));
    say(
      `  post ${i + 1}: in all ${fmt(A_FOLLOWERS)} timelines ${(seconds(answered, done) * 1000).toFixed(0)} ms after its 201`,
    );
  }
  const after1 = await scrape();
  const aSorted = [...aLatencies].sort((x, y) => x - y);
  const measure1 = {
    followers: A_FOLLOWERS,
    posts: A_POSTS,
    client: {
      pollMs: POLL_MS,
      p50Seconds: round(quantile(aSorted, 0.5)),
      maxSeconds: round(aSorted.at(-1)!),
      seconds: aLatencies.map((s) => round(s)),
    },
    serverFanoutLag: histogram(before1, after1, 'glimpse_feed_fanout_lag_seconds'),
    timelineWrites: delta(before1, after1, writesSeries),
    targetSeconds: 1,
  };

  // ---- 2. B's posts at once ----
  const inserts = B_POSTS * B_FOLLOWERS;
  say(`2. ${B_POSTS} posts by B at once: ${fmt(inserts)} timeline inserts`);
  const bMedia = Array.from({ length: B_POSTS }, () => media(authorB!));
  const before2 = await scrape();
  const redis0 = await commandStats();
  const evalsha0 = redis0.get('evalsha') ?? { calls: 0, usec: 0 };
  const bStarted = performance.now();
  const bPosts = await Promise.all(bMedia.map((m) => createPost(authorB!, m)));
  say(
    `  all ${B_POSTS} answered 201 after ${(seconds(bStarted) * 1000).toFixed(0)} ms; waiting for the fan-out`,
  );
  let lastReport = performance.now();
  const bDone = await until(
    'the large fan-out',
    async () => {
      const writes = delta(before2, await scrape(), writesSeries);
      if (performance.now() - lastReport > 2_000) {
        lastReport = performance.now();
        say(`  ${fmt(writes)} of ${fmt(inserts)} inserts`);
      }
      return writes >= inserts && performance.now();
    },
    600_000,
  );
  const redis1 = await commandStats();
  const evalsha1 = redis1.get('evalsha') ?? { calls: 0, usec: 0 };
  const bSeconds = seconds(bStarted, bDone);
  const after2 = await scrape();
  say(`  ${fmt(inserts)} inserts in ${bSeconds.toFixed(2)} s; checking every timeline`);
  const bTail = packSorted(bPosts);
  let bMissing = 0;
  for (const part of chunks(followers.map(homeKey), 10_000)) {
    const pipeline = raw.pipeline();
    for (const key of part) pipeline.getrangeBuffer(key, -8 * B_POSTS, -1);
    for (const [err, value] of (await pipeline.exec())!)
      if (err || !(value as Buffer).equals(bTail)) bMissing++;
  }
  if (bMissing > 0) throw new Error(`${fmt(bMissing)} timelines do not end with B's ${B_POSTS} posts`);
  say('  running redis-benchmark ZADD (16-deep pipelines) on the same Redis');
  const zaddKey = `${KEY_PREFIX}zadd_ceiling`;
  const zadd0 = await serverMicros('zadd');
  const benchArgs = ['-u', REDIS_URL, '-P', '16', '-n', '1000000', '-r', '100000', '-q'];
  const benchCommand = ['zadd', zaddKey, '__rand_int__', '__rand_int__'];
  const { stdout } = await run('/usr/bin/redis-benchmark', [...benchArgs, ...benchCommand], {
    maxBuffer: 1 << 24,
  });
  const zadd1 = await serverMicros('zadd');
  await raw.unlink(zaddKey);
  const rates = [...stdout.matchAll(/([\d.]+) requests per second/g)];
  if (rates.length === 0) throw new Error(`no rate in redis-benchmark output: ${stdout}`);
  const zaddPerSecond = Number(rates.at(-1)![1]);
  const insertsPerSecond = inserts / bSeconds;
  const measure2 = {
    posts: B_POSTS,
    followers: B_FOLLOWERS,
    inserts,
    seconds: round(bSeconds),
    insertsPerSecond: Math.round(insertsPerSecond),
    redisBenchmarkZadd: {
      command: `redis-benchmark ${[...benchArgs.slice(2), ...benchCommand].join(' ')}`,
      opsPerSecond: Math.round(zaddPerSecond),
    },
    insertsVsZadd: round(insertsPerSecond / zaddPerSecond, 2),
    target: 0.5,
    // Every EVALSHA on the shared server in the window (other clients' too): an upper bound.
    redisServerMicrosPerInsert: round((evalsha1.usec - evalsha0.usec) / inserts, 2),
    redisEvalshaCalls: evalsha1.calls - evalsha0.calls,
    // What the push script ran per insert (GETRANGE, EXISTS for an empty list, APPEND, and
    // MEMORY USAGE while a list is at or under its cap, as every list here is).
    redisCommandsPerInsert: Object.fromEntries(
      ['getrange', 'exists', 'append', 'memory|usage', 'copy', 'rename', 'set', 'get'].map((c) => [
        c,
        round(((redis1.get(c)?.calls ?? 0) - (redis0.get(c)?.calls ?? 0)) / inserts, 2),
      ]),
    ),
    redisServerMicrosPerZadd: round((zadd1.usec - zadd0.usec) / 1_000_000, 2),
    serverFanoutLag: histogram(before2, after2, 'glimpse_feed_fanout_lag_seconds'),
  };

  // ---- 3. The celebrity ----
  say(`3. celebrity C (${fmt(USERS)} followers): the first post promotes C to pull mode`);
  const cList = authorKey(celebrity!);
  const cMark = KEY_PREFIX + redisKeys.listRebuilding(redisKeys.authorPosts(celebrity!));
  const before3 = await scrape();
  const firstPost = await createPost(celebrity!, media(celebrity!));
  const firstAnswered = performance.now();
  const promoted = await until(
    "C's list",
    async () => {
      const [newest] = await newestOf([cList]);
      return !!newest?.equals(record(firstPost)) && (await raw!.exists(cMark)) === 0 && performance.now();
    },
    120_000,
  );
  const [{ feed_mode: cMode } = { feed_mode: '?' }] = await q<{ feed_mode: string }>(
    'SELECT feed_mode FROM users WHERE id = $1',
    [celebrity],
  );
  if (cMode !== 'pull') throw new Error(`C is in ${cMode} mode after the first post`);
  const promotionSeconds = seconds(firstAnswered, promoted);
  say(
    `  C is in pull mode; the list holds the first post ${(promotionSeconds * 1000).toFixed(0)} ms after its 201`,
  );
  const writesAfterPromotion = delta(before3, await scrape(), writesSeries);

  const cPosts: { postId: string; reader: string; visibleSeconds: number; reads: number }[] = [];
  const before3b = await scrape();
  for (let i = 0; i < C_POSTS; i++) {
    const reader = sampled[i]!;
    const postId = await createPost(celebrity!, media(celebrity!));
    const answered = performance.now();
    let reads = 0;
    const visible = await until(
      `C's post in a follower's feed`,
      async () => {
        reads++;
        return (await feedPage(reader)).includes(postId) && performance.now();
      },
      60_000,
    );
    cPosts.push({ postId, reader, visibleSeconds: seconds(answered, visible), reads });
    say(
      `  post ${i + 1}: in follower ${reader}'s first page ${(seconds(answered, visible) * 1000).toFixed(0)} ms after its 201 (read ${reads} time(s))`,
    );
  }
  // Give any stray write the time to land before counting where the posts went.
  await sleep(1_000);
  const after3 = await scrape();
  say(`  counting which of the ${fmt(followers.length + 2)} lists hold C's posts`);
  const [cListValue, cHomeValue] = await Promise.all([
    raw.getBuffer(cList),
    raw.getBuffer(homeKey(celebrity!)),
  ]);
  const firstC = record(firstPost);
  const followerListsWithC = (await newestOf(followers.map(homeKey))).filter(
    (newest) => newest && newest.compare(firstC) >= 0,
  ).length;
  const cVisible = cPosts.map((p) => p.visibleSeconds).sort((x, y) => x - y);
  const measure3 = {
    followers: USERS,
    celebrityFollowersSetting: CELEBRITY_FOLLOWERS,
    promotion: {
      modeAfter: cMode,
      listBuiltSecondsAfter201: round(promotionSeconds),
      followerWrites: writesAfterPromotion,
    },
    posts: C_POSTS,
    followerTimelineWrites: delta(before3b, after3, writesSeries),
    // The promoting post and the 5 after it, counted after a quiet second: nothing reached a follower.
    followerTimelineWritesAllPosts: delta(before3, after3, writesSeries),
    fanoutLagObservations: delta(before3, after3, 'glimpse_feed_fanout_lag_seconds_count'),
    keysHoldingEachPost: cPosts.map(
      (p) => Number(holds(cListValue, p.postId)) + Number(holds(cHomeValue, p.postId)),
    ),
    followerTimelinesHoldingAnyCPost: followerListsWithC,
    bytesPerPost: 8 * 2,
    celebrityListEntries: (cListValue?.length ?? 0) / 8,
    celebrityListMemoryBytes: Number(await raw.memory('USAGE', cList, 'SAMPLES', 0)),
    visibleInFollowerFeed: {
      pollMs: POLL_MS,
      p50Seconds: round(quantile(cVisible, 0.5)),
      maxSeconds: round(cVisible.at(-1)!),
      perPost: cPosts.map((p) => ({ seconds: round(p.visibleSeconds), reads: p.reads })),
    },
  };
  if (measure3.keysHoldingEachPost.some((n) => n !== 2) || followerListsWithC > 0)
    say(`  UNEXPECTED: C's posts are not exactly in C's list and C's own timeline`);

  // ---- 4. Read cost with celebrities ----
  const readAuthors = [...pulled, ...pushed];
  say(
    `4. readers: R1 follows ${pulled.length} pull-mode + ${READ_AUTHORS / 2} push authors, R2 ${READ_AUTHORS} push authors; ${fmt(readAuthors.length * POSTS_PER_READ_AUTHOR)} posts`,
  );
  const readPosts: string[] = [];
  for (let r = 0; r < POSTS_PER_READ_AUTHOR; r++)
    readPosts.push(...(await Promise.all(readAuthors.map((a) => createPost(a, media(a))))));
  const lengthOf = async (key: string) => (await raw!.strlen(key)) / 8;
  const want = POSTS_PER_READ_AUTHOR;
  await until(
    'the readers’ timelines and the pull-mode lists',
    async () => {
      const [r1, r2, lists] = await Promise.all([
        lengthOf(homeKey(reader1!)),
        lengthOf(homeKey(reader2!)),
        Promise.all(pulled.map((a) => lengthOf(authorKey(a)))),
      ]);
      return r1 === want * (READ_AUTHORS / 2) && r2 === want * READ_AUTHORS && lists.every((n) => n === want);
    },
    120_000,
  );
  say('  timelines and lists complete; warming up');
  const r1Page = await feedPage(reader1!);
  const r2Page = await feedPage(reader2!);
  const [{ pulled_in_page: pulledInPage } = { pulled_in_page: 0 }] = await q<{ pulled_in_page: number }>(
    'SELECT count(*)::int AS pulled_in_page FROM posts WHERE id = ANY($1::bigint[]) AND author_id = ANY($2::bigint[])',
    [r1Page, pulled],
  );
  if (r1Page.length !== 20 || r2Page.length !== 20) throw new Error('a reader’s first page is not full');
  const feedUrl = `${api()}/api/v1/feed?limit=20`;
  const headersOf = async (user: string) => ({ authorization: `Bearer ${await token(user)}` });
  await hammer(feedUrl, await headersOf(reader1!), 2);
  await hammer(feedUrl, await headersOf(reader2!), 2);
  const readers: Record<'r1' | 'r2', LoadFigures & { serverMeanMs: number | null }> = {} as never;
  const before4 = await scrape();
  for (const [name, user] of [
    ['r1', reader1!],
    ['r2', reader2!],
  ] as const) {
    say(`  autocannon: ${name.toUpperCase()}, ${DURATION} s, ${CONNECTIONS} connections`);
    const from = await scrape();
    const figures = await hammer(feedUrl, await headersOf(user), DURATION);
    const read = histogram(from, await scrape(), 'glimpse_feed_read_seconds', 'source="timeline",');
    readers[name] = {
      ...figures,
      serverMeanMs: read.meanSeconds === null ? null : round(read.meanSeconds * 1000, 2),
    };
  }
  const after4 = await scrape();
  const fallbacks = [...after4.keys()]
    .filter((s) => s.startsWith('glimpse_feed_timeline_fallbacks_total'))
    .reduce((n, s) => n + delta(before4, after4, s), 0);
  const measure4 = {
    durationSeconds: DURATION,
    connections: CONNECTIONS,
    postsPerAuthor: POSTS_PER_READ_AUTHOR,
    r1: {
      follows: { pull: pulled.length, push: READ_AUTHORS / 2 },
      pulledPostsInFirstPage: pulledInPage,
      ...readers.r1,
    },
    r2: { follows: { pull: 0, push: READ_AUTHORS }, ...readers.r2 },
    fallbacksDuringLoad: fallbacks,
    r1VsR2: {
      rps: round(readers.r1.rps / readers.r2.rps, 2),
      p50: round(readers.r1.p50 / readers.r2.p50, 2),
      p99: round(readers.r1.p99 / readers.r2.p99, 2),
      serverMean:
        readers.r1.serverMeanMs && readers.r2.serverMeanMs
          ? round(readers.r1.serverMeanMs / readers.r2.serverMeanMs, 2)
          : null,
    },
    target: 1.3,
  };

  // ---- report ----
  const redisVersion = /redis_version:(\S+)/.exec(await raw.info('server'))![1];
  const [{ server_version: postgresVersion } = { server_version: '?' }] = await q<{ server_version: string }>(
    'SHOW server_version',
  );
  const report = {
    scenario: 'feed',
    date: new Date().toISOString(),
    machine: machine({
      postgres: postgresVersion,
      redis: redisVersion,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: load(),
    }),
    graph: {
      small: SMALL,
      users: USERS,
      follows: A_FOLLOWERS + B_FOLLOWERS + USERS,
      celebrityFollowers: CELEBRITY_FOLLOWERS,
      generationSeconds: round(generationSeconds, 1),
      usersSeconds: round(usersSeconds, 1),
      followsSeconds: round(followsSeconds, 1),
      countsAndAnalyzeSeconds: round(countsSeconds, 1),
      emptyTimelinesCreated: everyHome.length,
    },
    processes: { all: 1, worker: WORKERS },
    authorPost: measure1,
    largeFanOut: measure2,
    celebrity: measure3,
    readCost: measure4,
    runSeconds: round(seconds(started), 1),
  };
  await writeResults('feed', report);

  const rows: [string, string, string][] = [
    [
      `1. A's post → ${fmt(A_FOLLOWERS)} timelines (${A_POSTS} posts)`,
      `201 → all written: p50 ${(measure1.client.p50Seconds * 1000).toFixed(0)} ms, max ${(measure1.client.maxSeconds * 1000).toFixed(0)} ms; server lag p50 ${((measure1.serverFanoutLag.p50Seconds ?? NaN) * 1000).toFixed(0)} ms, mean ${((measure1.serverFanoutLag.meanSeconds ?? NaN) * 1000).toFixed(0)} ms`,
      'max < 1 s',
    ],
    [
      `2. ${B_POSTS} B posts at once → ${fmt(inserts)} inserts`,
      `${fmt(measure2.insertsPerSecond)} inserts/s (${measure2.seconds} s); redis-benchmark ZADD ${fmt(measure2.redisBenchmarkZadd.opsPerSecond)}/s → ratio ${measure2.insertsVsZadd}; Redis server ${measure2.redisServerMicrosPerInsert} µs/insert, ${measure2.redisServerMicrosPerZadd} µs/ZADD`,
      '≥ 0.5',
    ],
    [
      `3. C promoted (${fmt(USERS)} followers)`,
      `mode ${cMode}; list built ${(promotionSeconds * 1000).toFixed(0)} ms after 201; follower writes ${writesAfterPromotion}`,
      '',
    ],
    [
      `   C's next ${C_POSTS} posts`,
      `follower writes ${measure3.followerTimelineWritesAllPosts} (all ${C_POSTS + 1} posts); keys holding each: ${measure3.keysHoldingEachPost.join(',')} (C's list + C's own timeline, ${measure3.bytesPerPost} B); follower timelines holding one: ${followerListsWithC}; 201 → in a follower's page p50 ${(measure3.visibleInFollowerFeed.p50Seconds * 1000).toFixed(0)} ms, max ${(measure3.visibleInFollowerFeed.maxSeconds * 1000).toFixed(0)} ms`,
      'writes 0',
    ],
    ...(['r1', 'r2'] as const).map((r): [string, string, string] => [
      `4. GET /feed?limit=20 ${r.toUpperCase()} (${r === 'r1' ? '5 pull + 5 push' : '10 push'})`,
      `${fmt(readers[r].rps)} req/s, p50 ${readers[r].p50} ms, p99 ${readers[r].p99} ms, server mean ${readers[r].serverMeanMs} ms, errors ${readers[r].errors}, non-2xx ${readers[r].non2xx}`,
      '',
    ]),
    [
      '   R1 ÷ R2',
      `p50 ${measure4.r1VsR2.p50}, p99 ${measure4.r1VsR2.p99}, req/s ${measure4.r1VsR2.rps}, server mean ${measure4.r1VsR2.serverMean}; fallbacks during load ${fallbacks}`,
      '≤ 1.3',
    ],
  ];
  console.log(
    `\nfeed: ${fmt(USERS)} users${SMALL ? ' (--small)' : ''}, ${WORKERS} extra worker(s), graph generated in ${generationSeconds.toFixed(1)} s; load average ${loadAtStart.join(' ')} at start, ${report.machine.loadAverageAtEnd.join(' ')} at end`,
  );
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [what, figures, target] of rows)
    console.log(`${what.padEnd(width)}  ${figures}${target ? `   [target ${target}]` : ''}`);
  console.log(`\nresults: bench/results/feed.json (${report.runSeconds} s in all)`);
} catch (err) {
  // After Ctrl-C the run fails because its servers are gone: nothing worth printing.
  if (!interrupted) {
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

/**
 * Benchmark: likes, comments, search, explore and live notifications on the service shape
 * (PostgreSQL + Redis + RabbitMQ), against real server processes, on a generated database:
 * USERS users with varied names, POSTS posts with captions and hashtags over 30 days, 200k
 * follows, a reader who follows 500, blocks 20, is blocked by 20, mutes 20 and has 10,000
 * notifications, and a post with 10,000 likes and 2,000 comments.
 *   0. The framework's ceiling: GET /healthz on the same process, at the start and at the end
 *      of the HTTP measurements (the machine is shared; the two readings show the drift).
 *   1. Like storms: POST /posts/{id}/like from LIKERS distinct users on HOT_POSTS posts, then
 *      on 1,000 posts, every request a new (user, post) pair; then like_count against count(*)
 *      per post, and how long the worker takes to create the likes' notifications. Against the
 *      latency of one durable commit that updates a post row (likes of one post serialise on it).
 *   2. Reads of the big post: GET /posts/{id}/comments and /likes (first page).
 *   3. Discovery: /search (users: broad prefix, narrow prefix, typo; posts: rare and common
 *      word; hashtags), /hashtags/{name}/posts (rare and popular tag), /explore,
 *      /hashtags/trending; and the `discovery.rank` recompute, timed in this process.
 *   4. Notifications: GET /notifications (10,000 of them, unreadCount included), and the time
 *      from a like's 200 to the `notification` event on an open stream, EVENTS likes one after
 *      another: (a) one `all` process; (b) two `serve` processes (the like on one, the stream on
 *      the other), a `worker` and a `relay`, as test/e2e/notifications-stream.test.ts runs them.
 * Every HTTP load figure is autocannon on the same two cores, compared with /healthz, and each
 * read is paired with its main statement run alone (the repository's own builder, sequentially
 * on one connection): what the database contributes. User search runs with 4 connections: at
 * 16 its statements hold the pool past its 5 s acquire timeout. `--explain` prints the plans.
 * Usage: npm run bench -- engagement [--duration 5] [--connections 16] [--events 300] [--explain]
 *        [--users 100000] [--posts 100000] [--likers 20000] [--hot-posts 5]
 * Needs PostgreSQL, Redis and RabbitMQ (TEST_DATABASE_URL, TEST_REDIS_URL, TEST_AMQP_URL as in
 * the tests); removes its database, keys, queues, processes and data directory, also on failure.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import type { CompiledQuery } from 'kysely';
import pg from 'pg';
import { AccessTokens } from '../apps/server/src/accounts/tokens.js';
import { openPostgres } from '../apps/server/src/adapters/postgres/postgres-store.js';
import { DEFAULT_RABBITMQ_OPTIONS } from '../apps/server/src/adapters/rabbitmq/rabbitmq-queue.js';
import { rabbitMqNames, retryDelays } from '../apps/server/src/adapters/rabbitmq/rabbitmq-topology.js';
import { jobs, topologyOf } from '../apps/server/src/jobs/catalogue.js';
import type { Executor } from '../apps/server/src/db/executor.js';
import { commentPageQuery, likerPageQuery } from '../apps/server/src/engagement/engagement.repo.js';
import {
  pageQuery as notificationPageQuery,
  readStateQuery,
} from '../apps/server/src/notifications/notifications.repo.js';
import { explorePageQuery } from '../apps/server/src/search/explore.js';
import {
  hashtagPostsQuery,
  hashtagSearchQuery,
  postSearchQuery,
  userSearchQuery,
} from '../apps/server/src/search/search.repo.js';
import { recomputeDiscovery } from '../apps/server/src/search/search.worker.js';
import { trendingPageQuery } from '../apps/server/src/search/trending.js';
import type { RelationalStore } from '../apps/server/src/ports/relational-store.js';
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
import { openSse, payloadOf, type SseStream } from '../apps/server/test/support/sse.js';
import { arg, attempt, cleanUpOnSignals, machine, writeResults } from './common.js';

const DURATION = arg('duration', 5);
const CONNECTIONS = arg('connections', 16);
const EVENTS = arg('events', 300);
const USERS = arg('users', 100_000);
const POSTS = arg('posts', 100_000);
const LIKERS = arg('likers', 20_000);
const HOT_POSTS = arg('hot-posts', 5);
/** Public posts for the second storm: spread out, so no two likes wait for the same post row. */
const COLD_POSTS = 1_000;
/** Fuzzy user search holds a connection for half a second or more: 16 at once exhaust the pool. */
const SLOW_CONNECTIONS = 4;
const EXPLAIN = process.argv.includes('--explain');
const BIG_LIKES = 10_000;
const BIG_COMMENTS = 2_000;
const NOTIFICATIONS = 10_000;
const RECOMPUTES = 3;

/**
 * Ids chosen here rather than drawn by next_id(): the generated rows are addressed by
 * arithmetic, as in test/api/explain.test.ts. next_id() values are far above all of them, so
 * the rows the server creates during the run never collide.
 */
const ID = {
  liker: (i: number) => String(1_000_000 + i), // 1..LIKERS
  hotAuthor: '2000001',
  bigAuthor: '2000002',
  reader: '2000003',
  streamAuthor: '2000004',
  streamLiker: '2000005',
  hotPost: (i: number) => String(3_000_000 + i), // 1..HOT_POSTS
  coldPost: (i: number) => String(3_400_000 + i), // 1..COLD_POSTS
  bigPost: '3100000',
  readerPost: (i: number) => String(3_200_000 + i), // 1..20
  streamPost: (i: number) => String(3_300_000 + i), // 1..2 × (EVENTS + warm-up)
};
const STREAM_WARMUP = 5;

const started = performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (fromMs: number, toMs = performance.now()) => (toMs - fromMs) / 1000;
const round = (n: number, digits = 3) => +n.toFixed(digits);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const say = (message: string) => console.log(`[${seconds(started).toFixed(1).padStart(6)} s] ${message}`);
const load = () => loadavg().map((l) => round(l, 2));
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
function spread(values: readonly number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: round(quantile(sorted, 0.5), 1),
    p95: round(quantile(sorted, 0.95), 1),
    p99: round(quantile(sorted, 0.99), 1),
    max: round(sorted.at(-1)!, 1),
  };
}

// ---- everything this run creates, removed in `cleanup` ----------------------------------------

const tag = `${process.pid}_${randomBytes(3).toString('hex')}`;
const KEY_PREFIX = `bench_eng_${tag}:`;
const QUEUE_PREFIX = `bench_eng_${tag}.`;
const JWT_SECRET = randomBytes(32).toString('hex');
const processes: ServerProcess[] = [];
const streams: SseStream[] = [];
let database: { url: string; drop: () => Promise<void> } | null = null;
let dataDir: string | null = null;
let db: pg.Client | null = null;
/** Kysely over the same database, for the recompute and the repositories' own statements. */
let store: RelationalStore | null = null;
let cleaned: Promise<void> | null = null;

async function stopProcesses(): Promise<void> {
  for (const s of streams.splice(0)) s.close();
  await Promise.all(
    processes.splice(0).map(async (p) => {
      const timer = setTimeout(() => p.proc.kill('SIGKILL'), 15_000);
      await p.stop();
      clearTimeout(timer);
    }),
  );
}

function cleanup(): Promise<void> {
  cleaned ??= (async () => {
    say('cleaning up: server processes, queues, database, Redis keys, data directory');
    await attempt('stopping processes', stopProcesses);
    await attempt('closing the database connections', async () => {
      await db?.end();
      await store?.close();
    });
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
      const redis = new Redis(REDIS_URL);
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${KEY_PREFIX}*`, 'COUNT', 10_000);
          cursor = next;
          if (keys.length > 0) await redis.unlink(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    });
    if (dataDir)
      await attempt('removing the data directory', () => rm(dataDir!, { recursive: true, force: true }));
  })();
  return cleaned;
}

const signals = cleanUpOnSignals(cleanup);

// ---- the data -----------------------------------------------------------------------------

const q = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
  (await db!.query<R>(text, values)).rows;

/**
 * Names, privacy, follower counts, captions and publication times from arithmetic on the row
 * number (no random(): the same data every run). Captions: "photo <one of 6 words> word<0..499>
 * #tag<0..1999>", every tenth also "#popular". 1% of posts are still processing, 1% deleted.
 */
async function generate(): Promise<void> {
  // Numbers are written into the SQL (they are integers from the command line): one type per
  // value, where a parameter used as int, bigint and a divisor of an interval would need casts.
  const N = Math.trunc(USERS);
  const P = Math.trunc(POSTS);
  // Posts of the last 24 hours (publication times below) also carry one of 40 "rising" tags,
  // so that trending has something to find.
  const rising = (row: string) => `(${row} * 7907) % ${P} < ${Math.ceil(P / 30)}`;
  const names = `ARRAY['Anna','Margaretha','Bob','Chen','Dmitri','Eve','Fatima','Giulia','Hiro','Ines']`;
  await q(
    `INSERT INTO users (id, username, email, password_hash, display_name, is_private, follower_count)
     SELECT i, lower((${names})[1 + i % 10]) || '_' || i, 'user' || i || '@bench.example.com', 'x',
            (${names})[1 + i % 10] || ' ' || (ARRAY['Weiss','Lopez','Smith','Tanaka','Okafor','Rossi','Novak','Silva'])[1 + (i / 10) % 8],
            i % 10 = 0, (i * 7919) % 5000
       FROM generate_series(1, ${N}) AS i`,
  );
  await q(
    `INSERT INTO users (id, username, email, password_hash, display_name)
     SELECT ${ID.liker(0)} + i, 'liker_' || i, 'liker' || i || '@bench.example.com', 'x', 'Liker ' || i
       FROM generate_series(1, ${Math.trunc(LIKERS)}) AS i`,
  );
  const named: [string, string][] = [
    [ID.hotAuthor, 'hot_author'],
    [ID.bigAuthor, 'big_author'],
    [ID.reader, 'the_reader'],
    [ID.streamAuthor, 'stream_author'],
    [ID.streamLiker, 'stream_liker'],
  ];
  await q(
    `INSERT INTO users (id, username, email, password_hash, display_name)
     SELECT id, u, u || '@bench.example.com', 'x', u FROM unnest($1::bigint[], $2::text[]) AS x (id, u)`,
    [named.map((n) => n[0]), named.map((n) => n[1])],
  );

  // Bulk posts: author 1 + (i × 7919) mod N (a permutation: one post per user when POSTS = USERS).
  await q(
    `INSERT INTO posts (id, author_id, caption, status, like_count, comment_count, created_at, published_at, deleted_at)
     SELECT i, 1 + (i * 7919) % ${N},
            'photo ' || (ARRAY['sunset','beach','coffee','city','mountain','friends'])[1 + i % 6]
              || ' word' || (i * 13) % 500 || ' #tag' || i % 2000 || CASE WHEN i % 10 = 0 THEN ' #popular' ELSE '' END
              || CASE WHEN ${rising('i')} THEN ' #rising' || i % 40 ELSE '' END,
            CASE WHEN i % 100 = 1 THEN 'processing' ELSE 'published' END,
            (i * 31) % 50, (i * 17) % 10,
            now() - ((i * 7907) % ${P}) * (interval '30 days' / ${P}),
            CASE WHEN i % 100 = 1 THEN NULL ELSE now() - ((i * 7907) % ${P}) * (interval '30 days' / ${P}) END,
            CASE WHEN i % 100 = 2 THEN now() ELSE NULL END
       FROM generate_series(1, ${P}::bigint) AS i`,
  );
  // The posts the run acts on: published just now, nothing counted yet.
  const fresh: [string, string][] = [
    ...range(HOT_POSTS).map((i): [string, string] => [ID.hotPost(i), ID.hotAuthor]),
    ...range(COLD_POSTS).map((i): [string, string] => [ID.coldPost(i), ID.hotAuthor]),
    [ID.bigPost, ID.bigAuthor],
    ...range(20).map((i): [string, string] => [ID.readerPost(i), ID.reader]),
    ...range(2 * (EVENTS + STREAM_WARMUP)).map((i): [string, string] => [ID.streamPost(i), ID.streamAuthor]),
  ];
  await q(
    `INSERT INTO posts (id, author_id, caption, status, published_at)
     SELECT id, a, 'benchmark post', 'published', now() FROM unnest($1::bigint[], $2::bigint[]) AS x (id, a)`,
    [fresh.map((f) => f[0]), fresh.map((f) => f[1])],
  );
  // One ready photo per post, as the hydrator finds it for every real post.
  await q(
    `INSERT INTO media (id, owner_id, status, content_type, size_bytes, width, height, blurhash, dominant_color)
     SELECT id, author_id, 'ready', 'image/jpeg', 1000, 1200, 800, 'LKO2?U%2Tw=w', '#808080' FROM posts`,
  );
  await q(`INSERT INTO post_media (post_id, position, media_id) SELECT id, 0, id FROM posts`);
  await q(
    `UPDATE users u SET post_count = c.n
       FROM (SELECT author_id, count(*)::int AS n FROM posts WHERE status = 'published' AND deleted_at IS NULL GROUP BY author_id) c
      WHERE u.id = c.author_id`,
  );

  await q(
    `INSERT INTO hashtags (name) SELECT 'tag' || n FROM generate_series(0, 1999) AS n UNION ALL SELECT 'popular'
     UNION ALL SELECT 'rising' || n FROM generate_series(0, 39) AS n`,
  );
  await q(
    `INSERT INTO post_hashtags (post_id, hashtag_id)
     SELECT p.id, h.id FROM posts p JOIN hashtags h ON h.name = 'tag' || p.id % 2000 WHERE p.id <= ${P}
     UNION ALL
     SELECT p.id, h.id FROM posts p JOIN hashtags h ON h.name = 'popular' WHERE p.id <= ${P} AND p.id % 10 = 0
     UNION ALL
     SELECT p.id, h.id FROM posts p JOIN hashtags h ON h.name = 'rising' || p.id % 40
      WHERE p.id <= ${P} AND ${rising('p.id')}`,
  );
  await q(
    `UPDATE hashtags SET post_count = c.n
       FROM (SELECT ph.hashtag_id, count(*)::int AS n FROM post_hashtags ph JOIN posts p ON p.id = ph.post_id
              WHERE p.status = 'published' AND p.deleted_at IS NULL GROUP BY ph.hashtag_id) c
      WHERE hashtags.id = c.hashtag_id`,
  );

  // Two follows per user (5% pending), then the reader's 500, blocks and mutes.
  await q(
    `INSERT INTO follows (follower_id, followee_id, id, state)
     SELECT 1 + i % ${N}, 1 + (i * 7919 + i / ${N}) % ${N}, i, CASE WHEN i % 20 = 0 THEN 'pending' ELSE 'accepted' END
       FROM generate_series(1, ${2 * N}::bigint) AS i
      WHERE 1 + i % ${N} <> 1 + (i * 7919 + i / ${N}) % ${N}
     ON CONFLICT DO NOTHING`,
  );
  const reader = ID.reader;
  await q(
    `INSERT INTO follows (follower_id, followee_id, id, state)
     SELECT ${reader}, 1 + (i * 199) % ${N}, ${3 * N} + i, 'accepted' FROM generate_series(1, 500) AS i
     ON CONFLICT DO NOTHING`,
  );
  await q(
    `INSERT INTO blocks (blocker_id, blocked_id)
     SELECT ${reader}, 2 + (i * 997) % ${N} FROM generate_series(1, 20) AS i
     UNION ALL SELECT 3 + (i * 991) % ${N}, ${reader} FROM generate_series(1, 20) AS i
     ON CONFLICT DO NOTHING`,
  );
  await q(
    `INSERT INTO mutes (muter_id, muted_id) SELECT ${reader}, 5 + (i * 983) % ${N} FROM generate_series(1, 20) AS i
     ON CONFLICT DO NOTHING`,
  );

  // The big post: 10,000 likes and 2,000 comments, counters exact.
  await q(
    `INSERT INTO likes (post_id, user_id, id) SELECT ${ID.bigPost}, i, i FROM generate_series(1, ${BIG_LIKES}) AS i`,
  );
  await q(
    `INSERT INTO comments (post_id, id, author_id, body)
     SELECT ${ID.bigPost}, i, 1 + (i * 17) % ${N}, 'comment number ' || i || ', a few words long like most of them are'
       FROM generate_series(1, ${BIG_COMMENTS}) AS i`,
  );
  await q(
    `UPDATE posts SET like_count = ${BIG_LIKES}, comment_count = ${BIG_COMMENTS} WHERE id = ${ID.bigPost}`,
  );

  // The reader's notifications: four in five are likes of one of their 20 posts, one a follow.
  const post = `${ID.readerPost(0)} + 1 + i % 20`;
  await q(
    `INSERT INTO notifications (recipient_id, id, type, actor_id, post_id, dedupe_key)
     SELECT ${reader}, next_id(shard_of(${reader})), CASE WHEN i % 5 = 0 THEN 'follow' ELSE 'like' END, i,
            CASE WHEN i % 5 = 0 THEN NULL ELSE ${post} END,
            CASE WHEN i % 5 = 0 THEN 'follow:' || i ELSE 'like:' || (${post}) || ':' || i END
       FROM generate_series(1, ${NOTIFICATIONS}) AS i ORDER BY i`,
  );
}

// ---- helpers against the running servers --------------------------------------------------

const tokens = new AccessTokens(new TextEncoder().encode(JWT_SECRET));

/** A session per user, made in SQL; tokens signed with the server's secret. */
async function tokensFor(userIds: readonly string[]): Promise<Map<string, string>> {
  const rows = await q<{ id: string; user_id: string }>(
    `INSERT INTO sessions (id, user_id, expires_at)
     SELECT next_id(shard_of(u)), u, now() + interval '1 day' FROM unnest($1::bigint[]) AS x (u)
     RETURNING id::text, user_id::text`,
    [userIds],
  );
  const out = new Map<string, string>();
  for (const row of rows)
    out.set(row.user_id, await tokens.issue({ userId: row.user_id, sessionId: row.id }));
  return out;
}

interface LoadFigures {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
  connections: number;
  statusCodes: Record<string, number>;
}
async function hammer(options: autocannon.Options, duration = DURATION): Promise<LoadFigures> {
  const result = await autocannon({ connections: CONNECTIONS, duration, ...options });
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]),
  );
  return {
    // Only successful answers count: a fast 4xx is not throughput.
    rps: Math.round(result['2xx'] / result.duration),
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    requests: result['2xx'] + result.non2xx,
    errors: result.errors,
    non2xx: result.non2xx,
    connections: options.connections ?? CONNECTIONS,
    statusCodes,
  };
}

/**
 * The statements alone, one after another on one connection, as often as fit in a second and
 * a half (at least 5 times, after 2 unmeasured runs): what the database contributes to a request.
 */
async function timeStatements(statements: readonly CompiledQuery[]) {
  const times: number[] = [];
  const until = performance.now() + 1_500;
  for (let i = 0; i < 2 + 5 || (performance.now() < until && times.length < 50); i++) {
    const from = performance.now();
    for (const statement of statements) await store!.db.executeQuery(statement);
    if (i >= 2) times.push(performance.now() - from);
  }
  return spread(times);
}

/** `--explain`: the plans of the statements, as the database ran them. */
async function explain(name: string, statements: readonly CompiledQuery[]) {
  for (const statement of statements) {
    const { rows } = await db!.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS) ${statement.sql}`,
      [...statement.parameters],
    );
    console.log(`--- ${name}\n${rows.map((r) => r['QUERY PLAN']).join('\n')}`);
  }
}

async function getJson(url: string, token?: string): Promise<Record<string, unknown>> {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function until<T>(what: string, probe: () => Promise<T | null | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * LIKERS users like `targets` under autocannon, each request a (user, post) pair not used before;
 * then like_count against count(*) per post, and the time until the worker has created the
 * likes' notifications (all for the same recipient, `before` of them from earlier storms).
 */
async function likeStorm(api: string, targets: readonly string[], likerTokens: string[], before: number) {
  let issued = 0;
  const figures = await hammer({
    url: api,
    method: 'POST',
    requests: [
      {
        setupRequest: (req) => {
          const n = issued++;
          return {
            ...req,
            method: 'POST',
            path: `/api/v1/posts/${targets[n % targets.length]}/like`,
            headers: {
              authorization: `Bearer ${likerTokens[Math.floor(n / targets.length) % likerTokens.length]}`,
            },
          };
        },
      },
    ],
  });
  const ended = performance.now();
  if (issued > likerTokens.length * targets.length) say(`  WARNING: ${issued} requests reused pairs`);
  // Answers still in flight when autocannon stopped may commit after it: settle first.
  await sleep(500);
  const perPost = await q<{ id: string; like_count: number; rows: number }>(
    `SELECT p.id::text, p.like_count, (SELECT count(*)::int FROM likes l WHERE l.post_id = p.id) AS rows
       FROM posts p WHERE p.id = ANY($1::bigint[]) ORDER BY p.id`,
    [targets],
  );
  const likeRows = perPost.reduce((n, p) => n + p.rows, 0);
  const notified = await until(
    'the like notifications',
    async () => {
      const [{ n } = { n: 0 }] = await q<{ n: number }>(
        'SELECT count(*)::int AS n FROM notifications WHERE recipient_id = $1',
        [ID.hotAuthor],
      );
      return n >= before + likeRows && performance.now();
    },
    180_000,
  );
  return {
    posts: targets.length,
    distinctLikers: likerTokens.length,
    requestsSent: issued,
    ...figures,
    likeRows,
    likeCountEqualsRows: perPost.every((p) => p.like_count === p.rows),
    postsWithMismatch: perPost.filter((p) => p.like_count !== p.rows),
    notificationsCreatedSecondsAfterStorm: round(seconds(ended, notified), 1),
  };
}

/** Sequential transactions that bump one post's like_count, each committed durably. */
async function commitLatency(postId: string, runs = 50) {
  const client = new pg.Client(database!.url);
  await client.connect();
  try {
    const times: number[] = [];
    for (let i = 0; i < runs + 3; i++) {
      const from = performance.now();
      await client.query('BEGIN');
      await client.query('UPDATE posts SET like_count = like_count + 0 WHERE id = $1', [postId]);
      await client.query('COMMIT');
      if (i >= 3) times.push(performance.now() - from);
    }
    return spread(times);
  } finally {
    await client.end();
  }
}

/**
 * Likes `posts` one after another (on `likeOn`) and waits for each `notification` event on a
 * stream of the posts' author open on `streamOn`. Latency: from the like's answer to the event.
 */
async function streamLatency(
  streamOn: string,
  likeOn: string,
  posts: readonly string[],
  authorToken: string,
  likerToken: string,
) {
  const sse = await openSse(`${streamOn}/api/v1/notifications/stream`, {
    authorization: `Bearer ${authorToken}`,
  });
  streams.push(sse);
  if (sse.status !== 200) throw new Error(`stream answered ${sse.status}: ${JSON.stringify(sse.body)}`);
  const toEvent: number[] = [];
  const likeAnswer: number[] = [];
  for (const [i, postId] of posts.entries()) {
    const from = sse.events.length;
    const sent = performance.now();
    const response = await fetch(`${likeOn}/api/v1/posts/${postId}/like`, {
      method: 'POST',
      headers: { authorization: `Bearer ${likerToken}` },
    });
    const text = await response.text();
    const answered = performance.now();
    if (response.status !== 200) throw new Error(`like: ${response.status} ${text}`);
    await sse.next((e) => e.event === 'notification' && payloadOf(e).post?.id === postId, 10_000, from);
    if (i >= STREAM_WARMUP) {
      toEvent.push(performance.now() - answered);
      likeAnswer.push(answered - sent);
    }
  }
  sse.close();
  return { events: toEvent.length, likeToEventMs: spread(toEvent), likeAnswerMs: spread(likeAnswer) };
}

// ---- the run --------------------------------------------------------------------------------

try {
  const loadAtStart = load();
  say(
    `engagement benchmark: ${fmt(USERS)} users, ${fmt(POSTS)} posts, ${fmt(LIKERS)} likers on ${HOT_POSTS} hot posts; load average ${loadAtStart.join(' ')}`,
  );
  for (const [name, available] of [
    ['PostgreSQL', postgresAvailable],
    ['Redis', redisAvailable],
    ['RabbitMQ', rabbitmqAvailable],
  ] as const) {
    if (!(await available())) throw new Error(`${name} is not reachable; this benchmark needs it`);
  }

  database = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'glimpse-bench-engagement-'));
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.url,
    REDIS_URL,
    REDIS_KEY_PREFIX: KEY_PREFIX,
    AMQP_URL,
    AMQP_QUEUE_PREFIX: QUEUE_PREFIX,
    JWT_SECRET,
    // A benchmark's load, not abuse: the budgets stay out of the way (max 100,000 a minute).
    LIKES_PER_MINUTE: '100000',
    COMMENTS_PER_MINUTE: '100000',
  };
  say('starting the server (role all; it applies the migrations)');
  const all = await startServer('all', env);
  processes.push(all);

  db = new pg.Client(database.url);
  await db.connect();
  await db.query('SET synchronous_commit = off');
  say('generating the data');
  const generationStarted = performance.now();
  await generate();
  const generatedSeconds = seconds(generationStarted);
  say(`  rows written in ${generatedSeconds.toFixed(1)} s; VACUUM ANALYZE`);
  await q('VACUUM ANALYZE');
  const generationSeconds = seconds(generationStarted);
  const [counts] = await q<Record<string, string>>(
    `SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM posts) AS posts,
            (SELECT count(*) FROM follows) AS follows, (SELECT count(*) FROM post_hashtags) AS post_hashtags,
            (SELECT count(*) FROM likes) AS likes, (SELECT count(*) FROM comments) AS comments,
            (SELECT count(*) FROM notifications) AS notifications,
            (SELECT count(*) FROM posts WHERE status = 'published' AND deleted_at IS NULL
                AND published_at > now() - interval '72 hours') AS posts_in_explore_window`,
  );
  say(`  generated in ${generationSeconds.toFixed(1)} s: ${JSON.stringify(counts)}`);

  // ---- the recompute, timed here (the worker's tick would run it every five minutes) ----
  say(`discovery.rank: recomputeDiscovery() ${RECOMPUTES} times`);
  store = openPostgres({ url: database.url, poolSize: 2, applicationName: 'bench' });
  const recomputes: { seconds: number; explorePosts: number; trendingHashtags: number }[] = [];
  let generation = '';
  for (let i = 0; i < RECOMPUTES; i++) {
    const from = performance.now();
    const { explore, trending } = await recomputeDiscovery(store.db);
    recomputes.push({
      seconds: round(seconds(from)),
      explorePosts: explore.posts,
      trendingHashtags: trending.hashtags,
    });
    generation = explore.generation;
  }
  say(`  ${recomputes.map((r) => `${(r.seconds * 1000).toFixed(0)} ms`).join(', ')}`);

  say('sessions and tokens');
  const likerIds = range(LIKERS).map(ID.liker);
  const tokenOf = await tokensFor([...likerIds, ID.reader, ID.streamAuthor, ID.streamLiker]);
  const likerTokens = likerIds.map((id) => tokenOf.get(id)!);
  const reader = tokenOf.get(ID.reader)!;
  const auth = { authorization: `Bearer ${reader}` };

  // ---- 0. the ceiling ----
  const base = all.url;
  const api = `${base}/api/v1`;
  say(`0. GET /healthz (${DURATION} s, ${CONNECTIONS} connections)`);
  await hammer({ url: `${base}/healthz` }, 2);
  const healthzBefore = await hammer({ url: `${base}/healthz` });
  say(`  ${fmt(healthzBefore.rps)} req/s, p50 ${healthzBefore.p50} ms, p99 ${healthzBefore.p99} ms`);

  // ---- 1. like storms ----
  // The floor under likes on one post: each like updates the post's row and holds its lock
  // until the commit is flushed, so likes of one post are at most one per commit.
  const commitFloor = await commitLatency(ID.coldPost(COLD_POSTS));
  say(
    `1. a commit that updates one post row (synchronous_commit on), ${commitFloor.n} in a row: p50 ${commitFloor.p50} ms, p99 ${commitFloor.p99} ms`,
  );
  const hot = range(HOT_POSTS).map(ID.hotPost);
  const cold = range(COLD_POSTS).map(ID.coldPost);
  let notifiedSoFar = 0;
  const storms: Record<string, Awaited<ReturnType<typeof likeStorm>>> = {};
  for (const [name, targets] of [
    ['hot', hot],
    ['spread', cold],
  ] as const) {
    say(
      `  storm on ${fmt(targets.length)} post(s): ${fmt(LIKERS)} users, every request a new (user, post) pair`,
    );
    const result = await likeStorm(api, targets, likerTokens, notifiedSoFar);
    notifiedSoFar += result.likeRows;
    storms[name] = result;
    say(
      `  ${fmt(result.rps)} likes/s, p50 ${result.p50} ms, p99 ${result.p99} ms; ${fmt(result.likeRows)} rows, like_count ${result.likeCountEqualsRows ? '=' : '≠'} rows on every post; notifications all created ${result.notificationsCreatedSecondsAfterStorm} s after the storm`,
    );
  }
  const hotStorm = storms.hot!;
  const likes = {
    commitFloorMs: commitFloor,
    // One commit at a time per hot post: the most a storm on HOT_POSTS posts could reach.
    hotPostsLimitPerSecond: Math.round((HOT_POSTS * 1000) / commitFloor.p50),
    hot: hotStorm,
    spread: storms.spread!,
  };

  // ---- 2-4. reads ----
  const reads: {
    name: string;
    path: string;
    results: number;
    figures: LoadFigures;
    mainQueryAloneMs: ReturnType<typeof spread>;
  }[] = [];
  const read = async (
    name: string,
    path: string,
    count: (body: Record<string, unknown>) => number,
    statements: (db: Executor) => CompiledQuery[],
    connections = CONNECTIONS,
  ) => {
    const url = `${api}${path}`;
    const results = count(await getJson(url, reader));
    const compiled = statements(store!.db);
    const alone = await timeStatements(compiled);
    if (EXPLAIN) await explain(name, compiled);
    await hammer({ url, headers: auth, connections }, 1);
    const figures = await hammer({ url, headers: auth, connections });
    reads.push({ name, path, results, figures, mainQueryAloneMs: alone });
    say(
      `  ${name}: ${fmt(figures.rps)} req/s, p50 ${figures.p50} ms, p99 ${figures.p99} ms (${results} results, ${connections} connections${figures.non2xx ? `, statuses ${JSON.stringify(figures.statusCodes)}` : ''}); main query alone p50 ${alone.p50} ms`,
    );
  };
  const list = (key: string) => (body: Record<string, unknown>) => (body[key] as unknown[]).length;
  // The statement(s) each route's service runs first, built by the repositories' own builders
  // with the parameters the service derives from the request (what explain.test.ts EXPLAINs).
  const viewer = ID.reader;
  const limit = 20;
  const users = (term: string) => (d: Executor) => [userSearchQuery({ term, viewer, limit }).compile(d)];
  const posts = (tsquery: string) => (d: Executor) => [
    postSearchQuery(d, { tsquery, viewer, limit }).compile(),
  ];
  const tagged = (name: string) => (d: Executor) => [hashtagPostsQuery(d, { name, viewer, limit }).compile()];
  const postId = ID.bigPost;
  say(`2. the big post (${fmt(BIG_LIKES)} likes, ${fmt(BIG_COMMENTS)} comments), signed in as the reader`);
  await read('comments, first page', `/posts/${postId}/comments?limit=20`, list('comments'), (d) => [
    commentPageQuery(d, { postId, viewer, limit }).compile(),
  ]);
  await read('likers, first page', `/posts/${postId}/likes?limit=20`, list('users'), (d) => [
    likerPageQuery(d, { postId, viewer, limit }).compile(),
  ]);
  say('3. discovery, signed in as the reader');
  await read(
    'search users, broad prefix "ann"',
    '/search?type=users&q=ann',
    list('users'),
    users('ann'),
    SLOW_CONNECTIONS,
  );
  await read(
    'search users, narrow prefix "chen_12"',
    '/search?type=users&q=chen_12',
    list('users'),
    users('chen_12'),
    SLOW_CONNECTIONS,
  );
  await read(
    'search users, typo "margareta"',
    '/search?type=users&q=margareta',
    list('users'),
    users('margareta'),
    SLOW_CONNECTIONS,
  );
  await read(
    'search posts, rare word "word42"',
    '/search?type=posts&q=word42',
    list('posts'),
    posts("'word42':*"),
  );
  await read(
    'search posts, common word "sunset"',
    '/search?type=posts&q=sunset',
    list('posts'),
    posts("'sunset':*"),
  );
  await read('search hashtags, prefix "tag1"', '/search?type=hashtags&q=tag1', list('hashtags'), (d) => [
    hashtagSearchQuery({ term: 'tag1', limit }).compile(d),
  ]);
  await read('hashtag posts, #tag7 (50 posts)', '/hashtags/tag7/posts', list('posts'), tagged('tag7'));
  await read(
    'hashtag posts, #popular (10% of posts)',
    '/hashtags/popular/posts',
    list('posts'),
    tagged('popular'),
  );
  await read('explore, first page', '/explore', list('posts'), (d) => [
    explorePageQuery(d, { generation, afterRank: 0, viewer, limit }).compile(),
  ]);
  await read('trending hashtags', '/hashtags/trending', list('hashtags'), (d) => [
    trendingPageQuery(d, 10).compile(),
  ]);
  say(`4. notifications: the reader has ${fmt(NOTIFICATIONS)}`);
  const unread = Number((await getJson(`${api}/notifications`, reader)).unreadCount);
  await read(
    'notifications, first page + unreadCount',
    '/notifications?limit=20',
    list('notifications'),
    (d) => [
      notificationPageQuery(viewer, { before: undefined, limit }).compile(d),
      readStateQuery(viewer).compile(d),
    ],
  );

  say(`0'. GET /healthz again`);
  const healthzAfter = await hammer({ url: `${base}/healthz` });
  say(`  ${fmt(healthzAfter.rps)} req/s, p50 ${healthzAfter.p50} ms, p99 ${healthzAfter.p99} ms`);
  const ceiling = (healthzBefore.rps + healthzAfter.rps) / 2;

  // ---- 4. the stream ----
  const streamPosts = range(2 * (EVENTS + STREAM_WARMUP)).map(ID.streamPost);
  const authorToken = tokenOf.get(ID.streamAuthor)!;
  const likerToken = tokenOf.get(ID.streamLiker)!;
  say(`4a. like → stream event, one 'all' process, ${EVENTS} likes one after another`);
  const oneProcess = await streamLatency(
    base,
    base,
    streamPosts.slice(0, EVENTS + STREAM_WARMUP),
    authorToken,
    likerToken,
  );
  say(
    `  p50 ${oneProcess.likeToEventMs.p50} ms, p95 ${oneProcess.likeToEventMs.p95} ms, p99 ${oneProcess.likeToEventMs.p99} ms, max ${oneProcess.likeToEventMs.max} ms`,
  );
  say("4b. two 'serve' processes, a 'worker' and a 'relay': the like on B, the stream on A");
  await stopProcesses();
  const [a, b] = await Promise.all(
    (['serve', 'serve', 'worker', 'relay'] as const).map(async (role) => {
      const p = await startServer(role, env);
      processes.push(p);
      return p;
    }),
  );
  const split = await streamLatency(
    a!.url,
    b!.url,
    streamPosts.slice(EVENTS + STREAM_WARMUP),
    authorToken,
    likerToken,
  );
  say(
    `  p50 ${split.likeToEventMs.p50} ms, p95 ${split.likeToEventMs.p95} ms, p99 ${split.likeToEventMs.p99} ms, max ${split.likeToEventMs.max} ms`,
  );

  // ---- report ----
  const ratio = (f: LoadFigures) => round(f.rps / ceiling, 3);
  const [{ server_version: postgresVersion } = { server_version: '?' }] = await q<{ server_version: string }>(
    'SHOW server_version',
  );
  const redis = new Redis(REDIS_URL);
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))![1];
  redis.disconnect();
  const report = {
    scenario: 'engagement',
    date: new Date().toISOString(),
    machine: machine({
      postgres: postgresVersion,
      redis: redisVersion,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: load(),
    }),
    settings: { durationSeconds: DURATION, connections: CONNECTIONS, databasePoolSize: 10 },
    data: {
      generationSeconds: round(generationSeconds, 1),
      rows: Object.fromEntries(Object.entries(counts!).map(([k, v]) => [k, Number(v)])),
    },
    discoveryRank: {
      runs: recomputes,
      medianSeconds: round(
        quantile(
          recomputes.map((r) => r.seconds).sort((x, y) => x - y),
          0.5,
        ),
      ),
    },
    ceiling: { healthzBefore, healthzAfter, rps: Math.round(ceiling) },
    likes: {
      ...likes,
      hotVsCeiling: ratio(likes.hot),
      spreadVsCeiling: ratio(likes.spread),
      hotVsCommitLimit: round(likes.hot.rps / likes.hotPostsLimitPerSecond, 2),
    },
    reads: reads.map((r) => ({ ...r, vsCeiling: ratio(r.figures) })),
    notifications: {
      unreadCount: unread,
      stream: { events: EVENTS, oneProcess, twoApiProcesses: split },
    },
    runSeconds: round(seconds(started), 1),
  };
  await writeResults('engagement', report);

  console.log(
    `\nengagement: ${fmt(USERS)} users, ${fmt(POSTS)} posts (generated in ${generationSeconds.toFixed(1)} s); load average ${loadAtStart.join(' ')} at start, ${report.machine.loadAverageAtEnd.join(' ')} at end`,
  );
  console.log(
    `ceiling GET /healthz: ${fmt(healthzBefore.rps)} req/s before, ${fmt(healthzAfter.rps)} after (p50 ${healthzBefore.p50}/${healthzAfter.p50} ms)`,
  );
  const rows: [string, LoadFigures, number | null][] = [
    [`POST like (${HOT_POSTS} hot posts)`, likes.hot, null],
    [`POST like (${COLD_POSTS} posts)`, likes.spread, null],
    ...reads.map((r): [string, LoadFigures, number] => [r.name, r.figures, r.mainQueryAloneMs.p50]),
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [what, f, alone] of rows)
    console.log(
      `${what.padEnd(width)}  ${fmt(f.rps).padStart(6)} req/s  p50 ${String(f.p50).padStart(4)} ms  p99 ${String(f.p99).padStart(4)} ms  ÷ ceiling ${ratio(f).toFixed(3)}${alone === null ? '' : `  query alone p50 ${alone} ms`}${f.non2xx || f.errors ? `  (${f.non2xx} non-2xx, ${f.errors} errors)` : ''}`,
    );
  for (const [name, s] of Object.entries(storms))
    console.log(
      `likes (${name}): ${fmt(s.likeRows)} rows, like_count = rows: ${s.likeCountEqualsRows}; notifications all created ${s.notificationsCreatedSecondsAfterStorm} s after the storm`,
    );
  console.log(
    `one durable commit on a post row: p50 ${commitFloor.p50} ms → at most ${fmt(likes.hotPostsLimitPerSecond)} likes/s on ${HOT_POSTS} posts; the hot storm reached ${report.likes.hotVsCommitLimit} of it`,
  );
  console.log(
    `discovery.rank recompute: ${recomputes.map((r) => `${(r.seconds * 1000).toFixed(0)} ms`).join(', ')} (${recomputes[0]!.explorePosts} explore posts, ${recomputes[0]!.trendingHashtags} trending tags)`,
  );
  for (const [name, s] of [
    ['one process', oneProcess],
    ['two API processes', split],
  ] as const)
    console.log(
      `like 200 → SSE event, ${name}: p50 ${s.likeToEventMs.p50} ms, p95 ${s.likeToEventMs.p95} ms, p99 ${s.likeToEventMs.p99} ms, max ${s.likeToEventMs.max} ms (like answered p50 ${s.likeAnswerMs.p50} ms)`,
    );
  console.log(`\nresults: bench/results/engagement.json (${report.runSeconds} s in all)`);
} catch (err) {
  if (!signals.interrupted) {
    console.error(err);
    for (const [i, p] of processes.entries()) {
      const output = p.output().trim();
      if (output)
        console.error(`\n--- process ${i} output, last 3000 characters ---\n${output.slice(-3000)}`);
    }
  }
  process.exitCode = 1;
} finally {
  await cleanup();
}

/**
 * Benchmark `feed-naive`: the home feed as Glimpse builds it (timelines in Redis, pull-and-merge
 * for celebrities, then one statement that applies the policy and hydrates) against the seeds' "naive first cut" —
 * `SELECT … FROM posts WHERE author_id IN (followees) ORDER BY id DESC LIMIT 20` — hydrated by
 * the same PostHydrator, on the same seeded graph, in one process (no HTTP: both sides get the
 * same Node process, pool and PostgreSQL). Each size in --sizes gets its own graph (cached, see
 * feed-graph.ts), so the ratio is shown growing with the graph.
 * Target (issue 8): real ≥ 10x naive at 100,000 users / 20M follows, and growing with the graph.
 * Usage: npm run bench -- feed-naive [--sizes 10000,100000] [--avg-follows 200] [--seconds 10]
 *   [--concurrency 8] [--fresh] [--drop-graphs]
 */
import { sql } from 'kysely';
import pino from 'pino';
import { loadConfig } from '../apps/server/src/config.js';
import type { Executor } from '../apps/server/src/db/executor.js';
import { UserDirectory } from '../apps/server/src/graph/user-directory.js';
import { MediaUrls } from '../apps/server/src/media/media-view.js';
import { createMetrics } from '../apps/server/src/observability/metrics.js';
import { PostHydrator } from '../apps/server/src/posts/hydrate.js';
import { POST_COLUMNS, type PostRow } from '../apps/server/src/posts/posts.repo.js';
import { createServices, openInfrastructure } from '../apps/server/src/wiring.js';
import { REDIS_URL } from '../apps/server/test/support/services.js';
import { lineChart, writeChart } from './chart.js';
import {
  arg,
  commandLine,
  describeMachine,
  machineInfo,
  markdownTable,
  writeReport,
  writeResults,
} from './common.js';
import { dropCachedGraphs, flag, say, seededGraph, type Graph } from './feed-graph.js';

const SIZES = (
  process.argv.includes('--sizes') ? process.argv[process.argv.indexOf('--sizes') + 1]! : '10000,100000'
)
  .split(',')
  .map(Number);
const AVG_FOLLOWS = arg('avg-follows', 200);
const SECONDS = arg('seconds', 10);
const CONCURRENCY = arg('concurrency', 8);
const VIEWERS = 500;
const PAGE = 20;

/** The seeds' naive first cut: fan-out on read over the followees' posts. */
function naiveRows(db: Executor, viewer: string): Promise<PostRow[]> {
  return sql<PostRow>`
    SELECT ${sql.join(POST_COLUMNS.map((c) => sql.ref(`p.${c}`)))} FROM posts p
     WHERE p.author_id IN (SELECT followee_id FROM follows WHERE follower_id = ${viewer}::bigint AND state = 'accepted')
       AND p.status = 'published' AND p.deleted_at IS NULL
     ORDER BY p.id DESC LIMIT ${PAGE}`
    .execute(db)
    .then((r) => r.rows);
}

interface Timing {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly posts: number;
}

/** `concurrency` loops calling `read` for the next viewer in turn, for SECONDS. */
async function measure(
  viewers: readonly string[],
  read: (viewer: string) => Promise<number>,
): Promise<Timing> {
  const latencies: number[] = [];
  let posts = 0;
  let next = 0;
  const deadline = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const started = performance.now();
        posts += await read(viewers[next++ % viewers.length]!);
        latencies.push(performance.now() - started);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    +latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]!.toFixed(2);
  return {
    perSecond: Math.round(latencies.length / SECONDS),
    p50: at(0.5),
    p99: at(0.99),
    posts: +(posts / latencies.length).toFixed(1),
  };
}

async function compare(graph: Graph) {
  const env = {
    DATABASE_URL: graph.databaseUrl,
    REDIS_URL,
    REDIS_KEY_PREFIX: graph.keyPrefix,
    DATA_DIR: graph.dataDir,
    JWT_SECRET: 'feed-naive-benchmark-signs-no-tokens-with-this',
    CELEBRITY_FOLLOWERS: String(graph.manifest.celebrityFollowers),
    DATABASE_POOL_SIZE: String(CONCURRENCY + 2),
    LOG_LEVEL: 'warn',
  };
  const config = loadConfig(env);
  const log = pino({ level: 'warn' });
  const metrics = createMetrics();
  const infra = await openInfrastructure(config, log, metrics, { runMigrations: false });
  try {
    const services = createServices(infra, config, log, metrics);
    const db = infra.store.db;
    const urls = new MediaUrls(config.mediaBaseUrl, infra.signers.media);
    const hydrator = new PostHydrator(db, new UserDirectory(db, urls), urls);
    const { rows } = await sql<{ id: string }>`
      SELECT id::text FROM users WHERE feed_read_at > now() - interval '7 days'
       ORDER BY hashtext(id::text) LIMIT ${VIEWERS}`.execute(db);
    const viewers = rows.map((r) => r.id);
    const real = (v: string) => services.feed.page(v, { limit: PAGE }).then((p) => p.posts.length);
    const naive = (v: string) => naiveRows(db, v).then((r) => hydrator.hydrate(v, r).then((p) => p.length));
    const naiveQuery = (v: string) => naiveRows(db, v).then((r) => r.length);
    // Warm both paths (caches, plans, connections) before measuring either.
    for (const read of [real, naive]) await measure(viewers.slice(0, 50), read);
    const result = {
      users: graph.manifest.users,
      follows: graph.manifest.follows,
      posts: graph.manifest.posts,
      real: await measure(viewers, real),
      naive: await measure(viewers, naive),
      naiveQueryOnly: await measure(viewers, naiveQuery),
    };
    say(
      `${graph.name}: real ${result.real.perSecond}/s p99 ${result.real.p99} ms; naive ${result.naive.perSecond}/s p99 ${result.naive.p99} ms`,
    );
    return { ...result, speedup: +(result.real.perSecond / result.naive.perSecond).toFixed(2) };
  } finally {
    await infra.close();
  }
}

const info = await machineInfo();
const runs = [];
for (const users of SIZES) runs.push(await compare(await seededGraph({ users, avgFollows: AVG_FOLLOWS })));
await writeResults('feed-naive', {
  scenario: 'feed-naive',
  command: commandLine(),
  machine: info,
  concurrency: CONCURRENCY,
  seconds: SECONDS,
  runs,
});
await writeChart(
  'feed-naive',
  lineChart({
    title: 'Feed reads per second: timelines vs the naive query (same hydration)',
    xLabel: 'users in the graph',
    yLabel: 'feed pages per second',
    xLog: true,
    yLog: true,
    series: [
      { name: 'Glimpse feed (timelines)', points: runs.map((r) => [r.users, r.real.perSecond]) },
      { name: 'naive IN (followees)', points: runs.map((r) => [r.users, r.naive.perSecond]) },
    ],
  }),
);
await writeReport(
  'feed-naive',
  [
    '# feed-naive',
    '',
    `\`${commandLine()}\` on ${describeMachine(info)}; ${CONCURRENCY} concurrent reads, ${SECONDS} s each, ${VIEWERS} active readers, pages of ${PAGE}.`,
    '',
    markdownTable(
      [
        'users',
        'follows',
        'posts',
        'Glimpse pages/s (p50 / p99 ms)',
        'naive pages/s (p50 / p99 ms)',
        'naive query alone p50 / p99 ms',
        'speed-up',
      ],
      runs.map((r) => [
        r.users,
        r.follows,
        r.posts,
        `${r.real.perSecond} (${r.real.p50} / ${r.real.p99})`,
        `${r.naive.perSecond} (${r.naive.p50} / ${r.naive.p99})`,
        `${r.naiveQueryOnly.p50} / ${r.naiveQueryOnly.p99}`,
        `${r.speedup}x`,
      ]),
    ),
  ].join('\n'),
);
if (flag('drop-graphs')) await dropCachedGraphs();

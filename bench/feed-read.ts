/**
 * Benchmark `feed-read`: authenticated GET /feed?limit=20 for random active readers of a seeded
 * graph (default 100,000 users, 200 follows on average), at several concurrency levels, next to
 * the same server's GET /healthz as the framework's ceiling in the same run.
 * Targets (issue 8): feed ≥ 0.35 of /healthz with 20 hydrated posts; ≥ 2,500 feed reads per second
 * per core with p99 < 25 ms.
 * Usage: npm run bench -- feed-read [--users 100000] [--avg-follows 200] [--seconds 10]
 *   [--levels 1,4,16,64] [--fresh] [--drop-graphs]
 */
import { cpus } from 'node:os';
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
import { dropCachedGraphs, flag, load, say, seededGraph, startApi, type Load } from './feed-graph.js';

const USERS = arg('users', 100_000);
const AVG_FOLLOWS = arg('avg-follows', 200);
const SECONDS = arg('seconds', 10);
const LEVELS = (process.argv[process.argv.indexOf('--levels') + 1] ?? '')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const levels = process.argv.includes('--levels') && LEVELS.length > 0 ? LEVELS : [1, 4, 16, 64];
const READERS = 2_000;
const PAGE = 20;

const info = await machineInfo();
const graph = await seededGraph({ users: USERS, avgFollows: AVG_FOLLOWS });
const api = await startApi(graph, READERS);
try {
  // Readers whose first page is full, so every measured read hydrates exactly PAGE posts.
  const full: string[] = [];
  for (const reader of api.readers) {
    const res = await fetch(`${api.url}/api/v1/feed?limit=${PAGE}`, {
      headers: { authorization: `Bearer ${reader.token}` },
    });
    const body = (await res.json()) as { posts?: unknown[] };
    if (res.status === 200 && body.posts?.length === PAGE) full.push(reader.token);
  }
  say(`${full.length} of ${api.readers.length} sampled active readers have a full first page`);
  await load(api.url, `/api/v1/feed?limit=${PAGE}`, { connections: 16, seconds: 3, tokens: full });

  const rows: { level: number; feed: Load; healthz: Load }[] = [];
  for (const connections of levels) {
    const healthz = await load(api.url, '/healthz', { connections, seconds: SECONDS });
    const feed = await load(api.url, `/api/v1/feed?limit=${PAGE}`, {
      connections,
      seconds: SECONDS,
      tokens: full,
    });
    say(
      `${connections} connections: feed ${feed.rps} req/s (p99 ${feed.p99} ms), /healthz ${healthz.rps} req/s`,
    );
    rows.push({ level: connections, feed, healthz });
  }

  const cores = cpus().length;
  const best = rows.reduce((a, b) => (b.feed.rps > a.feed.rps ? b : a));
  const withinP99 = rows.filter((r) => r.feed.p99 < 25);
  const bestWithin = withinP99.reduce<(typeof rows)[number] | null>(
    (a, b) => (!a || b.feed.rps > a.feed.rps ? b : a),
    null,
  );
  const results = {
    scenario: 'feed-read',
    command: commandLine(),
    machine: info,
    graph: { name: graph.name, ...graph.manifest },
    page: PAGE,
    readers: full.length,
    seconds: SECONDS,
    levels: rows.map((r) => ({
      connections: r.level,
      feed: r.feed,
      healthz: r.healthz,
      ratio: +(r.feed.rps / r.healthz.rps).toFixed(3),
      feedPerCore: Math.round(r.feed.rps / cores),
    })),
    targets: {
      ratioAtLeast035: +(best.feed.rps / best.healthz.rps).toFixed(3) >= 0.35,
      perCoreAtLeast2500WithP99Under25ms: bestWithin !== null && bestWithin.feed.rps / cores >= 2_500,
    },
  };
  await writeResults('feed-read', results);
  await writeChart(
    'feed-read',
    lineChart({
      title: `GET /feed?limit=20 vs GET /healthz, ${graph.manifest.users.toLocaleString('en-US')} users`,
      xLabel: 'concurrent connections',
      yLabel: 'p99 latency (ms)',
      xLog: true,
      yLog: true,
      series: [
        { name: 'feed p50', points: rows.map((r) => [r.level, Math.max(0.1, r.feed.p50)]) },
        { name: 'feed p99', points: rows.map((r) => [r.level, Math.max(0.1, r.feed.p99)]) },
        { name: '/healthz p99', points: rows.map((r) => [r.level, Math.max(0.1, r.healthz.p99)]) },
      ],
      targets: [{ y: 25, label: 'p99 target 25 ms' }],
    }),
  );
  await writeReport(
    'feed-read',
    [
      `# feed-read`,
      '',
      `\`${commandLine()}\` on ${describeMachine(info)}; ${graph.manifest.users.toLocaleString('en-US')} users, ` +
        `${graph.manifest.follows.toLocaleString('en-US')} follows, ${full.length} readers with a full page of ${PAGE}.`,
      '',
      markdownTable(
        [
          'connections',
          'feed req/s',
          'p50 ms',
          'p95 ms',
          'p99 ms',
          '/healthz req/s',
          'feed ÷ /healthz',
          'feed req/s per core',
          'errors',
        ],
        results.levels.map((l) => [
          l.connections,
          l.feed.rps,
          l.feed.p50,
          l.feed.p95,
          l.feed.p99,
          l.healthz.rps,
          l.ratio,
          l.feedPerCore,
          l.feed.errors,
        ]),
      ),
      '',
      `Best: ${best.feed.rps} feed reads/s at ${best.level} connections = ${(best.feed.rps / best.healthz.rps).toFixed(2)} of /healthz ` +
        `(target ≥ 0.35: ${results.targets.ratioAtLeast035 ? 'met' : 'not met'}); ` +
        `${bestWithin ? `${Math.round(bestWithin.feed.rps / cores)} per core with p99 ${bestWithin.feed.p99} ms at ${bestWithin.level} connections` : 'no level had p99 < 25 ms'} ` +
        `(target ≥ 2,500 per core with p99 < 25 ms: ${results.targets.perCoreAtLeast2500WithP99Under25ms ? 'met' : 'not met'}).`,
    ].join('\n'),
  );
} finally {
  await api.stop();
  if (flag('drop-graphs')) await dropCachedGraphs();
}

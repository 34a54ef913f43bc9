/**
 * Benchmark `feed-scale`: the feed-read measurement (GET /feed?limit=20 for random active
 * readers, closed loop) on graphs of growing size with the same shape (average follows,
 * celebrities, posts per user, active share), one `serve` process each.
 * Target (issue 8): flat — p99 on the largest graph within 1.5x of the smallest.
 * Usage: npm run bench -- feed-scale [--sizes 10000,100000] [--avg-follows 200]
 *   [--connections 16] [--seconds 15] [--fresh] [--drop-graphs]
 * Add 1000000 to --sizes only where memory holds the graph: at 200 follows it is ~55 GB of
 * PostgreSQL and ~45 minutes of seeding on two cores.
 */
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
import { dropCachedGraphs, flag, load, say, seededGraph, startApi } from './feed-graph.js';

const SIZES = (
  process.argv.includes('--sizes') ? process.argv[process.argv.indexOf('--sizes') + 1]! : '10000,100000'
)
  .split(',')
  .map(Number);
const AVG_FOLLOWS = arg('avg-follows', 200);
const CONNECTIONS = arg('connections', 16);
const SECONDS = arg('seconds', 15);
const READERS = 2_000;

const info = await machineInfo();
const runs = [];
for (const users of SIZES) {
  const graph = await seededGraph({ users, avgFollows: AVG_FOLLOWS });
  const api = await startApi(graph, READERS);
  try {
    const tokens = api.readers.map((r) => r.token);
    await load(api.url, '/api/v1/feed?limit=20', { connections: CONNECTIONS, seconds: 5, tokens });
    const healthz = await load(api.url, '/healthz', { connections: CONNECTIONS, seconds: SECONDS });
    const feed = await load(api.url, '/api/v1/feed?limit=20', {
      connections: CONNECTIONS,
      seconds: SECONDS,
      tokens,
    });
    say(
      `${users} users: feed ${feed.rps} req/s, p50 ${feed.p50} ms, p99 ${feed.p99} ms (/healthz ${healthz.rps} req/s)`,
    );
    runs.push({
      users,
      follows: graph.manifest.follows,
      posts: graph.manifest.posts,
      feed,
      healthz,
      ratio: +(feed.rps / healthz.rps).toFixed(3),
    });
  } finally {
    await api.stop();
  }
}

const growth = +(runs.at(-1)!.feed.p99 / runs[0]!.feed.p99).toFixed(2);
await writeResults('feed-scale', {
  scenario: 'feed-scale',
  command: commandLine(),
  machine: info,
  connections: CONNECTIONS,
  seconds: SECONDS,
  runs,
  p99LargestOverSmallest: growth,
  flat: growth <= 1.5,
});
await writeChart(
  'feed-scale',
  lineChart({
    title: `GET /feed?limit=20 latency vs graph size (${CONNECTIONS} connections)`,
    xLabel: 'users in the graph (200 follows each on average)',
    yLabel: 'latency (ms)',
    xLog: true,
    series: [
      { name: 'p50', points: runs.map((r) => [r.users, r.feed.p50]) },
      { name: 'p95', points: runs.map((r) => [r.users, r.feed.p95]) },
      { name: 'p99', points: runs.map((r) => [r.users, r.feed.p99]) },
    ],
    targets: [{ y: runs[0]!.feed.p99 * 1.5, label: '1.5x the smallest graph’s p99' }],
  }),
);
await writeReport(
  'feed-scale',
  [
    '# feed-scale',
    '',
    `\`${commandLine()}\` on ${describeMachine(info)}; ${CONNECTIONS} connections, ${SECONDS} s per graph.`,
    '',
    markdownTable(
      [
        'users',
        'follows',
        'posts',
        'feed req/s',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        '/healthz req/s',
        'feed ÷ /healthz',
      ],
      runs.map((r) => [
        r.users,
        r.follows,
        r.posts,
        r.feed.rps,
        r.feed.p50,
        r.feed.p95,
        r.feed.p99,
        r.healthz.rps,
        r.ratio,
      ]),
    ),
    '',
    `p99 on the largest graph ÷ the smallest: ${growth} (target ≤ 1.5: ${growth <= 1.5 ? 'met' : 'not met'}).`,
  ].join('\n'),
);
if (flag('drop-graphs')) await dropCachedGraphs();

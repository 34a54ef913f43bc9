import pg from 'pg';
import pino from 'pino';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { hashPassword } from '../../apps/server/src/accounts/passwords.js';
import { loadConfig } from '../../apps/server/src/config.js';
import { timelineIds } from '../../apps/server/src/feed/feed.repo.js';
import { createMetrics } from '../../apps/server/src/observability/metrics.js';
import { openInfrastructure, type Infrastructure } from '../../apps/server/src/wiring.js';
import { generatePosts, generateUsers, HASHTAGS, mintId, shardOf } from './content.js';
import { generateGraph } from './graph.js';
import { copyRows, copyValue, withIndexesSetAside } from './load.js';
import { fmt, Progress } from './progress.js';
import { storeSources, SOURCE_PHOTOS } from './renditions.js';
import * as rows from './rows.js';
import { activeReaders, homeTimeline, postsByAuthor, writeTimelines } from './timelines.js';

export interface SeedOptions {
  readonly users: number;
  readonly avgFollows: number;
  /** Accounts followed by N/2, N/4, N/6, ... of everyone: above the celebrity threshold. */
  readonly celebrities: number;
  readonly postsPerUser: number;
  /** Share of users who read their feed lately (timelines built) and posted in the last days. */
  readonly activeShare: number;
  readonly privateShare: number;
  readonly seed: number;
}

export const DEFAULT_OPTIONS: SeedOptions = {
  users: 10_000,
  avgFollows: 200,
  celebrities: 5,
  postsPerUser: 10,
  activeShare: 0.2,
  privateShare: 0.05,
  seed: 1,
};

/** Every seeded user's password (`u1` .. `uN`). */
export const SEED_PASSWORD = 'seeded-password-1';
/** Timelines compared with the system's own rebuild query after seeding. */
const VERIFIED_TIMELINES = 20;

export interface SeedManifest {
  readonly options: SeedOptions;
  readonly users: number;
  readonly follows: number;
  readonly posts: number;
  readonly media: number;
  readonly activeUsers: number;
  /** Start the servers with CELEBRITY_FOLLOWERS at this value: the C most followed accounts exceed it. */
  readonly celebrityFollowers: number;
  readonly pullAuthors: number;
  readonly topFollowerCounts: number[];
  readonly timelines: { home: number; authors: number; verified: string };
  readonly password: string;
  /** Wall time of each phase, and in all. */
  readonly seconds: Record<string, number>;
}

/**
 * Fills an empty service-shape deployment (PostgreSQL + Redis, and its object store) described
 * by `env`, the environment its servers run with (DATABASE_URL, REDIS_URL or
 * REDIS_CLUSTER_NODES, REDIS_KEY_PREFIX, DATA_DIR or S3_*, FEED_TIMELINE_CAP, FEED_ACTIVE_DAYS).
 * The same options and seed give the same graph, users, posts and timelines.
 */
export async function seedGraph(
  env: Record<string, string | undefined>,
  options: SeedOptions,
  say: (line: string) => void = console.log,
): Promise<SeedManifest> {
  const started = performance.now();
  // The seed never signs a token; the parser wants a secret next to DATABASE_URL all the same.
  const config = loadConfig({
    JWT_SECRET: 'seed-never-signs-tokens-with-this-secret',
    ...env,
    AMQP_URL: undefined,
  });
  if (config.database.kind !== 'postgres' || !config.redis) {
    throw new Error(
      'the generator fills a service-shape deployment: set DATABASE_URL and REDIS_URL (or REDIS_CLUSTER_NODES)',
    );
  }
  const infra = await openInfrastructure(config, pino({ level: 'warn' }), createMetrics(), {
    jwtSecret: new TextEncoder().encode(config.jwtSecret ?? ''),
  });
  const client = new pg.Client({ connectionString: config.database.url, application_name: 'glimpse-seed' });
  await client.connect();
  try {
    const { rows: existing } = await client.query<{ n: string }>(
      'SELECT count(*) AS n FROM (SELECT 1 FROM users LIMIT 1) u',
    );
    if (existing[0]!.n !== '0')
      throw new Error('the database already has users: seed an empty, migrated database');
    return await fill(
      client,
      infra,
      options,
      { cap: config.feed.timelineCap, activeDays: config.feed.activeDays },
      say,
      started,
    );
  } finally {
    await client.end();
    await infra.close();
  }
}

async function fill(
  client: pg.Client,
  infra: Infrastructure,
  options: SeedOptions,
  feed: { cap: number; activeDays: number },
  say: (line: string) => void,
  started: number,
): Promise<SeedManifest> {
  const seconds: Record<string, number> = {};
  // One generator per stream, so that changing one stream never shifts the others.
  const rng = (stream: number) => xoroshiro128plus(options.seed * 1_000 + stream);
  const now = Date.now();

  let bar = new Progress('graph', options.users * options.avgFollows, 'follows');
  let last = 0;
  const graph = generateGraph(options, rng(1), (made) => {
    bar.add(made - last);
    last = made;
  });
  seconds.graph = bar.done();
  const users = generateUsers({ ...options, now }, rng(2));
  const posts = generatePosts({ ...options, now }, users, rng(3));
  const adj = rows.adjacency(graph);
  const celebrityFollowers = celebrityThreshold(graph.followers, options.celebrities);
  const pull = Uint8Array.from(graph.followers, (f) => (f > celebrityFollowers ? 1 : 0));
  say(
    `graph: ${fmt(graph.users)} users, ${fmt(graph.follower.length)} follows, ${fmt(posts.ids.length)} posts in memory`,
  );

  const passwordHash = await hashPassword(SEED_PASSWORD);
  await client.query('SET synchronous_commit = off');
  bar = new Progress('users', graph.users, 'rows');
  await withIndexesSetAside(
    client,
    ['users'],
    async () => {
      await copyRows(
        client,
        'users',
        rows.USER_COLUMNS,
        rows.userRows(users, graph, posts, {
          passwordHash,
          pull,
          activeDays: feed.activeDays,
          now,
          rng: rng(4),
        }),
        (n) => bar.add(n),
      );
    },
    say,
  );
  seconds.users = bar.done();

  // The few real photos, owned by the first user, at times no post uses (before any post).
  const sourceIds = SOURCE_PHOTOS.map((_, k) =>
    mintId(users.joinedAt[0]! + 1 + k, shardOf(users.ids[0]!), 1_000),
  );
  let phase = performance.now();
  const sources = await storeSources(sourceIds, { codec: infra.codec, objects: infra.objects });
  seconds.renditions = (performance.now() - phase) / 1000;

  const { rows: tagRows } = await client.query<{ id: string }>(
    `INSERT INTO hashtags (name) SELECT unnest($1::text[]) RETURNING id::text`,
    [HASHTAGS],
  );
  const tagLines: string[] = [];
  const tagCounts = new Int32Array(HASHTAGS.length);
  const photos = posts.photos.reduce((a, b) => a + b, 0);
  // post_hashtags lines are only known once the captions are drawn: the bar grows then.
  bar = new Progress('posts + media', posts.ids.length + photos * 2 + sources.length, 'rows');
  await withIndexesSetAside(
    client,
    ['posts', 'media', 'post_media', 'post_hashtags'],
    async () => {
      const sourceLines = sources.map(
        (s) =>
          [
            s.id,
            users.ids[0]!,
            'ready',
            'image/jpeg',
            s.sizeBytes,
            s.width,
            s.height,
            s.blurhash,
            s.dominantColor,
            `\\x${s.sha256.toString('hex')}`,
            s.phash,
            null,
            new Date(now).toISOString(),
            new Date(now).toISOString(),
            new Date(now).toISOString(),
            new Date(now).toISOString(),
          ]
            .map(copyValue)
            .join('\t') + '\n',
      );
      await copyRows(
        client,
        'media',
        rows.MEDIA_COLUMNS,
        [...sourceLines, ...rows.mediaRows(users, posts, sources)],
        (n) => bar.add(n),
      );
      await copyRows(
        client,
        'posts',
        rows.POST_COLUMNS,
        rows.postRows(users, posts, {
          rng: rng(5),
          hashtagIds: tagRows.map((r) => r.id),
          tagLines,
          tagCounts,
        }),
        (n) => bar.add(n),
      );
      await copyRows(client, 'post_media', rows.POST_MEDIA_COLUMNS, rows.postMediaRows(users, posts), (n) =>
        bar.add(n),
      );
      bar.grow(tagLines.length);
      await copyRows(client, 'post_hashtags', rows.POST_HASHTAG_COLUMNS, tagLines, (n) => bar.add(n));
    },
    say,
  );
  await client.query(
    `UPDATE hashtags h SET post_count = c.n FROM unnest($1::bigint[], $2::int[]) AS c (id, n) WHERE h.id = c.id`,
    [tagRows.map((r) => r.id), [...tagCounts]],
  );
  seconds.posts = bar.done();

  bar = new Progress('follows', graph.follower.length, 'rows');
  await withIndexesSetAside(
    client,
    ['follows'],
    async () => {
      await copyRows(client, 'follows', rows.FOLLOW_COLUMNS, rows.followRows(users, adj), (n) => bar.add(n));
    },
    say,
  );
  seconds.follows = bar.done();

  const active = [...activeReaders(users)];
  const authors = [...pull.keys()].filter((u) => pull[u]);
  const byAuthor = postsByAuthor(posts, graph.users);
  const context = { adj, byAuthor, posts, pull, cap: feed.cap };
  bar = new Progress('timelines', active.length + authors.length, 'lists');
  const home = await writeTimelines(
    infra.timelines.home,
    active.map((u) => [users.ids[u]!.toString(), () => homeTimeline(u, context)] as [string, () => string[]]),
    feed.cap,
    () => bar.add(1),
  );
  const authorLists = await writeTimelines(
    infra.timelines.authors,
    authors.map(
      (u) =>
        [users.ids[u]!.toString(), () => newest(u, byAuthor, posts, feed.cap)] as [string, () => string[]],
    ),
    feed.cap,
    () => bar.add(1),
  );
  seconds.timelines = bar.done();

  phase = performance.now();
  const verified = await verify(
    infra,
    active.slice(0, VERIFIED_TIMELINES).map((u) => users.ids[u]!.toString()),
    feed.cap,
  );
  seconds.verify = (performance.now() - phase) / 1000;
  seconds.total = (performance.now() - started) / 1000;
  say(`seeded in ${seconds.total.toFixed(1)} s; timelines match the system's rebuild query for ${verified}`);
  return {
    options,
    users: graph.users,
    follows: graph.follower.length,
    posts: posts.ids.length,
    media: photos + sources.length,
    activeUsers: active.length,
    celebrityFollowers,
    pullAuthors: authors.length,
    topFollowerCounts: [...graph.followers].sort((a, b) => b - a).slice(0, 10),
    timelines: { home, authors: authorLists, verified },
    password: SEED_PASSWORD,
    seconds: Object.fromEntries(Object.entries(seconds).map(([k, s]) => [k, +s.toFixed(1)])),
  };
}

/**
 * CELEBRITY_FOLLOWERS for this graph: the follower count of the (C+1)-th most followed account,
 * so that the C most followed accounts (the designated celebrities on a large graph; on a small
 * dense one attachment can out-grow the smaller ones) are exactly the ones in pull mode, as an
 * operator would set it. Promotion is "more than CELEBRITY_FOLLOWERS".
 */
function celebrityThreshold(followers: Int32Array, celebrities: number): number {
  const sorted = Int32Array.from(followers).sort().reverse();
  return sorted[Math.min(celebrities, sorted.length - 1)]!;
}

function newest(
  author: number,
  byAuthor: ReturnType<typeof postsByAuthor>,
  posts: { ids: BigInt64Array },
  cap: number,
): string[] {
  const out: string[] = [];
  for (let j = byAuthor.offsets[author]!; j < byAuthor.offsets[author + 1]! && out.length < cap; j++) {
    out.push(posts.ids[byAuthor.index[j]!]!.toString());
  }
  return out;
}

/** Reads a sample of the written timelines back and compares them with the rebuild query. */
async function verify(infra: Infrastructure, readers: readonly string[], cap: number): Promise<string> {
  const db = infra.store.db;
  let same = 0;
  for (const reader of readers) {
    const [expected, stored] = await Promise.all([
      timelineIds(db, reader, cap),
      infra.timelines.home.rangeMany([reader], { limit: cap }),
    ]);
    const got = stored.get(reader) ?? [];
    if (got.length === expected.length && got.every((id, i) => id === expected[i])) same++;
    else
      throw new Error(
        `reader ${reader}: seeded timeline (${got.length} posts) differs from the rebuild query's (${expected.length})`,
      );
  }
  return `${same} of ${readers.length} sampled readers`;
}

import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../../apps/server/src/adapters/redis/keys.js';
import { createRedisClient, waitUntilReady } from '../../apps/server/src/adapters/redis/redis-client.js';
import { RedisTimelineStore } from '../../apps/server/src/adapters/redis/redis-timeline-store.js';
import { renditionKey } from '../../apps/server/src/media/media.repo.js';
import { VARIANTS } from '../../apps/server/src/media/renditions.js';
import {
  createTestDatabase,
  postgresAvailable,
  REDIS_URL,
  redisAvailable,
  testKeyPrefix,
} from '../../apps/server/test/support/services.js';
import { generateGraph } from '../seed/graph.js';
import { seedGraph, type SeedManifest, type SeedOptions } from '../seed/index.js';

/**
 * The seed generator is what the scale benchmarks stand on: these check that its graph has the
 * promised shape, that it is deterministic, and that what it loads is consistent with itself and
 * with what the system would have built (counters, renditions, timelines).
 */

describe('the follow graph', () => {
  const options = { users: 4_000, avgFollows: 40, celebrities: 3 };
  const graph = generateGraph(options, xoroshiro128plus(7));

  it('is the same for the same seed and differs for another', () => {
    const again = generateGraph(options, xoroshiro128plus(7));
    const other = generateGraph(options, xoroshiro128plus(8));
    expect(Buffer.from(again.followee.buffer)).toEqual(Buffer.from(graph.followee.buffer));
    expect(Buffer.from(other.followee.buffer)).not.toEqual(Buffer.from(graph.followee.buffer));
  });

  it('has no self-follows and no duplicate follows, and its counters add up', () => {
    const pairs = new Set<number>();
    for (let e = 0; e < graph.follower.length; e++) {
      expect(graph.follower[e]).not.toBe(graph.followee[e]);
      pairs.add(graph.follower[e]! * options.users + graph.followee[e]!);
    }
    expect(pairs.size).toBe(graph.follower.length);
    expect(graph.followers.reduce((a, b) => a + b, 0)).toBe(graph.follower.length);
    expect(graph.following.reduce((a, b) => a + b, 0)).toBe(graph.follower.length);
  });

  it('averages the asked follows, gives celebrities N/2, N/4, N/6 and a heavy tail to the rest', () => {
    const average = graph.follower.length / options.users;
    expect(average).toBeGreaterThan(options.avgFollows * 0.9);
    expect(average).toBeLessThan(options.avgFollows * 1.1);
    for (let k = 0; k < options.celebrities; k++) {
      const expected = options.users / (2 * (k + 1));
      expect(graph.followers[k]).toBeGreaterThan(expected * 0.85);
      expect(graph.followers[k]).toBeLessThan(expected * 1.15);
    }
    const rest = [...graph.followers.subarray(options.celebrities)].sort((a, b) => a - b);
    const median = rest[rest.length >> 1]!;
    // Preferential attachment: the most followed ordinary account has many times the median.
    expect(rest.at(-1)! / median).toBeGreaterThan(10);
  });
});

const up = (await postgresAvailable()) && (await redisAvailable());

describe.skipIf(!up)('seeding a deployment (PostgreSQL + Redis + local disk)', { timeout: 120_000 }, () => {
  const options: SeedOptions = {
    users: 600,
    avgFollows: 30,
    celebrities: 2,
    postsPerUser: 4,
    activeShare: 0.3,
    privateShare: 0.1,
    seed: 3,
  };
  const deployments: {
    db: { url: string; drop: () => Promise<void> };
    keys: ReturnType<typeof testKeyPrefix>;
    dir: string;
  }[] = [];
  const manifests: SeedManifest[] = [];
  let client: pg.Client;

  const envOf = (d: (typeof deployments)[number]) => ({
    DATABASE_URL: d.db.url,
    REDIS_URL,
    REDIS_KEY_PREFIX: d.keys.prefix,
    DATA_DIR: d.dir,
    FEED_TIMELINE_CAP: '100',
  });

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      deployments.push({
        db: await createTestDatabase(),
        keys: testKeyPrefix(),
        dir: await mkdtemp(join(tmpdir(), 'glimpse-seed-')),
      });
      manifests.push(await seedGraph(envOf(deployments[i]!), options, () => {}));
    }
    client = new pg.Client(deployments[0]!.db.url);
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    for (const d of deployments) {
      await d.db.drop();
      await d.keys.clean();
      await rm(d.dir, { recursive: true, force: true });
    }
  });

  const one = async <T extends pg.QueryResultRow>(text: string) => (await client.query<T>(text)).rows;

  it('loads what the manifest says, with counters equal to the rows', async () => {
    const [counts] = await one<{ users: number; follows: number; posts: number; media: number }>(
      `SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM follows) AS follows,
              (SELECT count(*)::int FROM posts) AS posts, (SELECT count(*)::int FROM media) AS media`,
    );
    const m = manifests[0]!;
    expect(counts).toEqual({ users: m.users, follows: m.follows, posts: m.posts, media: m.media });
    const wrong = await one(
      `SELECT u.id FROM users u
        WHERE u.follower_count <> (SELECT count(*) FROM follows WHERE followee_id = u.id)
           OR u.following_count <> (SELECT count(*) FROM follows WHERE follower_id = u.id)
           OR u.post_count <> (SELECT count(*) FROM posts WHERE author_id = u.id)
           OR (u.feed_mode = 'pull') <> (u.follower_count > ${m.celebrityFollowers})`,
    );
    expect(wrong).toEqual([]);
    const tags = await one(
      `SELECT h.id FROM hashtags h WHERE h.post_count <> (SELECT count(*) FROM post_hashtags WHERE hashtag_id = h.id)`,
    );
    expect(tags).toEqual([]);
    // The C most followed accounts are in pull mode (fewer only if the next one ties with them).
    expect(m.pullAuthors).toBeGreaterThan(0);
    expect(m.pullAuthors).toBeLessThanOrEqual(options.celebrities);
  });

  it('points every photo at a real, stored rendition', async () => {
    const sources = await one<{ id: string; n: number }>(
      `SELECT rendition_source_id::text AS id, count(*)::int AS n FROM media
        WHERE rendition_source_id IS NOT NULL GROUP BY 1`,
    );
    const [orphans] = await one<{ n: number }>(
      `SELECT count(*)::int AS n FROM media m LEFT JOIN post_media pm ON pm.media_id = m.id
        WHERE pm.post_id IS NULL AND m.rendition_source_id IS NOT NULL`,
    );
    expect(orphans!.n).toBe(0);
    expect(sources.length).toBeGreaterThan(1);
    for (const s of sources) {
      for (const variant of VARIANTS) {
        const file = join(deployments[0]!.dir, 'objects', renditionKey(s.id, variant));
        expect((await stat(file)).size).toBeGreaterThan(100);
      }
    }
  });

  it('builds every active reader’s timeline exactly as the rebuild query would', async () => {
    expect(manifests[0]!.timelines.home).toBe(manifests[0]!.activeUsers);
    expect(manifests[0]!.timelines.verified).toMatch(/^(\d+) of \1 /);
    const redis = createRedisClient({
      kind: 'single',
      url: REDIS_URL,
      keyPrefix: deployments[0]!.keys.prefix,
    });
    try {
      await waitUntilReady(redis, 5_000);
      const home = new RedisTimelineStore(redis, redisKeys.homeTimeline);
      const readers = await one<{ id: string }>(
        `SELECT id::text FROM users WHERE feed_read_at > now() - interval '1 day' ORDER BY id`,
      );
      expect(readers.length).toBe(manifests[0]!.activeUsers);
      const stored = await home.rangeMany(
        readers.map((r) => r.id),
        { limit: 100 },
      );
      for (const { id } of readers) {
        const expected = await one<{ id: string }>(
          `SELECT p.id::text FROM posts p JOIN users a ON a.id = p.author_id
            WHERE (p.author_id = ${id} OR (a.feed_mode = 'push' AND EXISTS (
                    SELECT 1 FROM follows f WHERE f.follower_id = ${id} AND f.followee_id = p.author_id)))
            ORDER BY p.id DESC LIMIT 100`,
        );
        expect(stored.get(id)).toEqual(expected.map((r) => r.id));
      }
    } finally {
      redis.disconnect();
    }
  });

  it('is deterministic: the same seed gives the same follows, posts and timelines', async () => {
    const other = new pg.Client(deployments[1]!.db.url);
    await other.connect();
    try {
      const fingerprint = async (c: pg.Client) =>
        (
          await c.query<{ follows: string; posts: string; private: string }>(
            `SELECT (SELECT md5(string_agg(a.username || '>' || b.username, ',' ORDER BY a.username, b.username))
                       FROM follows f JOIN users a ON a.id = f.follower_id JOIN users b ON b.id = f.followee_id) AS follows,
                    (SELECT md5(string_agg(u.username || ':' || p.caption, ',' ORDER BY p.id))
                       FROM posts p JOIN users u ON u.id = p.author_id) AS posts,
                    (SELECT string_agg(username, ',' ORDER BY username) FROM users WHERE is_private) AS private`,
          )
        ).rows[0];
      expect(await fingerprint(other)).toEqual(await fingerprint(client));
      const { seconds: _a, ...first } = manifests[0]!;
      const { seconds: _b, ...second } = manifests[1]!;
      expect(second).toEqual(first);
    } finally {
      await other.end();
    }
  });

  it('refuses a database that already has users', async () => {
    await expect(seedGraph(envOf(deployments[0]!), options, () => {})).rejects.toThrow(/already has users/);
  });
});

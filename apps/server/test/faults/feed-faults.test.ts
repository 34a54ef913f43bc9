/**
 * Faults on the service shape, one at a time: a fan-out worker SIGKILLed half-way, the broker
 * restarted while posts are being created, and Redis flushed under the app. They restart or
 * wipe shared services, so they run in their own serial stage after the main suite
 * (vitest.faults.config.ts), never next to other test files.
 *
 * Each test owns its database, key prefix and queues and removes them afterwards.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { rabbitMqNames, retryDelays } from '../../src/adapters/rabbitmq/rabbitmq-topology.js';
import { DEFAULT_RABBITMQ_OPTIONS } from '../../src/adapters/rabbitmq/rabbitmq-queue.js';
import { jobs, topologyOf } from '../../src/jobs/catalogue.js';
import type { TimelineStore } from '../../src/ports/timeline-store.js';
import { availableShapes, startTestApp, type TestApp } from '../support/app.js';
import { call } from '../support/client.js';
import { insertUser, insertUsers, type FastUser } from '../support/fast-users.js';
import { startServer, type ServerProcess } from '../support/process.js';
import { createPostId, postPhoto, queuesDrained, wholeFeed } from '../support/feed.js';
import { deleteEverything } from '../support/rabbitmq.js';
import { AMQP_URL, inCI, REDIS_URL } from '../support/services.js';

const run = promisify(execFile);

/**
 * The Redis logical database the flush test runs in. No other suite selects a database (they
 * all use 0, with key prefixes), so flushing this one touches nobody else's keys.
 */
const FLUSH_REDIS_DB = 13;
/**
 * The broker node `rabbitmqctl` restarts. Unset: rabbitmqctl's default node, the one
 * AMQP_URL points at on this machine. Set it (with TEST_AMQP_URL) to aim the restart at a
 * private node instead.
 */
const RABBITMQ_NODE = process.env.TEST_RABBITMQ_NODE;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | false | null | undefined>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== false && value !== null && value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last });
    await sleep(intervalMs);
  }
}

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/** Every list in full (or null when missing), a chunk of lists per round trip. */
async function wholeLists(
  store: TimelineStore,
  ids: readonly string[],
): Promise<Map<string, string[] | null>> {
  const out = new Map<string, string[] | null>();
  for (const part of chunks(ids, 2_000))
    for (const [id, list] of await store.rangeMany(part, { limit: 100_000 })) out.set(id, list);
  return out;
}

/** Empty, complete timelines (what a first read leaves for a new user), many at once. */
async function openTimelines(t: TestApp, ids: readonly string[]): Promise<void> {
  const { home } = t.infra.timelines;
  for (const part of chunks(ids, 5_000)) {
    await Promise.all(part.map((id) => home.beginRebuild(id)));
    await Promise.all(part.map((id) => home.completeRebuild(id, [], t.config.feed.timelineCap)));
  }
}

/**
 * The environment of a `main.ts` process sharing the test app's database, key prefix, queues
 * and bucket (startTestApp made them and removes them on close).
 */
function processEnv(t: TestApp, dataDir: string, extra: Record<string, string>): Record<string, string> {
  const { database, redis, amqp, s3, jwtSecret } = t.config;
  if (database.kind !== 'postgres' || redis?.kind !== 'single' || !amqp || !s3?.credentials || !jwtSecret)
    throw new Error('processEnv needs a services-shape test app');
  return {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '5',
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.keyPrefix,
    AMQP_URL: amqp.url,
    AMQP_QUEUE_PREFIX: amqp.queuePrefix,
    S3_ENDPOINT: s3.endpoint ?? '',
    S3_BUCKET: s3.bucket,
    S3_REGION: s3.region,
    S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    JWT_SECRET: jwtSecret,
    ...extra,
  };
}

/** Queues a process declares: same prefix as the test app's, but the default retry steps. */
function processQueueNames(t: TestApp) {
  const { retryBaseMs, maxRetryDelayMs } = DEFAULT_RABBITMQ_OPTIONS;
  return rabbitMqNames(
    t.config.amqp!.queuePrefix,
    topologyOf(jobs),
    retryDelays(retryBaseMs, maxRetryDelayMs),
  );
}

/** A counter's value in a process's /metrics (0 when the series does not exist yet). */
async function counter(base: string, series: string): Promise<number> {
  const text = (await fetch(`${base}/metrics`).then((r) => r.text())).split('\n');
  const line = text.find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

const newestFirst = (ids: Iterable<string>) => [...ids].sort((a, b) => (BigInt(b) > BigInt(a) ? 1 : -1));

async function dead(t: TestApp): Promise<{ queue: string; dead: number }[]> {
  return (await t.infra.queue.stats()).filter((s) => s.dead > 0);
}

const fallbacks = async (t: TestApp) =>
  (await t.metrics.feedFallbacks.get()).values.reduce((sum, v) => sum + v.value, 0);

const services = (await availableShapes()).includes('services');

describe.runIf(services)('feed faults (services shape)', { timeout: 150_000 }, () => {
  /**
   * A worker dies (SIGKILL: no drain, no ack) with a 30,000-follower fan-out half done. The
   * broker hands the unacked job to the next worker, which pushes to everyone again; pushes
   * are set inserts, so the followers the first worker reached hold the post once, not twice.
   */
  it('finishes a fan-out whose worker was SIGKILLed half-way, each follower holding the post once', async () => {
    const FOLLOWERS = 30_000;
    // Below CELEBRITY_FOLLOWERS (push mode); small pages so the fan-out lasts long enough to
    // be interrupted: 300 pages of 100, about half a second here.
    const feedEnv = { CELEBRITY_FOLLOWERS: '1000000', FEED_FANOUT_BATCH: '25' };
    // No workers in the test app: the job must be done by the worker processes.
    const t = await startTestApp('services', feedEnv);
    const dataDir = await mkdtemp(join(tmpdir(), 'glimpse-faults-'));
    const started: ServerProcess[] = [];
    let followers: string[] = [];
    try {
      const author = await insertUser(t);
      const tag = randomBytes(3).toString('hex');
      const { rows } = await sql<{ follower_id: string; id: string }>`
        WITH fans AS (
          INSERT INTO users (username, email, password_hash, following_count, feed_read_at)
          SELECT 'k' || ${tag} || '_' || g, 'k' || ${tag} || '_' || g || '@fans.example.com', 'not-a-password-hash', 1, now()
            FROM generate_series(1, ${FOLLOWERS}::int) AS g
          RETURNING id)
        INSERT INTO follows (follower_id, followee_id, id, state)
        SELECT id, ${author.id}::bigint, next_id(shard_of(id)), 'accepted' FROM fans
        RETURNING follower_id, id`.execute(t.infra.store.db);
      await sql`UPDATE users SET follower_count = ${FOLLOWERS}, feed_read_at = now() WHERE id = ${author.id}`.execute(
        t.infra.store.db,
      );
      // Fan-out order: newest follow first.
      followers = rows.sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1)).map((r) => r.follower_id);
      expect(followers).toHaveLength(FOLLOWERS);
      await openTimelines(t, followers);

      const env = processEnv(t, dataDir, feedEnv);
      const [relay, worker1] = await Promise.all([startServer('relay', env), startServer('worker', env)]);
      started.push(relay, worker1);

      const postId = await createPostId(t, author);
      // A follower 5% of the way through the pages: once it has the post, the fan-out is under
      // way with 1,140 small pages still to go, about a second to stop the worker in.
      const trigger = followers[Math.floor(FOLLOWERS / 20)]!;
      const last = followers.at(-1)!;
      const fanoutStarted = Date.now();
      await waitFor(
        'the fan-out to reach 5% of the followers',
        async () => (await t.infra.timelines.home.range(trigger, { limit: 5 })).includes(postId),
        30_000,
        2,
      );
      worker1.proc.kill('SIGKILL');
      await worker1.exited;
      const killedAfterMs = Date.now() - fanoutStarted;

      const atKill = await wholeLists(t.infra.timelines.home, followers);
      const reached = followers.filter((f) => atKill.get(f)?.includes(postId)).length;
      expect(
        (await t.infra.timelines.home.range(last, { limit: 5 })).includes(postId),
        `the fan-out finished before the kill (${killedAfterMs} ms); make it longer`,
      ).toBe(false);
      expect(reached).toBeGreaterThan(0);
      expect(reached).toBeLessThan(FOLLOWERS);

      const worker2 = await startServer('worker', env);
      started.push(worker2);
      await waitFor(
        'the second worker to finish the fan-out',
        async () => (await t.infra.timelines.home.range(last, { limit: 5 })).includes(postId),
        60_000,
        100,
      );

      const lists = await wholeLists(t.infra.timelines.home, followers);
      const wrong = followers.filter((f) => {
        const list = lists.get(f);
        return !list || list.filter((id) => id === postId).length !== 1 || list.length !== 1;
      });
      expect(wrong.slice(0, 5).map((f) => [f, lists.get(f)])).toEqual([]);

      // Redelivered, not lost or re-published: the second worker ran the job to completion and
      // pushed at least to everyone the first one had not reached.
      expect(await counter(worker2.url, 'glimpse_jobs_total{queue="feed.fanout",outcome="done"}')).toBe(1);
      expect(await counter(worker2.url, 'glimpse_feed_timeline_writes_total')).toBeGreaterThanOrEqual(
        FOLLOWERS - reached,
      );
      const { n: published } = await t.infra.store.db
        .selectFrom('outbox')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('topic', '=', 'post.published')
        .executeTakeFirstOrThrow();
      expect(Number(published)).toBe(1);
      await waitFor('the queues to drain', () => queuesDrained(t), 10_000);
      expect(await dead(t)).toEqual([]);
    } catch (err) {
      for (const p of started) console.error(`--- ${p.url}\n${p.output().slice(-4_000)}`);
      throw err;
    } finally {
      await Promise.all(started.map((p) => p.stop('SIGKILL')));
      await t.infra.timelines.home.drop(followers).catch(() => {});
      await deleteEverything([processQueueNames(t)]).catch(() => {});
      await t.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  /**
   * The broker goes away (stop_app: connections closed, nothing accepted) while authors keep
   * posting, and comes back. Posts commit with their outbox rows whatever the broker does; the
   * relay publishes them once it can, and the consumers re-subscribe: every post that was
   * created (201) reaches every follower.
   */
  it('loses no post when RabbitMQ restarts while posts are being created', async () => {
    const rabbitmqctl = await run('rabbitmqctl', ['--version']).then(
      () => true,
      () => false,
    );
    if (!rabbitmqctl) {
      if (inCI) throw new Error('rabbitmqctl is required in CI to restart the broker');
      console.warn('[skip] rabbitmqctl is not installed; the broker restart test is skipped');
      return;
    }
    const ctl = (...args: string[]) =>
      run('rabbitmqctl', [...(RABBITMQ_NODE ? ['-n', RABBITMQ_NODE] : []), ...args], { timeout: 60_000 });
    const broker = new URL(AMQP_URL);
    // Everyone follows everyone and posts for several seconds: a run can create more posts than
    // a timeline keeps (800 by default), and the feed rightly ends at the cap. The cap is
    // raised so that "every post in every feed" is the whole claim.
    const t = await startTestApp('services', { FEED_TIMELINE_CAP: '10000' }, { workers: true });
    let brokerStopped = false;
    try {
      const users = await insertUsers(
        t,
        Array.from({ length: 5 }, () => ({})),
      );
      const ids = users.map((u) => u.id);
      await sql`
        INSERT INTO follows (follower_id, followee_id, id, state)
        SELECT a, b, next_id(shard_of(a)), 'accepted'
          FROM unnest(${ids}::bigint[]) AS a, unnest(${ids}::bigint[]) AS b WHERE a <> b`.execute(
        t.infra.store.db,
      );
      // Active readers with open timelines: fan-out pushes to every one of them.
      await sql`UPDATE users SET follower_count = ${ids.length - 1}, following_count = ${ids.length - 1},
                       feed_read_at = now()
                 WHERE id = ANY(${ids}::bigint[])`.execute(t.infra.store.db);
      await openTimelines(t, ids);

      const created: string[] = [];
      const failed = new Map<number, number>();
      let during = 0;
      // Written by the restart below while the loop runs (an object, so TypeScript does not
      // narrow it to its first value inside the loop).
      const state: { phase: 'before' | 'down' | 'after'; posting: boolean } = {
        phase: 'before',
        posting: true,
      };
      const poster = (async () => {
        for (let i = 0; state.posting; i++) {
          const reply = await postPhoto(t, users[i % users.length]!);
          if (reply.status === 201) {
            created.push(reply.body.id as string);
            if (state.phase === 'down') during++;
          } else failed.set(reply.status, (failed.get(reply.status) ?? 0) + 1);
        }
      })();
      try {
        await sleep(1_000);
        await ctl('stop_app');
        brokerStopped = true;
        state.phase = 'down';
        await sleep(3_000);
        await ctl('start_app');
        brokerStopped = false;
        await waitFor('the broker port to answer', () => portAnswers(broker), 60_000, 200);
        state.phase = 'after';
        // Keep posting while the app reconnects, and a little after.
        await waitFor(
          'the app to reconnect to the broker',
          () => t.infra.queue.ping().then(() => true),
          60_000,
          200,
        );
        await sleep(1_500);
      } finally {
        state.posting = false;
        await poster;
      }
      // A creation may fail while the broker is away (a 5xx: the client retries); only the 201s
      // are promises to keep. (Today none fail: posts commit with their outbox rows and never
      // wait for the broker.) A 4xx would be this test's own mistake.
      const outcome = `${created.length} posts created (${during} while the broker was down), failures by status: ${JSON.stringify(Object.fromEntries(failed))}`;
      expect(
        [...failed.keys()].filter((status) => status < 500),
        outcome,
      ).toEqual([]);
      expect(created.length, outcome).toBeGreaterThan(0);

      // The relay hands back the rows whose publish failed during the outage, so they go out
      // as soon as the broker answers; well inside the 30 s claim they would otherwise wait for.
      await waitFor('the outbox and the work queues to drain', () => queuesDrained(t), 20_000, 200);
      const expected = newestFirst(created);
      const missing = new Map<string, string[]>();
      await waitFor(
        'every created post to be in every feed',
        async () => {
          missing.clear();
          for (const u of users) {
            const got = new Set(await wholeFeed(t, u, 50));
            const lacks = expected.filter((id) => !got.has(id));
            if (lacks.length > 0) missing.set(u.id, lacks);
          }
          return missing.size === 0;
        },
        30_000,
        500,
      ).catch((err: unknown) => {
        throw new Error(`${outcome}; missing from feeds: ${JSON.stringify(Object.fromEntries(missing))}`, {
          cause: err,
        });
      });
      for (const u of users) expect(await wholeFeed(t, u, 7)).toEqual(expected);
      expect(await dead(t)).toEqual([]);
      const ready = await call(t.app, 'GET', '/readyz');
      expect(ready.status).toBe(200);
    } finally {
      // Never leave the shared broker stopped for the suites that follow.
      if (brokerStopped) await ctl('start_app').catch(() => {});
      await waitFor('the broker port to answer', () => portAnswers(broker), 60_000, 200).catch(() => {});
      await t.close();
    }
  });

  /**
   * Redis loses everything (restart without persistence, eviction, an operator's flush). Every
   * list is gone at once; feeds are served from PostgreSQL meanwhile and the lists rebuilt by
   * their readers. Nobody may see a different feed at any point.
   */
  it('serves identical feeds after Redis is flushed, and rebuilds the timelines', async () => {
    const url = new URL(REDIS_URL);
    url.pathname = `/${FLUSH_REDIS_DB}`;
    const t = await startTestApp(
      'services',
      { REDIS_URL: url.toString(), CELEBRITY_FOLLOWERS: '3' },
      { workers: true },
    );
    const prefix = t.config.redis!.keyPrefix;
    // No key prefix: FLUSHDB below is the point, and the clean-up deletes by the app's prefix.
    const raw = new Redis(url.toString(), { maxRetriesPerRequest: 1 });
    try {
      const users = await insertUsers(
        t,
        Array.from({ length: 8 }, (_, i) => ({ isPrivate: i === 7 })),
      );
      const [star, ...rest] = users as [FastUser, ...FastUser[]];
      for (const u of users) await wholeFeed(t, u, 20);
      await t.services.feed.settle();

      const follows: [FastUser, FastUser][] = [];
      // Five fans: above CELEBRITY_FOLLOWERS, so the star's posts are pulled.
      for (const fan of rest.slice(0, 5)) follows.push([fan, star]);
      for (let i = 0; i < rest.length; i++) {
        follows.push([rest[i]!, rest[(i + 1) % rest.length]!]);
        follows.push([rest[i]!, rest[(i + 2) % rest.length]!]);
      }
      for (const [a, b] of follows) {
        const reply = await call(t.app, 'POST', `/api/v1/users/${b.id}/follow`, { token: a.token });
        expect(reply.status).toBeLessThan(300);
      }
      // Followers of the private account (rest[6]) are requests; approve them.
      const priv = rest[6]!;
      const requests = follows.filter(([, b]) => b === priv).map(([a]) => a);
      for (const a of requests) {
        const reply = await call(t.app, 'POST', `/api/v1/me/follow-requests/${a.id}/approve`, {
          token: priv.token,
        });
        expect(reply.status).toBeLessThan(300);
      }
      // One mute: a followee whose posts must stay out of the muter's feed.
      const [muter, muted] = [rest[0]!, rest[1]!];
      expect(
        (await call(t.app, 'POST', `/api/v1/users/${muted.id}/mute`, { token: muter.token })).status,
      ).toBeLessThan(300);

      const postsBy = new Map<string, string[]>(users.map((u) => [u.id, []]));
      for (let round = 0; round < 3; round++)
        for (const u of [star, ...rest, star]) postsBy.get(u.id)!.push(await createPostId(t, u));
      await waitFor(
        'the star to be in pull mode',
        async () =>
          (
            await t.infra.store.db
              .selectFrom('users')
              .select('feed_mode')
              .where('id', '=', star.id)
              .executeTakeFirst()
          )?.feed_mode === 'pull',
        15_000,
      );

      const expected = new Map<string, string[]>();
      for (const u of users) {
        const sources = [
          u.id,
          ...follows.filter(([a, b]) => a === u && !(a === muter && b === muted)).map(([, b]) => b.id),
        ];
        expected.set(u.id, newestFirst(sources.flatMap((s) => postsBy.get(s)!)));
      }
      const readAll = async () => {
        const out = new Map<string, string[]>();
        // Small pages: several per feed, so a read crosses the moment its lists come back.
        for (const u of users) out.set(u.id, await wholeFeed(t, u, 4));
        return out;
      };
      const first = await waitFor(
        'every feed to be complete',
        async () => {
          await waitFor('the jobs to drain', () => queuesDrained(t), 15_000);
          const read = await readAll();
          return (
            users.every((u) => JSON.stringify(read.get(u.id)) === JSON.stringify(expected.get(u.id))) && read
          );
        },
        30_000,
        200,
      ).catch(async (err: unknown) => {
        const read = await readAll();
        expect(Object.fromEntries(read)).toEqual(Object.fromEntries(expected));
        throw err;
      });
      expect(Object.fromEntries(first)).toEqual(Object.fromEntries(expected));
      for (const u of users) expect(await t.infra.timelines.home.exists(u.id)).toBe(true);
      expect(await t.infra.timelines.authors.exists(star.id)).toBe(true);

      // FLUSHALL would also wipe the keys of every other suite on this Redis (they share
      // database 0 under their own prefixes). FLUSHDB on the app's own logical database is the
      // same event for the app: every key it has is gone at once.
      await raw.flushdb();
      expect(await raw.dbsize()).toBe(0);

      const missesBefore = await fallbacks(t);
      const second = await readAll();
      expect(Object.fromEntries(second)).toEqual(Object.fromEntries(expected));
      expect(await fallbacks(t)).toBeGreaterThan(missesBefore);

      await t.services.feed.settle();
      await waitFor('the jobs to drain', () => queuesDrained(t), 15_000);
      for (const u of users) expect(await t.infra.timelines.home.exists(u.id)).toBe(true);
      expect(await t.infra.timelines.authors.exists(star.id)).toBe(true);
      const missesAfter = await fallbacks(t);
      const third = await readAll();
      expect(Object.fromEntries(third)).toEqual(Object.fromEntries(expected));
      // Served from the rebuilt lists, not from the database.
      expect(await fallbacks(t)).toBe(missesAfter);
      expect(await dead(t)).toEqual([]);
    } finally {
      await t.close();
      let cursor = '0';
      do {
        const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
        cursor = next;
        if (keys.length > 0) await raw.del(...keys);
      } while (cursor !== '0');
      raw.disconnect();
    }
  });
});

function portAnswers(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect(Number(url.port || 5672), url.hostname);
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

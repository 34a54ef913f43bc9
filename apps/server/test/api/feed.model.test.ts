/**
 * The home feed, as a model-based property: random sequences of posts, deletions, follows,
 * follow requests and approvals, unfollows, blocks, mutes, private/public switches, celebrity
 * authors crossing the pull threshold up and down, and timeline-cache flushes, all through the
 * HTTP API (every answer checked against the model), then every user's whole feed, page by
 * page, must equal what a small reference model computes.
 *
 * The model is fan-out on read, from plain in-memory state: my feed is every live post by me or
 * by someone I follow with an approved follow, minus authors I mute and anyone across a block
 * (either way), newest (largest id) first. It is written from the contract (API.md, "The home
 * feed"; docs/visibility.md), not from src/feed or src/graph/visibility.ts: a mistake shared by
 * both would hide itself. The server does fan-out on write, pull-merge for celebrities,
 * backfill on follow, asynchronous removal and rebuild after cache loss; all of that must
 * converge to the model once every job has run.
 *
 * Why the app runs with these settings:
 * - CELEBRITY_FOLLOWERS=3, so ordinary follows in a world of 8–14 users push authors over the
 *   threshold (pull mode from their next post) and back under ceil(0.9 × 3) = 3 (push again).
 *   The first two users of each world take a large share of follows, unfollows and posts, and
 *   "rally" / "exodus" operations move several followers at once, so they cross often with
 *   posts in between.
 * - FEED_BACKFILL_POSTS=1000: a new follow backfills the followee's most recent posts. With the
 *   default (20), a followee with more than 20 older posts would be backfilled partially —
 *   intended product behaviour, but not what a fan-out-on-read model computes. With 1000 (more
 *   than a world ever has), backfill brings everything and the model is exact.
 *
 * Who is active: fan-out pushes only to followers who read their feed lately, and a reader whose
 * timeline is missing or untrusted is served from PostgreSQL while it is rebuilt. Most users
 * open their (empty) feed before the operations, so their timelines are built by pushes,
 * backfills and demotions; the others' are built by a rebuild at the end. Some sequences also
 * drop every timeline now and then ("flush": Redis keys under the app's prefix, or the
 * in-process lists); only some, because a rebuild heals whatever the write path got wrong.
 *
 * What is checked:
 * - every operation's status (and follow status) against the model;
 * - feed reads in the middle of a sequence (jobs may still be pending, so they need not equal
 *   the model): no repeats, newest first, pages within their limit, none of the reader's own
 *   live posts missing (read-your-writes), and nothing the reader must not see: no deleted
 *   post, nobody muted, nobody across a block, nobody the reader does not follow (any more);
 * - after draining (outbox published, job queues empty, every delivery finished, no rebuild
 *   running; twice in a row), every user's whole feed, walked with a random page size of 1..7,
 *   equals the model exactly; then again, with new page sizes, once the rebuilds the first
 *   reads started have finished (so rebuilt timelines are compared too, not only the
 *   PostgreSQL fallback, which equals the model almost by construction);
 * - that some pages were served from timelines at all (the app's feed metrics).
 *
 * A failure is minimized (delta debugging over the operations, within FEED_MODEL_SHRINK_SECONDS)
 * and printed as a script (`#3 u0 mutes u1 -> 204`, …) with the model's state; the minimized
 * sequence is written to a JSON file that FEED_MODEL_REPLAY=<file> runs alone.
 *
 * Knobs (environment): FEED_MODEL_SEQUENCES (default 100 per shape), FEED_MODEL_OPS (default
 * 200 per sequence), FEED_MODEL_SEED and FEED_MODEL_PATH (replay what fast-check reported),
 * FEED_MODEL_REPLAY, FEED_MODEL_SHRINK_SECONDS (default 120).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { availableShapes, startTestApp, type ShapeName, type TestApp } from '../support/app.js';
import { call, type Reply } from '../support/client.js';
import { insertUsers } from '../support/fast-users.js';
import { readyMedia } from '../support/world.js';
import { jobs, topologyOf } from '../../src/jobs/catalogue.js';
import type { QueueStats } from '../../src/ports/job-queue.js';

const SEQUENCES = Number(process.env.FEED_MODEL_SEQUENCES ?? 100);
const OPS = Number(process.env.FEED_MODEL_OPS ?? 200);
const SEED = process.env.FEED_MODEL_SEED === undefined ? undefined : Number(process.env.FEED_MODEL_SEED);
const PATH = process.env.FEED_MODEL_PATH;
/** A JSON file holding one Sequence (a failure writes its minimized sequence to one): run just that. */
const REPLAY = process.env.FEED_MODEL_REPLAY;

/** The server's threshold (see the header): small, so that ordinary follows cross it. */
const CELEBRITY_FOLLOWERS = 3;
/** Users per sequence. */
const MIN_USERS = 8;
const MAX_USERS = 14;
/** The first users of a world, who gain and lose followers in bulk. */
const CELEBRITIES = 2;
/** Largest page size of the final reads (each user picks 1..this), so feeds take many pages. */
const FINAL_PAGE = 7;
/** Largest page size of mid-sequence reads (bigger: they are many and only look for wrong posts). */
const MID_PAGE = 20;
/** Final reads in flight at once (reads of different users commute). */
const PARALLEL_READS = 4;
/** Draining: how often the queues are polled, and how long they may take to empty. */
const DRAIN_POLL_MS = 25;
const DRAIN_DEADLINE_MS = 60_000;
/**
 * Once a sequence has failed, minimizing it (see minimize) may take this long. fast-check's own
 * shrinking is off: on a 200-step stateful sequence it mostly drops prefixes the failure needs.
 */
const SHRINK_BUDGET_MS = Number(process.env.FEED_MODEL_SHRINK_SECONDS ?? 120) * 1000;

// ---------------------------------------------------------------------------------------------
// The reference model. Users are indices 0..n-1.

type EdgeState = 'accepted' | 'pending';
interface ModelPost {
  readonly id: string;
  readonly author: number;
  deleted: boolean;
}

const pair = (a: number, b: number) => `${a}>${b}`;
const newestFirst = (a: string, b: string) => (BigInt(a) > BigInt(b) ? -1 : BigInt(a) < BigInt(b) ? 1 : 0);

class Model {
  readonly follows = new Map<string, EdgeState>();
  readonly blocks = new Set<string>();
  readonly mutes = new Set<string>();
  readonly posts: ModelPost[] = [];
  readonly postById = new Map<string, ModelPost>();

  constructor(
    readonly n: number,
    readonly isPrivate: boolean[],
  ) {}

  edge = (a: number, b: number) => this.follows.get(pair(a, b));
  accepted = (a: number, b: number) => this.edge(a, b) === 'accepted';
  pending = (a: number, b: number) => this.edge(a, b) === 'pending';
  blocking = (a: number, b: number) => this.blocks.has(pair(a, b));
  blockedEitherWay = (a: number, b: number) => this.blocking(a, b) || this.blocking(b, a);
  muting = (a: number, b: number) => this.mutes.has(pair(a, b));

  users(): number[] {
    return Array.from({ length: this.n }, (_, i) => i);
  }

  followers(owner: number): number[] {
    return this.users().filter((x) => this.accepted(x, owner));
  }

  requesters(owner: number): number[] {
    return this.users().filter((x) => this.pending(x, owner));
  }

  /** Whether `author`'s live posts belong in `reader`'s feed. */
  feeds(reader: number, author: number): boolean {
    if (author === reader) return true;
    return (
      this.accepted(reader, author) && !this.muting(reader, author) && !this.blockedEitherWay(reader, author)
    );
  }

  /** Fan-out on read: the whole feed of `reader`, newest first. */
  feed(reader: number): string[] {
    return this.posts
      .filter((p) => !p.deleted && this.feeds(reader, p.author))
      .map((p) => p.id)
      .sort(newestFirst);
  }

  /** Posts may be seen by `viewer` at all (docs/visibility.md), for 403-or-404 on deletes. */
  contentVisible(viewer: number, owner: number): boolean {
    if (this.blockedEitherWay(viewer, owner)) return false;
    return viewer === owner || !this.isPrivate[owner] || this.accepted(viewer, owner);
  }

  /** Why `id` must not be in `reader`'s feed right now (whatever jobs are pending), or null. */
  forbidden(reader: number, id: string): string | null {
    const post = this.postById.get(id);
    if (!post) return 'not a post of this world';
    if (post.deleted) return 'deleted';
    const a = post.author;
    if (a === reader) return null;
    if (this.blocking(reader, a)) return `by u${a}, whom the reader blocks`;
    if (this.blocking(a, reader)) return `by u${a}, who blocks the reader`;
    if (this.muting(reader, a)) return `by u${a}, whom the reader mutes`;
    if (this.pending(reader, a)) return `by u${a}, whose approval the reader still awaits`;
    if (!this.accepted(reader, a))
      return `by u${a}, whom the reader does not follow${this.isPrivate[a] ? ' (private: invisible)' : ''}`;
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Sequences: how many users, who starts private, and the operations.

const KINDS = [
  ['post', 20],
  ['delete', 5],
  ['follow', 16],
  ['unfollow', 6],
  ['approve', 5],
  ['reject', 1],
  ['block', 3],
  ['unblock', 3],
  ['mute', 4],
  ['unmute', 3],
  ['private', 4],
  ['rally', 4],
  ['exodus', 4],
  ['flush', 2],
  ['read', 6],
] as const;
type Kind = (typeof KINDS)[number][0];

/**
 * One operation: `a` acts on `b` (both taken modulo the world's size); `flag`, `pick` and
 * `count` refine some kinds (see runOperation).
 */
interface Op {
  readonly kind: Kind;
  readonly a: number;
  readonly b: number;
  readonly flag: boolean;
  readonly pick: number;
  readonly count: number;
}
interface Sequence {
  readonly n: number;
  readonly privates: boolean[];
  /** Who reads their (empty) feed before the operations, becoming active for fan-out. */
  readonly warm: boolean[];
  /**
   * Whether this sequence's flush operations run. A flush makes every timeline rebuild from
   * PostgreSQL, which heals whatever fan-out, backfill or demotion got wrong before it: only
   * some sequences flush, so that the others keep their pushed timelines to the end.
   */
  readonly flushes: boolean;
  readonly ops: Op[];
  /** Seeds page sizes and read order, so they vary with (and replay with) fast-check's seed. */
  readonly checkSeed: number;
}

/** Users, biased towards the celebrities (the first CELEBRITIES users). */
const someone = (celebrityWeight: number) =>
  fc.oneof(
    { arbitrary: fc.nat({ max: MAX_USERS - 1 }), weight: 5 - celebrityWeight },
    { arbitrary: fc.nat({ max: CELEBRITIES - 1 }), weight: celebrityWeight },
  );

const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.oneof(...KINDS.map(([kind, weight]) => ({ arbitrary: fc.constant(kind), weight }))),
  a: someone(1),
  b: someone(2),
  flag: fc.boolean(),
  pick: fc.nat({ max: 999 }),
  count: fc.nat({ max: 4 }),
});

const sequenceArb: fc.Arbitrary<Sequence> = fc.record({
  n: fc.integer({ min: MIN_USERS, max: MAX_USERS }),
  // A quarter start private.
  privates: fc.array(
    fc.nat({ max: 3 }).map(
      (x) => x === 0,
      (v) => (v ? 0 : 1),
    ),
    { minLength: MAX_USERS, maxLength: MAX_USERS },
  ),
  // Three quarters start active.
  warm: fc.array(
    fc.nat({ max: 3 }).map(
      (x) => x !== 0,
      (v) => (v ? 1 : 0),
    ),
    { minLength: MAX_USERS, maxLength: MAX_USERS },
  ),
  flushes: fc.nat({ max: 9 }).map(
    (x) => x < 3,
    (v) => (v ? 0 : 9),
  ),
  ops: fc.array(opArb, { minLength: OPS, maxLength: OPS }),
  checkSeed: fc.integer(),
});

/** mulberry32: a tiny deterministic PRNG, seeded from the sequence. */
function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return { next, upTo: (max: number) => 1 + Math.floor(next() * max) };
}

// ---------------------------------------------------------------------------------------------

interface Stats {
  sequences: number;
  users: number;
  operations: number;
  requests: number;
  posts: number;
  flushes: number;
  midReads: number;
  finalReads: number;
  feedPosts: number;
  /** Model: an author's approved followers went above the threshold / fell below 0.9 of it. */
  crossingsUp: number;
  crossingsDown: number;
  /** Posts by an author above the threshold at the time. */
  celebrityPosts: number;
  /** Feed jobs that failed once and were retried (worth a look if many). */
  jobRetries: number;
  buildMs: number;
  drainMs: number;
  checkMs: number;
}

const newStats = (): Stats => ({
  sequences: 0,
  users: 0,
  operations: 0,
  requests: 0,
  posts: 0,
  flushes: 0,
  midReads: 0,
  finalReads: 0,
  feedPosts: 0,
  crossingsUp: 0,
  crossingsDown: 0,
  celebrityPosts: 0,
  jobRetries: 0,
  buildMs: 0,
  drainMs: 0,
  checkMs: 0,
});

class Mismatch extends Error {
  override readonly name = 'Mismatch';
  /**
   * The operation that answered or read wrongly, or null for the final reads. Private, so that
   * test reports do not print it next to the message.
   */
  readonly #step: number | null;
  constructor(message: string, step: number | null) {
    super(message);
    this.#step = step;
  }
  get step(): number | null {
    return this.#step;
  }
}

const JSONish = (value: unknown) => JSON.stringify(value);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Drops every timeline the app holds: Redis keys under its prefix, or the in-process lists. */
type Flush = () => Promise<void>;

for (const shape of await availableShapes()) {
  describe(`home feed vs a fan-out-on-read model (${shape})`, { timeout: 1_200_000 }, () => {
    let t: TestApp;
    let redis: Redis | null = null;
    /** Every user made in this app: the embedded flush drops all their lists. */
    const everyone = new Set<string>();
    let flush: Flush;

    beforeAll(async () => {
      t = await startTestApp(
        shape,
        { CELEBRITY_FOLLOWERS: String(CELEBRITY_FOLLOWERS), FEED_BACKFILL_POSTS: '1000' },
        { workers: true },
      );
      flush = await flusher(shape, t, everyone, (r) => (redis = r));
    });
    afterAll(async () => {
      redis?.disconnect();
      await t?.close();
    });

    it(`${SEQUENCES} sequences of ${OPS} operations, every user's whole feed`, async () => {
      const stats = newStats();
      const started = Date.now();
      const run = (sequence: Sequence, into: Stats) => checkSequence(t, sequence, into, flush, everyone);

      if (REPLAY !== undefined) {
        await run(JSON.parse(await readFile(REPLAY, 'utf8')) as Sequence, stats);
      } else {
        await fc.assert(
          fc.asyncProperty(sequenceArb, async (sequence) => {
            try {
              await run(sequence, stats);
            } catch (err) {
              if (!(err instanceof Mismatch)) throw err;
              throw await minimize(sequence, err, shape, (candidate) => run(candidate, newStats()));
            }
          }),
          {
            numRuns: SEQUENCES,
            endOnFailure: true,
            ...(SEED !== undefined && { seed: SEED }),
            ...(PATH !== undefined && { path: PATH }),
          },
        );
      }

      const s = (ms: number) => (ms / 1000).toFixed(1);
      const sources = await feedSources(t);
      console.log(
        `[feed model ${shape}] ${stats.sequences} sequences, ${stats.users} users, ` +
          `${stats.operations} operations (${stats.posts} posts, ${stats.celebrityPosts} by authors over the ` +
          `threshold; ${stats.crossingsUp} crossings up, ${stats.crossingsDown} down; ${stats.flushes} flushes), ` +
          `${stats.midReads} mid-sequence feed reads, ${stats.finalReads} full feeds (${stats.feedPosts} posts) ` +
          `equal to the model, ${stats.requests} requests, ${stats.jobRetries} job retries, ` +
          `in ${s(Date.now() - started)} s (building ${s(stats.buildMs)} s, ` +
          `draining ${s(stats.drainMs)} s, reading back ${s(stats.checkMs)} s); feed pages served: ` +
          sources.text,
      );
      // Pages served from PostgreSQL equal the model by construction: if no page ever came from a
      // timeline, the fan-out, pull and rebuild paths went untested.
      if (stats.sequences >= 3 && sources.timeline === 0)
        throw new Error(
          `no feed page was served from a timeline (${sources.text}): rebuilds or pushes are failing, ` +
            'and this test only compared the database fallback with the model',
        );
    });
  });
}

async function flusher(
  shape: ShapeName,
  t: TestApp,
  everyone: ReadonlySet<string>,
  keep: (redis: Redis) => void,
): Promise<Flush> {
  if (shape === 'embedded') {
    return async () => {
      const ids = [...everyone];
      await t.infra.timelines.home.drop(ids);
      await t.infra.timelines.authors.drop(ids);
    };
  }
  const target = t.config.redis;
  if (target?.kind !== 'single') throw new Error('the services shape runs on one Redis node');
  // A client of its own, without the app's key prefix: it sees the raw keys.
  const redis = new Redis(target.url, { maxRetriesPerRequest: 1 });
  keep(redis);
  const prefix = target.keyPrefix;
  if (!prefix) throw new Error('refusing to flush a Redis without a key prefix');
  return async () => {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  };
}

/** How the app served feed pages (from a timeline or from the database, and why), per its metrics. */
async function feedSources(t: TestApp): Promise<{ timeline: number; text: string }> {
  const reads = await t.metrics.feedReadSeconds.get();
  const fallbacks = await t.metrics.feedFallbacks.get();
  const pages = reads.values.filter((v) => v.metricName?.endsWith('_count'));
  const why = fallbacks.values.map((v) => `${String(v.labels.reason)} ${v.value}`);
  return {
    timeline: pages.find((v) => v.labels.source === 'timeline')?.value ?? 0,
    text:
      (pages.map((v) => `${v.value} from ${String(v.labels.source)}`).join(', ') || 'none') +
      (why.length ? ` (fallbacks: ${why.join(', ')})` : ''),
  };
}

/** Which job queues receive each topic (the routing the relay publishes by). */
const routes = topologyOf(jobs);

/** Job deliveries that ran to their end (done, or dead-lettered), and the retries among outcomes. */
async function jobOutcomes(t: TestApp): Promise<{ finished: number; retries: number }> {
  const { values } = await t.metrics.jobs.get();
  let finished = 0;
  let retries = 0;
  for (const v of values) {
    if (v.labels.outcome === 'retry') retries += v.value;
    else finished += v.value;
  }
  return { finished, retries };
}

const deadLetters = (queues: readonly QueueStats[]) => queues.reduce((sum, q) => sum + q.dead, 0);

/**
 * Waits until nothing is left to do: every outbox row published, every job queue empty, every
 * published message's deliveries finished (a RabbitMQ delivery in progress is in no queue
 * count, so the deliveries that ran to their end are counted against the messages the relay
 * published: each outbox row reaches one queue per job that takes its topic, and only the
 * relay publishes here), and no feed rebuild running in the background — twice in a row.
 * Dead letters fail the test: a job that gave up has lost work.
 */
async function drain(t: TestApp, deadBefore: number): Promise<void> {
  const deadline = Date.now() + DRAIN_DEADLINE_MS;
  let quiet = 0;
  for (;;) {
    await t.services.feed.settle();
    const [queues, outbox, outcomes] = await Promise.all([
      t.infra.queue.stats(),
      sql<{ topic: string; unpublished: string; published: string }>`
        SELECT topic, count(*) FILTER (WHERE published_at IS NULL) AS unpublished,
               count(*) FILTER (WHERE published_at IS NOT NULL) AS published
          FROM outbox GROUP BY topic`.execute(t.infra.store.db),
      jobOutcomes(t),
    ]);
    if (deadLetters(queues) > deadBefore)
      throw new Error(
        `new dead letters: ${queues
          .filter((q) => q.dead > 0)
          .map((q) => `${q.queue}: ${q.dead}`)
          .join(', ')} (a job failed for good; earlier sequences left ${deadBefore})`,
      );
    let unpublished = 0;
    let deliveries = 0;
    for (const row of outbox.rows) {
      unpublished += Number(row.unpublished);
      deliveries += Number(row.published) * (routes.get(row.topic)?.length ?? 0);
    }
    const busy = queues.filter((q) => q.ready > 0);
    const idle = unpublished === 0 && busy.length === 0 && outcomes.finished >= deliveries;
    quiet = idle ? quiet + 1 : 0;
    if (quiet >= 2) return;
    if (Date.now() > deadline)
      throw new Error(
        `the outbox and job queues did not drain within ${DRAIN_DEADLINE_MS} ms: ${unpublished} outbox rows ` +
          `unpublished; ${busy.map((q) => `${q.queue}: ${q.ready} ready`).join(', ') || 'queues empty'}; ` +
          `${outcomes.finished} of ${deliveries} deliveries finished`,
      );
    await sleep(DRAIN_POLL_MS);
  }
}

/**
 * Makes a failing sequence small enough to read: drops what follows a failing mid-sequence
 * operation, then the warm-up reads, then chunks of operations anywhere (halving the chunk
 * size until single operations; delta debugging), keeping each removal after which some
 * Mismatch still happens. Operations name users by index and pick posts by position, so any
 * subset is still a valid sequence. Writes the result to a file FEED_MODEL_REPLAY runs.
 */
async function minimize(
  sequence: Sequence,
  first: Mismatch,
  shape: ShapeName,
  run: (candidate: Sequence) => Promise<void>,
): Promise<Error> {
  const started = Date.now();
  const deadline = started + SHRINK_BUDGET_MS;
  let best = sequence;
  let error = first;
  let tries = 0;
  const attempt = async (candidate: Sequence): Promise<boolean> => {
    tries++;
    try {
      await run(candidate);
      return false;
    } catch (err) {
      if (!(err instanceof Mismatch)) throw err;
      best = candidate;
      error = err;
      return true;
    }
  };
  if (first.step !== null && first.step + 1 < best.ops.length)
    await attempt({ ...best, ops: best.ops.slice(0, first.step + 1) });
  if (best.warm.some(Boolean)) await attempt({ ...best, warm: best.warm.map(() => false) });
  let size = Math.ceil(best.ops.length / 2);
  while (size >= 1 && Date.now() < deadline) {
    let removed = false;
    for (let at = 0; at < best.ops.length && Date.now() < deadline;) {
      const ops = [...best.ops.slice(0, at), ...best.ops.slice(at + size)];
      if (await attempt({ ...best, ops })) removed = true;
      else at += size;
    }
    if (!removed) {
      if (size === 1) break;
      size = Math.ceil(size / 2);
    }
    size = Math.min(size, Math.max(1, Math.ceil(best.ops.length / 2)));
  }
  for (const [u, warm] of best.warm.entries())
    if (warm && Date.now() < deadline)
      await attempt({ ...best, warm: best.warm.map((w, i) => w && i !== u) });
  const file = join(tmpdir(), `feed-model-${shape}-${Date.now()}.json`);
  await writeFile(file, JSON.stringify(best));
  const done = Date.now() < deadline ? 'no single operation can be removed' : 'the time budget ran out';
  return new Mismatch(
    `minimized from ${sequence.ops.length} to ${best.ops.length} operations in ${tries} runs ` +
      `(${((Date.now() - started) / 1000).toFixed(0)} s; ${done}). Replay: FEED_MODEL_REPLAY=${file}\n` +
      error.message,
    error.step,
  );
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Builds one sequence through the API, checking as it goes, then every user's whole feed. */
async function checkSequence(
  t: TestApp,
  sequence: Sequence,
  stats: Stats,
  flush: Flush,
  everyone: Set<string>,
): Promise<void> {
  const { n } = sequence;
  const privates = sequence.privates.slice(0, n);
  const users = await insertUsers(
    t,
    privates.map((isPrivate) => ({ isPrivate })),
  );
  for (const u of users) everyone.add(u.id);
  const model = new Model(n, [...privates]);
  const rng = prng(sequence.checkSeed);
  const retriesBefore = (await jobOutcomes(t)).retries;
  const deadBefore = deadLetters(await t.infra.queue.stats());

  const log: string[] = [];
  const names = new Map<string, string>(users.map((u, i) => [u.id, `u${i}`]));
  const readable = (text: string) => text.replace(/\d{6,}/g, (id) => names.get(id) ?? id);
  const label = (id: string) => names.get(id) ?? id;
  /** The operation being run, while building; null during the final reads. */
  let current: number | null = null;
  const fail = (what: string, details: string[]): never => {
    const state = [
      `private: ${
        model
          .users()
          .filter((u) => model.isPrivate[u])
          .map((u) => `u${u}`)
          .join(' ') || '-'
      }`,
      `follows: ${[...model.follows].map(([k, s]) => `${k.replace(/(\d+)/g, 'u$1')}${s === 'pending' ? '(pending)' : ''}`).join(' ') || '-'}`,
      `blocks: ${[...model.blocks].map((k) => k.replace(/(\d+)/g, 'u$1')).join(' ') || '-'}`,
      `mutes: ${[...model.mutes].map((k) => k.replace(/(\d+)/g, 'u$1')).join(' ') || '-'}`,
      `approved followers: ${model
        .users()
        .map((u) => `u${u}:${model.followers(u).length}`)
        .join(' ')} (celebrity above ${CELEBRITY_FOLLOWERS})`,
      `posts: ${model.posts.map((p) => `${label(p.id)}@u${p.author}${p.deleted ? '(deleted)' : ''}`).join(' ') || '-'}`,
    ];
    throw new Mismatch(
      readable(
        [
          `${what} (sequence of ${n} users)`,
          ...details.map((d) => `  ${d}`),
          'operations:',
          ...log.map((l) => `  ${l}`),
          'model state:',
          ...state.map((s) => `  ${s}`),
        ].join('\n'),
      ),
      current,
    );
  };

  const request = (method: Method, url: string, actor: number, body?: unknown) => {
    stats.requests++;
    return call(t.app, method, url, { token: users[actor]!.token, ...(body !== undefined && { body }) });
  };

  /** Every page of `reader`'s feed, with page-level problems (size, repeats, order, cursor). */
  const walkFeed = async (reader: number, limit: number) => {
    const ids: string[] = [];
    const authors = new Map<string, string>();
    const problems: string[] = [];
    let cursor: string | null = null;
    for (let page = 1; ; page++) {
      if (page > 1_000) {
        problems.push('more than 1000 pages: the cursor does not advance');
        break;
      }
      const reply: Reply = await request(
        'GET',
        `/api/v1/feed?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        reader,
      );
      if (reply.status !== 200) {
        problems.push(`page ${page} answered ${reply.status}: ${JSONish(reply.body)}`);
        break;
      }
      const posts = reply.body?.posts as { id: string; author?: { id?: string }; status?: string }[];
      if (!Array.isArray(posts)) {
        problems.push(`page ${page} has no posts array: ${JSONish(reply.body)}`);
        break;
      }
      if (posts.length > limit) problems.push(`page ${page} has ${posts.length} posts (limit ${limit})`);
      for (const p of posts) {
        ids.push(p.id);
        authors.set(p.id, p.author?.id ?? '?');
        if (p.status !== undefined && p.status !== 'published')
          problems.push(`${p.id} has status ${JSONish(p.status)}`);
      }
      cursor = reply.body.nextCursor ?? null;
      if (!cursor) break;
      if (posts.length === 0) problems.push(`page ${page} is empty but has a nextCursor`);
    }
    const seen = new Set<string>();
    for (const [i, id] of ids.entries()) {
      if (seen.has(id)) problems.push(`${id} appears twice`);
      seen.add(id);
      if (i > 0 && newestFirst(ids[i - 1]!, id) >= 0 && ids[i - 1] !== id)
        problems.push(`${ids[i - 1]} comes before ${id}: not newest first`);
    }
    for (const [id, author] of authors) {
      const post = model.postById.get(id);
      if (post && users[post.author]!.id !== author)
        problems.push(`${id} is shown with author ${author}, written by u${post.author}`);
    }
    return { ids, problems };
  };

  // --- Build the sequence, one operation at a time.
  const buildStarted = performance.now();
  let followerCounts = model.users().map(() => 0);
  const pullBack = Math.ceil(0.9 * CELEBRITY_FOLLOWERS);
  let step = 0;
  let sub = 0;
  /** Sends one request, logs it and checks its status (and body fields) against the model. */
  const act = async (
    text: string,
    method: Method,
    url: string,
    actor: number,
    want: number | readonly number[],
    body?: unknown,
    fields?: Record<string, unknown>,
  ): Promise<Reply> => {
    const reply = await request(method, url, actor, body);
    const status =
      reply.status < 300 && reply.body && typeof reply.body === 'object' && 'status' in reply.body
        ? ` ${String((reply.body as { status: unknown }).status)}`
        : '';
    log.push(`#${step}${sub ? `.${sub}` : ''} ${text} -> ${reply.status}${status}`);
    sub++;
    stats.operations++;
    const wanted = typeof want === 'number' ? [want] : want;
    let problem: string | null = null;
    if (!wanted.includes(reply.status)) problem = `status ${reply.status}, expected ${wanted.join(' or ')}`;
    else if (fields && reply.status < 300) {
      for (const [key, value] of Object.entries(fields))
        if (JSONish(reply.body?.[key]) !== JSONish(value))
          problem = `${key} ${JSONish(reply.body?.[key])}, expected ${JSONish(value)}`;
    }
    if (problem)
      fail(`operation #${step} answered differently from the model`, [
        `${text}: ${problem}`,
        `reply: ${JSONish(reply.body)}`,
      ]);
    return reply;
  };

  /**
   * A read while jobs may be pending: it need not equal the model, but must show nothing the
   * reader may not see, no repeats, and every live post of the reader's own (read-your-writes).
   */
  const midRead = async (reader: number, limit: number, text: string) => {
    const { ids, problems } = await walkFeed(reader, limit);
    log.push(`${text} (limit ${limit}): ${ids.map(label).join(' ') || 'empty'}`);
    stats.midReads++;
    for (const id of ids) {
      const why = model.forbidden(reader, id);
      if (why) problems.push(`${id} must not be there: ${why}`);
    }
    const shown = new Set(ids);
    for (const p of model.posts)
      if (p.author === reader && !p.deleted && !shown.has(p.id))
        problems.push(`the reader's own ${p.id} is missing (read-your-writes)`);
    if (problems.length)
      fail(`a feed read in the middle of the sequence shows what it must not (u${reader})`, problems);
  };

  const runOperation = async (op: Op): Promise<void> => {
    const a = op.a % n;
    const { flag, pick, count } = op;
    // Self-targets are a 400 for follow, block and mute (checked); elsewhere, take the next user.
    const b =
      op.b % n === a && ['unfollow', 'unblock', 'approve', 'reject', 'unmute'].includes(op.kind)
        ? (a + 1) % n
        : op.b % n;
    const id = (x: number) => users[x]!.id;

    const follow = async (x: number, y: number) => {
      const text = `u${x} follows u${y}`;
      const url = `/api/v1/users/${id(y)}/follow`;
      if (x === y) return void (await act(text, 'POST', url, x, 400));
      if (model.blockedEitherWay(x, y)) return void (await act(text, 'POST', url, x, 404));
      const state = model.edge(x, y) ?? (model.isPrivate[y] ? 'pending' : 'accepted');
      await act(text, 'POST', url, x, 200, undefined, {
        status: state === 'accepted' ? 'following' : 'requested',
      });
      model.follows.set(pair(x, y), state);
    };
    const unfollow = async (x: number, y: number) => {
      // Across a block there is no edge left to remove; the rules leave the status open there.
      await act(
        `u${x} unfollows u${y}`,
        'DELETE',
        `/api/v1/users/${id(y)}/follow`,
        x,
        model.blockedEitherWay(x, y) ? [200, 404] : 200,
        undefined,
        { status: 'none' },
      );
      model.follows.delete(pair(x, y));
    };
    const answer = async (owner: number, requester: number, verb: 'approve' | 'reject') => {
      const was = model.pending(requester, owner);
      await act(
        `u${owner} ${verb}s the request of u${requester}`,
        'POST',
        `/api/v1/me/follow-requests/${id(requester)}/${verb}`,
        owner,
        was ? 204 : 404,
      );
      if (!was) return;
      if (verb === 'approve') model.follows.set(pair(requester, owner), 'accepted');
      else model.follows.delete(pair(requester, owner));
    };
    const block = async (x: number, y: number) => {
      const url = `/api/v1/users/${id(y)}/block`;
      if (x === y) return void (await act(`u${x} blocks u${y}`, 'POST', url, x, 400));
      await act(`u${x} blocks u${y}`, 'POST', url, x, 204);
      model.blocks.add(pair(x, y));
      model.follows.delete(pair(x, y));
      model.follows.delete(pair(y, x));
    };
    const unblock = async (x: number, y: number) => {
      await act(`u${x} unblocks u${y}`, 'DELETE', `/api/v1/users/${id(y)}/block`, x, 204);
      model.blocks.delete(pair(x, y));
    };

    switch (op.kind) {
      case 'post': {
        const over = model.followers(a).length > CELEBRITY_FOLLOWERS;
        const mediaId = await readyMedia(t, id(a));
        const reply = await act(
          `u${a} posts`,
          'POST',
          '/api/v1/posts',
          a,
          201,
          { mediaIds: [mediaId] },
          {
            status: 'published',
          },
        );
        const post: ModelPost = { id: reply.body.id, author: a, deleted: false };
        model.posts.push(post);
        model.postById.set(post.id, post);
        names.set(post.id, `p${model.posts.length - 1}`);
        log[log.length - 1] += ` ${names.get(post.id)}${over ? ' (over the threshold)' : ''}`;
        stats.posts++;
        if (over) stats.celebrityPosts++;
        return;
      }
      case 'delete': {
        if (model.posts.length === 0) return;
        // Mostly one of the actor's own live posts; sometimes any post (403 or 404 then).
        const own = model.posts.filter((p) => p.author === a && !p.deleted);
        const post =
          pick % 5 !== 0 && own.length ? own[pick % own.length]! : model.posts[pick % model.posts.length]!;
        const status = post.deleted
          ? 404
          : post.author === a
            ? 204
            : model.contentVisible(a, post.author)
              ? 403
              : 404;
        await act(
          `u${a} deletes ${post.id} by u${post.author}${post.deleted ? ' (already deleted)' : ''}`,
          'DELETE',
          `/api/v1/posts/${post.id}`,
          a,
          status,
        );
        if (status === 204) post.deleted = true;
        return;
      }
      case 'follow':
        return follow(a, b);
      case 'unfollow': {
        // With `flag`, someone `a` really follows or asked to follow (if anyone).
        const mine = model.users().filter((x) => x !== a && model.edge(a, x) !== undefined);
        return unfollow(a, flag && mine.length ? mine[pick % mine.length]! : b);
      }
      case 'approve':
      case 'reject': {
        // With `flag` (or always, for approvals), a request that is really waiting, if any.
        const waiting = model.requesters(a);
        const real = (op.kind === 'approve' || flag) && waiting.length > 0;
        return answer(a, real ? waiting[pick % waiting.length]! : b, op.kind);
      }
      case 'block':
        return block(a, b);
      case 'unblock': {
        const mine = model.users().filter((x) => model.blocking(a, x));
        return unblock(a, flag && mine.length ? mine[pick % mine.length]! : b);
      }
      case 'mute':
      case 'unmute': {
        const on = op.kind === 'mute';
        // Mostly someone in the actor's feed (muting a stranger changes nothing there).
        const followed = model.users().filter((x) => x !== a && model.accepted(a, x));
        const muted = model.users().filter((x) => model.muting(a, x));
        const pool = on ? followed : muted;
        const target = flag && pool.length ? pool[pick % pool.length]! : b;
        const text = `u${a} ${on ? 'mutes' : 'unmutes'} u${target}`;
        const url = `/api/v1/users/${id(target)}/mute`;
        const method = on ? 'POST' : 'DELETE';
        if (a === target) return void (await act(text, method, url, a, 400));
        // A block hides each side from the other: muting across it is a 404, like following.
        if (model.blockedEitherWay(a, target)) return void (await act(text, method, url, a, 404));
        await act(text, method, url, a, 204);
        if (on) model.mutes.add(pair(a, target));
        else model.mutes.delete(pair(a, target));
        return;
      }
      case 'private': {
        await act(
          `u${a} goes ${flag ? 'private' : 'public'}`,
          'PATCH',
          '/api/v1/me',
          a,
          200,
          {
            isPrivate: flag,
          },
          { isPrivate: flag },
        );
        // Going public accepts every pending request (graph.service acceptAllRequests).
        if (model.isPrivate[a] && !flag)
          for (const r of model.requesters(a)) model.follows.set(pair(r, a), 'accepted');
        model.isPrivate[a] = flag;
        return;
      }
      case 'rally': {
        // Several users follow a celebrity at once; if private, with `flag` it approves them.
        const c = a % CELEBRITIES;
        const candidates = rotate(
          model.users().filter((x) => x !== c && !model.edge(x, c) && !model.blockedEitherWay(x, c)),
          pick,
        ).slice(0, 1 + count);
        for (const x of candidates) await follow(x, c);
        if (flag) for (const x of candidates) if (model.pending(x, c)) await answer(c, x, 'approve');
        return;
      }
      case 'exodus': {
        // Several followers leave a celebrity; with `flag`, the first is removed by a block
        // (which the celebrity lifts at once: the follow stays gone).
        const c = a % CELEBRITIES;
        const leaving = rotate(model.followers(c), pick).slice(0, 1 + count);
        for (const [i, x] of leaving.entries()) {
          if (i === 0 && flag) {
            await block(c, x);
            await unblock(c, x);
          } else await unfollow(x, c);
        }
        return;
      }
      case 'flush': {
        if (!sequence.flushes) return;
        await flush();
        log.push(
          `#${step} every timeline is dropped (${t.config.redis ? 'Redis keys deleted' : 'in-process lists dropped'})`,
        );
        stats.flushes++;
        return;
      }
      case 'read':
        return midRead(a, 1 + (pick % MID_PAGE), `#${step} u${a} reads the feed`);
    }
  };

  // Users who open the app first count as active, so fan-out pushes to their timelines; the
  // others are skipped by fan-out and rebuilt when they first read.
  for (const u of model.users()) if (sequence.warm[u]) await midRead(u, MID_PAGE, `u${u} opens the feed`);
  for (const [i, op] of sequence.ops.entries()) {
    step = current = i;
    sub = 0;
    await runOperation(op);
    // Celebrity crossings, as the model sees them (the server decides at the author's next post).
    const counts = model.users().map((u) => model.followers(u).length);
    for (const u of model.users()) {
      if (followerCounts[u]! <= CELEBRITY_FOLLOWERS && counts[u]! > CELEBRITY_FOLLOWERS) stats.crossingsUp++;
      if (followerCounts[u]! >= pullBack && counts[u]! < pullBack) stats.crossingsDown++;
    }
    followerCounts = counts;
  }
  current = null;
  stats.buildMs += performance.now() - buildStarted;

  // --- Drain, then read every feed back.
  const drainStarted = performance.now();
  await drain(t, deadBefore).catch((err: unknown) =>
    fail(`after the sequence, ${err instanceof Error ? err.message : String(err)}`, []),
  );
  const checkStarted = performance.now();
  stats.drainMs += checkStarted - drainStarted;

  const readFeed = async (u: number, limit: number) => {
    const want = model.feed(u);
    const { ids, problems } = await walkFeed(u, limit);
    if (JSONish(ids) !== JSONish(want)) {
      const got = new Set(ids);
      const expected = new Set(want);
      const missing = want.filter((id) => !got.has(id));
      const extra = ids.filter((id) => !expected.has(id));
      problems.push(
        `feed  ${ids.map(label).join(' ') || 'empty'}`,
        `model ${want.map(label).join(' ') || 'empty'}`,
        ...(missing.length ? [`missing: ${missing.map(label).join(' ')}`] : []),
        ...extra.map(
          (id) => `extra: ${label(id)}${model.forbidden(u, id) ? ` (${model.forbidden(u, id)})` : ''}`,
        ),
      );
    }
    stats.finalReads++;
    stats.feedPosts += ids.length;
    return problems;
  };
  /** Every user's whole feed, PARALLEL_READS at a time: the users whose feeds differ, and how. */
  const readAll = async (readers: readonly number[], limits: readonly number[]) => {
    const problems = new Map<number, string[]>();
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL_READS }, async () => {
        while (next < readers.length) {
          const u = readers[next++]!;
          const found = await readFeed(u, limits[u]!);
          if (found.length) problems.set(u, found);
        }
      }),
    );
    return problems;
  };
  const finalPass = async (pass: string) => {
    const limits = model.users().map(() => rng.upTo(FINAL_PAGE));
    const problems = await readAll(model.users(), limits);
    if (problems.size === 0) return;
    // Say whether the difference lasts (a wrong timeline) or goes away (a read that raced
    // something the drain cannot see); either way it is a failure.
    await sleep(1_000);
    await drain(t, deadBefore).catch(() => {});
    const again = await readAll([...problems.keys()], limits);
    fail(
      `${problems.size} of ${n} feeds differ from the model after draining (${pass})`,
      [...problems].flatMap(([u, found]) => [
        `u${u}'s feed (limit ${limits[u]}), ${again.has(u) ? 'still different when read again after another drain' : 'equal to the model when read again after another drain'}:`,
        ...found.map((f) => `  ${readable(f)}`),
      ]),
    );
  };

  // First pass: users who never read their feed, or whose timeline was flushed, are served from
  // PostgreSQL while their timeline is rebuilt; the second pass reads what was rebuilt.
  await finalPass('first read');
  await drain(t, deadBefore).catch((err: unknown) =>
    fail(`between the final reads, ${err instanceof Error ? err.message : String(err)}`, []),
  );
  await finalPass('second read, after the rebuilds the first one started');
  stats.checkMs += performance.now() - checkStarted;
  stats.jobRetries += (await jobOutcomes(t)).retries - retriesBefore;
  stats.sequences++;
  stats.users += n;
}

/** The items from position `by` on, then the rest: a cheap, replayable choice of whom to take. */
function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

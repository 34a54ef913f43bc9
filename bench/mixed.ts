/**
 * Benchmark: a realistic mix at a fixed rate for minutes (the issue's scenario 5), against the
 * service shape: separate `serve`, `worker` and `relay` processes on PostgreSQL, Redis, RabbitMQ
 * and an object store (Ceph RGW when TEST_S3_ENDPOINT is set, the local disk otherwise), on a
 * graph from bench/seed (USERS users, AVG_FOLLOWS average follows, 30% of them active). The mix
 * writes, so the graph is seeded for the run and dropped after it (the feed scenarios' cached
 * graphs must stay as seeded).
 *
 * Per 100 actions: 45 feed reads, 20 profile views (the account and its posts), 25 post views
 * (the post and its comments), 2 likes, 1 unlike, 2 comments, 2 follows, 2 unfollows and 1 post
 * with a photo (API.md's upload flow: slot, PUT the bytes, complete, wait for ready, create the
 * post). Each action is by a random active user; the choices come from a seeded PRNG, so a run
 * sends the same requests for the same --seed.
 *
 * Open loop: actions start on a fixed schedule, RATE per second, however long earlier ones take,
 * and every latency counts from the moment its request was due (the action's slot for its first
 * request), so a slow server shows as latency, not as a lower rate (no coordinated omission).
 * Latencies go to one HDR histogram per route. A warm-up climbs from 0 to RATE, then holds it
 * (not counted).
 *
 * Reports errors by route and status (target 0; the first answers of each kind, and what the
 * server logged for 5xx), p50/p99 per route, each process's RSS every 10 s (start, end, max,
 * the slope of a least-squares line after the first minute, and whether the peak grew: flat
 * memory does not grow), RabbitMQ queue depth every 5 s (ready messages: those a worker holds are
 * not counted), the worker's fan-out lag and complete → ready histograms, job retries and dead
 * letters, and the CPU each process (and this database's PostgreSQL backends) used per action.
 *
 * Usage: npm run bench -- mixed [--rate 50] [--duration 300] [--warmup 60] [--users 10000]
 *   [--avg-follows 50] [--seed 1]
 * Needs PostgreSQL, Redis and RabbitMQ (TEST_DATABASE_URL, TEST_REDIS_URL, TEST_AMQP_URL as in
 * the tests); removes its database, keys, queues, bucket, processes and files, also on failure.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as amqpConnect, type Channel, type ChannelModel } from 'amqplib';
import { build as buildHistogram, type Histogram } from 'hdr-histogram-js';
import { Redis } from 'ioredis';
import pg from 'pg';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { AccessTokens } from '../apps/server/src/accounts/tokens.js';
import { DEFAULT_RABBITMQ_OPTIONS } from '../apps/server/src/adapters/rabbitmq/rabbitmq-queue.js';
import { rabbitMqNames, retryDelays } from '../apps/server/src/adapters/rabbitmq/rabbitmq-topology.js';
import { jobs, topologyOf } from '../apps/server/src/jobs/catalogue.js';
import { startServer, type ServerProcess } from '../apps/server/test/support/process.js';
import { deleteProcessQueues } from '../apps/server/test/support/rabbitmq.js';
import { dropBucket, newBucket } from '../apps/server/test/support/s3.js';
import {
  AMQP_URL,
  createTestDatabase,
  postgresAvailable,
  rabbitmqAvailable,
  REDIS_URL,
  redisAvailable,
  s3Available,
  TEST_S3,
} from '../apps/server/test/support/services.js';
import { lineChart, writeChart } from './chart.js';
import {
  arg,
  attempt,
  cleanUpOnSignals,
  machineInfo,
  markdownTable,
  writeReport,
  writeResults,
} from './common.js';
import { DEFAULT_OPTIONS, seedGraph, type SeedManifest } from './seed/index.js';

/**
 * 50 actions (~75 requests) per second: about a third of what this machine's two cores can
 * serve at the CPU each action costs (the report estimates that ceiling every run). At 100 the
 * cores are over half busy, and another process's burst puts the run behind for good.
 */
const RATE = arg('rate', 50);
const DURATION = arg('duration', 300);
const WARMUP = arg('warmup', 60);
const USERS = arg('users', 10_000);
const AVG_FOLLOWS = arg('avg-follows', 50);
const SEED = arg('seed', 1);
const USE_S3 = Boolean(process.env.TEST_S3_ENDPOINT);

const RSS_EVERY_S = 10;
const QUEUE_EVERY_S = 5;
/**
 * RSS is judged after the first minute of the run (the first fifth of a shorter one): the last
 * 4 minutes of the default 5, and more of a longer run, whose fit is the steadier for it.
 */
const SETTLE_SECONDS = 60;
/** The peaks compared: the first and the last minute of the fitted stretch. */
const PEAK_WINDOW_SECONDS = 60;
/**
 * "Flat": the fitted line grows by at most this (a process giving memory back is flat too). At
 * the default rate (~75 requests/s) it is ~470 bytes kept per request. The serve process's heap
 * grows and shrinks by tens of MiB as the load varies, so a 4-minute fit can read a few MiB/min
 * from that alone: a "not met" wants a look at the chart before it is called a leak.
 */
const FLAT_MIB_PER_MINUTE = 2;
const MEDIA_POLL_MS = 250;
/** FEED_ACTIVE_DAYS's default, which the servers run with: who counts as an active reader. */
const FEED_ACTIVE_DAYS = 30;
const MEDIA_READY_TIMEOUT_MS = 60_000;
const DRAIN_TIMEOUT_MS = 120_000;
/** A 1800x1200 JPEG of 340 KiB: what a phone sends after the web app's resize, roughly. */
const PHOTO = '/work/shared/corpus/exif-orientation/Landscape_1.jpg';
const PROCESS_ROLES = ['serve', 'worker', 'relay'] as const;
type Role = (typeof PROCESS_ROLES)[number];

const started = performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (fromMs: number, toMs = performance.now()) => (toMs - fromMs) / 1000;
const round = (n: number, digits = 3) => +n.toFixed(digits);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const say = (message: string) => console.log(`[${seconds(started).toFixed(1).padStart(6)} s] ${message}`);
const load = () => loadavg().map((l) => round(l, 2));

// ---- the mix ----------------------------------------------------------------------------------

/** Every route the mix calls, with the status that means it worked (anything else is an error). */
const ROUTES = {
  'GET /feed': 200,
  'GET /users/:id': 200,
  'GET /users/:id/posts': 200,
  'GET /posts/:id': 200,
  'GET /posts/:id/comments': 200,
  'POST /posts/:id/like': 200,
  'DELETE /posts/:id/like': 200,
  'POST /posts/:id/comments': 201,
  'POST /users/:id/follow': 200,
  'DELETE /users/:id/follow': 200,
  'POST /media/uploads': 201,
  'PUT upload URL': 200,
  'POST /media/:id/complete': 202,
  'GET /media/:id': 200,
  'POST /posts': 201,
} as const;
type Route = keyof typeof ROUTES;

/** Actions per 100: 90 reads, 5 likes and comments, 4 follows, 1 post with a photo. */
const MIX = {
  feed: 45,
  profile: 20,
  post: 25,
  like: 2,
  unlike: 1,
  comment: 2,
  follow: 2,
  unfollow: 2,
  'photo post': 1,
} as const;
type ActionName = keyof typeof MIX;

const newHistogram = (): Histogram => buildHistogram({ numberOfSignificantValueDigits: 3 });
const micros = (ms: number) => Math.max(1, Math.round(ms * 1000));
const ms = (us: number) => round(us / 1000, 2);

/** What one phase (warm-up or the measured run) saw. */
class Stats {
  readonly routes = new Map<Route, Histogram>();
  readonly actions = new Map<ActionName, { latency: Histogram; failed: number }>();
  readonly errors = new Map<string, number>();
  /** The first few answers of each kind of error ("route → status"), as they came. */
  readonly errorSamples = new Map<string, string[]>();
  /** How late the generator started actions (its own event loop's delay). */
  readonly lateness = newHistogram();
  /** Client-side wait from `complete` to seeing `ready` (polling every MEDIA_POLL_MS). */
  readonly readySeen = newHistogram();
  /** Every request since the last progress line. */
  window = newHistogram();
  requests = 0;
  errorCount = 0;
  clientFailures: string[] = [];

  request(route: Route, latencyMs: number): void {
    let histogram = this.routes.get(route);
    if (!histogram) this.routes.set(route, (histogram = newHistogram()));
    histogram.recordValue(micros(latencyMs));
    this.window.recordValue(micros(latencyMs));
    this.requests++;
  }

  error(route: Route, outcome: string, body: string): void {
    const key = `${route} → ${outcome}`;
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
    this.errorCount++;
    const samples = this.errorSamples.get(key) ?? [];
    if (samples.length < 3) this.errorSamples.set(key, [...samples, body.slice(0, 2_000)]);
  }

  action(name: ActionName, latencyMs: number | null): void {
    let entry = this.actions.get(name);
    if (!entry) this.actions.set(name, (entry = { latency: newHistogram(), failed: 0 }));
    if (latencyMs === null) entry.failed++;
    else entry.latency.recordValue(micros(latencyMs));
  }
}

/** A request answered with something other than its route's success status (already counted). */
class RequestFailed extends Error {}

interface Reader {
  readonly id: string;
  readonly sessionId: string;
}

/** The people and things the mix picks from; all from the seeded database. */
interface World {
  readonly readers: readonly Reader[];
  /** Published posts by public accounts (anyone may read them). */
  readonly posts: readonly string[];
  /** Public accounts, for profile views and follows. */
  readonly people: readonly string[];
  /** Follows an unfollow may take back: [reader index, followee]; follows made in the run join. */
  readonly follows: [number, string][];
  /** Likes made in the run, for unlikes: [reader index, post]. */
  readonly likes: [number, string][];
}

/** One request-issuing context: the action's reader, and when its next request is due. */
interface Ctx {
  readonly base: string;
  readonly token: string;
  readonly stats: Stats;
  /** The moment the next request counts from: the action's slot, then each answer's arrival. */
  since: number;
}

async function call(c: Ctx, route: Route, url: string, init: RequestInit): Promise<unknown> {
  const since = c.since;
  let status = 0;
  let text: string;
  try {
    const response = await fetch(url, init);
    status = response.status;
    text = await response.text();
  } catch (err) {
    text = err instanceof Error ? `${err.message} ${String(err.cause ?? '')}` : String(err);
  }
  c.since = performance.now();
  c.stats.request(route, c.since - since);
  if (status !== ROUTES[route]) {
    c.stats.error(route, status === 0 ? 'network error' : String(status), text);
    throw new RequestFailed();
  }
  return text ? JSON.parse(text) : null;
}

/** An API call as the reader (JSON in when there is a body). */
function api(c: Ctx, route: Route, path: string, method = 'GET', body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = { authorization: `Bearer ${c.token}` };
  if (body === undefined) return call(c, route, `${c.base}${path}`, { method, headers });
  headers['content-type'] = 'application/json';
  return call(c, route, `${c.base}${path}`, { method, headers, body: JSON.stringify(body) });
}

interface Slot {
  media: { id: string };
  upload: { url: string; headers: Record<string, string> };
}

/** API.md's media flow, then the post: what the composer does when someone shares a photo. */
async function postPhoto(c: Ctx, photo: Buffer): Promise<void> {
  const slot = (await api(c, 'POST /media/uploads', '/media/uploads', 'POST', {
    contentType: 'image/jpeg',
    size: photo.length,
  })) as Slot;
  // fetch sets the length itself and refuses a caller's.
  const { 'content-length': _, ...headers } = slot.upload.headers;
  await call(c, 'PUT upload URL', slot.upload.url, { method: 'PUT', headers, body: photo });
  const id = slot.media.id;
  await api(c, 'POST /media/:id/complete', `/media/${id}/complete`, 'POST');
  const completed = performance.now();
  for (;;) {
    await sleep(MEDIA_POLL_MS);
    c.since = performance.now();
    const media = (await api(c, 'GET /media/:id', `/media/${id}`)) as { status: string; error: unknown };
    if (media.status === 'ready') break;
    if (media.status === 'failed' || performance.now() - completed > MEDIA_READY_TIMEOUT_MS) {
      const outcome = media.status === 'failed' ? 'media failed' : 'media not ready in time';
      c.stats.error('GET /media/:id', outcome, JSON.stringify(media));
      throw new RequestFailed();
    }
  }
  c.stats.readySeen.recordValue(micros(performance.now() - completed));
  await api(c, 'POST /posts', '/posts', 'POST', {
    mediaIds: [id],
    caption: 'From the mixed benchmark #bench',
  });
}

interface Planned {
  readonly name: ActionName;
  readonly reader: Reader;
  readonly run: (c: Ctx) => Promise<unknown>;
}

/**
 * The next action, decided now (synchronously, from the PRNG alone) so that the sequence does
 * not depend on timing; pools that actions feed (follows, likes) are updated here too.
 */
function planner(world: World, photo: Buffer, seed: number): () => Planned {
  const rng = xoroshiro128plus(seed);
  const random = () => uniformFloat64(rng);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  /** Anyone but `self` (following oneself is refused). */
  const pickOther = (people: readonly string[], self: string): string => {
    const at = Math.floor(random() * people.length);
    return people[at] === self ? people[(at + 1) % people.length]! : people[at]!;
  };
  /** Removes and returns a random element (order does not matter, so swap with the last). */
  const take = <T>(items: T[]): T | undefined => {
    if (items.length === 0) return undefined;
    const at = Math.floor(random() * items.length);
    const item = items[at]!;
    items[at] = items.at(-1)!;
    items.pop();
    return item;
  };
  const names = Object.keys(MIX) as ActionName[];
  const total = names.reduce((sum, n) => sum + MIX[n], 0);
  const choose = (): ActionName => {
    let draw = random() * total;
    return names.find((n) => (draw -= MIX[n]) < 0) ?? names.at(-1)!;
  };
  let photos = 0;

  return (): Planned => {
    const name = choose();
    const readerIndex = Math.floor(random() * world.readers.length);
    const by = (run: Planned['run'], index = readerIndex) => ({ name, reader: world.readers[index]!, run });
    switch (name) {
      case 'feed':
        return by((c) => api(c, 'GET /feed', '/feed?limit=20'));
      case 'profile': {
        const user = pick(world.people);
        return by((c) =>
          Promise.all([
            api(c, 'GET /users/:id', `/users/${user}`),
            api(c, 'GET /users/:id/posts', `/users/${user}/posts?limit=20`),
          ]),
        );
      }
      case 'post': {
        const post = pick(world.posts);
        return by((c) =>
          Promise.all([
            api(c, 'GET /posts/:id', `/posts/${post}`),
            api(c, 'GET /posts/:id/comments', `/posts/${post}/comments?limit=20`),
          ]),
        );
      }
      case 'like': {
        const post = pick(world.posts);
        world.likes.push([readerIndex, post]);
        return by((c) => api(c, 'POST /posts/:id/like', `/posts/${post}/like`, 'POST'));
      }
      case 'unlike': {
        // A like made earlier in the run; with none yet, any post (unliking is idempotent).
        const [index, post] = take(world.likes) ?? [readerIndex, pick(world.posts)];
        return by((c) => api(c, 'DELETE /posts/:id/like', `/posts/${post}/like`, 'DELETE'), index);
      }
      case 'comment': {
        const post = pick(world.posts);
        const body = { body: `Comment ${Math.floor(random() * 1e9)} from the mixed benchmark` };
        return by((c) => api(c, 'POST /posts/:id/comments', `/posts/${post}/comments`, 'POST', body));
      }
      case 'follow': {
        const user = pickOther(world.people, world.readers[readerIndex]!.id);
        world.follows.push([readerIndex, user]);
        return by((c) => api(c, 'POST /users/:id/follow', `/users/${user}/follow`, 'POST'));
      }
      case 'unfollow': {
        const [index, user] = take(world.follows) ?? [readerIndex, pick(world.people)];
        return by((c) => api(c, 'DELETE /users/:id/follow', `/users/${user}/follow`, 'DELETE'), index);
      }
      case 'photo post': {
        // Bytes after the JPEG's end: the same picture, but not a re-upload the server would
        // recognise and answer with the first one's renditions.
        const unique = Buffer.concat([photo, Buffer.from(`mixed benchmark photo ${seed}.${++photos}`)]);
        return by((c) => postPhoto(c, unique));
      }
    }
  };
}

// ---- driving the load ---------------------------------------------------------------------------

/** Access tokens per reader, re-signed before they expire (they live 15 minutes). */
function tokenSource(secret: string): (reader: Reader) => Promise<string> {
  const signer = new AccessTokens(new TextEncoder().encode(secret));
  const cache = new Map<string, { token: string; at: number }>();
  return async (reader) => {
    const cached = cache.get(reader.id);
    if (cached && performance.now() - cached.at < 10 * 60_000) return cached.token;
    const token = await signer.issue({ userId: reader.id, sessionId: reader.sessionId });
    cache.set(reader.id, { token, at: performance.now() });
    return token;
  };
}

interface Driver {
  readonly base: string;
  readonly next: () => Planned;
  readonly tokenOf: (reader: Reader) => Promise<string>;
  readonly inFlight: Set<Promise<void>>;
}

function launch(driver: Driver, stats: Stats, due: number): void {
  const action = driver.next();
  const running = (async () => {
    const c: Ctx = { base: driver.base, token: await driver.tokenOf(action.reader), stats, since: due };
    try {
      await action.run(c);
      stats.action(action.name, performance.now() - due);
    } catch (err) {
      stats.action(action.name, null);
      if (!(err instanceof RequestFailed))
        stats.clientFailures.push(`${action.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  })();
  driver.inFlight.add(running);
  void running.finally(() => driver.inFlight.delete(running));
}

/**
 * The moment (ms after the start) each action is due: RATE per second, or with `ramp` a rate
 * that climbs linearly from 0 to RATE over the duration (n(t) = RATE t² / 2d, so t_i = √(2di/RATE)).
 */
function schedule(durationS: number, ramp: boolean): { count: number; dueMs: (i: number) => number } {
  return ramp
    ? {
        count: Math.round((RATE * durationS) / 2),
        dueMs: (i) => 1000 * Math.sqrt((2 * durationS * i) / RATE),
      }
    : { count: Math.round(RATE * durationS), dueMs: (i) => (1000 * i) / RATE };
}

/** Starts the scheduled actions on time, never waiting for answers (an open loop). */
async function drive(driver: Driver, stats: Stats, durationS: number, ramp = false): Promise<void> {
  const { count, dueMs } = schedule(durationS, ramp);
  const start = performance.now();
  for (let i = 0; i < count && !signals.interrupted;) {
    const due = start + dueMs(i);
    const now = performance.now();
    if (due > now) {
      await sleep(due - now);
      continue;
    }
    stats.lateness.recordValue(micros(now - due));
    launch(driver, stats, due);
    i++;
  }
}

/** Resolves when every started action has finished, or after the timeout (false). */
async function settle(inFlight: Set<Promise<void>>, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (inFlight.size > 0 && performance.now() < deadline) await sleep(50);
  return inFlight.size === 0;
}

/**
 * Runs `work` now, then every `periodS` (on a fixed grid), and once more when the returned stop
 * is called, so that the last reading is the moment of stopping.
 */
function every(periodS: number, work: (elapsedS: number) => Promise<void>): () => Promise<void> {
  let stopped = false;
  const start = performance.now();
  const loop = (async () => {
    for (let tick = 1; !stopped; tick++) {
      await work(seconds(start));
      const next = start + tick * periodS * 1000;
      while (!stopped && performance.now() < next) await sleep(Math.min(100, next - performance.now()));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    await work(seconds(start));
  };
}

// ---- readings from /proc, RabbitMQ and the servers' /metrics --------------------------------

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}

const USER_HZ = 100;

/** CPU seconds (user + system) a process has used so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

/** CPU seconds every core has spent busy so far (every process, other benchmarks' too). */
async function machineBusySeconds(): Promise<number> {
  const [, ...ticks] = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/);
  // user nice system idle iowait irq softirq steal; guest time is already in user and nice.
  const values = ticks.slice(0, 8).map(Number);
  const idle = values[3]! + values[4]!;
  return (values.reduce((a, b) => a + b, 0) - idle) / USER_HZ;
}

/** The PostgreSQL backends serving one database, by their process title ("postgres: … <db> …"). */
async function postgresBackends(databaseName: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const title = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (title.startsWith('postgres: ') && title.includes(` ${databaseName} `)) pids.push(Number(entry));
  }
  return pids;
}

/**
 * CPU seconds used so far by each server process, the load generator, each PostgreSQL backend
 * of this run's database (`postgres <pid>`) and the machine as a whole.
 */
async function cpuReadings(databaseName: string): Promise<Map<string, number>> {
  const own = process.cpuUsage();
  const readings = new Map([
    ['load generator', (own.user + own.system) / 1e6],
    ['machine', await machineBusySeconds()],
  ]);
  for (const [role, p] of servers) readings.set(role, await cpuSeconds(p.proc.pid!));
  for (const pid of await postgresBackends(databaseName)) {
    // A backend may exit between the listing and the read.
    const used = await cpuSeconds(pid).catch(() => null);
    if (used !== null) readings.set(`postgres ${pid}`, used);
  }
  return readings;
}

/**
 * Cores used between two readings; the backends summed as `postgres` (one that exited in
 * between is missing: the pool keeps its connections while the load runs, so few do).
 */
function coresUsed(before: Map<string, number>, after: Map<string, number>, wallSeconds: number) {
  const cores: Record<string, number> = {};
  for (const [key, value] of after) {
    const who = key.startsWith('postgres ') ? 'postgres' : key;
    cores[who] = (cores[who] ?? 0) + (value - (before.get(key) ?? 0)) / wallSeconds;
  }
  return Object.fromEntries(Object.entries(cores).map(([who, n]) => [who, round(n, 2)]));
}

/** Messages waiting (ready, not yet delivered) in each job's work queue. */
async function queueDepths(
  channel: Channel,
  queues: ReadonlyMap<string, string>,
): Promise<Map<string, number>> {
  const depths = new Map<string, number>();
  for (const [job, queue] of queues) depths.set(job, (await channel.checkQueue(queue)).messageCount);
  return depths;
}

type Scrape = Map<string, number>;
async function scrape(server: ServerProcess): Promise<Scrape> {
  const series: Scrape = new Map();
  for (const line of (await (await fetch(`${server.url}/metrics`)).text()).split('\n')) {
    if (!line.startsWith('glimpse_')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}
const delta = (before: Scrape, after: Scrape, series: string) =>
  (after.get(series) ?? 0) - (before.get(series) ?? 0);

/** A histogram's observations between two scrapes: count, and quantiles interpolated as Prometheus does. */
function histogramBetween(before: Scrape, after: Scrape, name: string) {
  const buckets = [...after.keys()]
    .filter((s) => s.startsWith(`${name}_bucket{`))
    .map((s) => {
      const le = /le="([^"]+)"/.exec(s)![1]!;
      return { le: le === '+Inf' ? Infinity : Number(le), count: delta(before, after, s) };
    })
    .sort((a, b) => a.le - b.le);
  const count = delta(before, after, `${name}_count`);
  const quantileMs = (q: number) => {
    let previous = { le: 0, count: 0 };
    for (const b of buckets) {
      if (b.count >= q * count && b.count > previous.count) {
        if (b.le === Infinity) return round(previous.le * 1000, 1);
        const within = (q * count - previous.count) / (b.count - previous.count);
        return round((previous.le + (b.le - previous.le) * within) * 1000, 1);
      }
      previous = b;
    }
    return null;
  };
  return {
    count,
    meanMs: count ? round((delta(before, after, `${name}_sum`) / count) * 1000, 1) : null,
    p50Ms: count ? quantileMs(0.5) : null,
    p99Ms: count ? quantileMs(0.99) : null,
  };
}

/** Job outcomes (done, retry, dead) between two scrapes, in total and per queue when not done. */
function jobOutcomes(before: Scrape, after: Scrape) {
  const totals = { done: 0, retry: 0, dead: 0 };
  const notDone: Record<string, number> = {};
  for (const series of after.keys()) {
    if (!series.startsWith('glimpse_jobs_total{')) continue;
    const queue = /queue="([^"]+)"/.exec(series)?.[1];
    const outcome = /outcome="(done|retry|dead)"/.exec(series)?.[1] as keyof typeof totals | undefined;
    if (!queue || !outcome) continue;
    const n = delta(before, after, series);
    totals[outcome] += n;
    if (outcome !== 'done' && n > 0) notDone[`${queue} ${outcome}`] = n;
  }
  return { ...totals, notDone };
}

function sumOf(before: Scrape, after: Scrape, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const series of after.keys())
    if (series.startsWith(prefix)) out[series.slice(prefix.length)] = delta(before, after, series);
  return out;
}

/** Least-squares slope of (seconds, MiB) points, in MiB per minute. */
function slopePerMinute(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return (sxy / sxx) * 60;
}

// ---- everything this run creates, removed in `cleanup` ----------------------------------------

const tag = `${process.pid}_${randomBytes(3).toString('hex')}`;
const KEY_PREFIX = `bench_mixed_${tag}:`;
const QUEUE_PREFIX = `bench_mixed_${tag}.`;
const JWT_SECRET = randomBytes(32).toString('hex');
const servers = new Map<Role, ServerProcess>();
let database: { url: string; drop: () => Promise<void> } | null = null;
let bucket: string | null = null;
let dataDir: string | null = null;
let broker: ChannelModel | null = null;
let cleaned: Promise<void> | null = null;

function cleanup(): Promise<void> {
  cleaned ??= (async () => {
    say('cleaning up: server processes, queues, database, Redis keys, bucket, data directory');
    await attempt('stopping processes', () =>
      Promise.all(
        [...servers.values()].map(async (p) => {
          const timer = setTimeout(() => p.proc.kill('SIGKILL'), 15_000);
          await p.stop();
          clearTimeout(timer);
        }),
      ),
    );
    await attempt('closing the broker connection', async () => broker?.close());
    await attempt('deleting queues', () => deleteProcessQueues(QUEUE_PREFIX));
    await attempt('dropping the database', async () => database?.drop());
    await attempt('deleting Redis keys', () => deleteKeys(KEY_PREFIX));
    if (bucket) await attempt('dropping the bucket', () => dropBucket(bucket!));
    if (dataDir)
      await attempt('removing the data directory', () => rm(dataDir!, { recursive: true, force: true }));
  })();
  return cleaned;
}

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    let removed = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 10_000);
      cursor = next;
      if (keys.length > 0) removed += await redis.unlink(...keys);
    } while (cursor !== '0');
    say(`  ${fmt(removed)} Redis keys deleted`);
  } finally {
    redis.disconnect();
  }
}

const signals = cleanUpOnSignals(cleanup);

// ---- set-up -------------------------------------------------------------------------------------

async function requireServices(): Promise<void> {
  const needed: [string, () => Promise<boolean>][] = [
    ['PostgreSQL', postgresAvailable],
    ['Redis', redisAvailable],
    ['RabbitMQ', rabbitmqAvailable],
    ...(USE_S3 ? [['S3 (TEST_S3_ENDPOINT)', s3Available] as [string, () => Promise<boolean>]] : []),
  ];
  for (const [name, available] of needed)
    if (!(await available())) throw new Error(`${name} is not reachable; this benchmark needs it`);
}

/** What the servers run with (the seed reads the same, to write where they will read). */
function serverEnv(): Record<string, string> {
  const s3: Record<string, string> = bucket
    ? {
        S3_BUCKET: bucket,
        S3_ENDPOINT: TEST_S3.endpoint,
        S3_REGION: TEST_S3.region,
        S3_ACCESS_KEY_ID: TEST_S3.credentials.accessKeyId,
        S3_SECRET_ACCESS_KEY: TEST_S3.credentials.secretAccessKey,
      }
    : {};
  return {
    DATA_DIR: dataDir!,
    LOG_LEVEL: 'warn',
    DATABASE_URL: database!.url,
    REDIS_URL,
    REDIS_KEY_PREFIX: KEY_PREFIX,
    AMQP_URL,
    AMQP_QUEUE_PREFIX: QUEUE_PREFIX,
    JWT_SECRET,
    ...s3,
  };
}

/** Sessions for every active user (made in SQL, as a login would), and the pools to pick from. */
async function loadWorld(db: pg.Client): Promise<World> {
  const readers = (
    await db.query<{ id: string; user_id: string }>(
      `WITH made AS (
         INSERT INTO sessions (id, user_id, expires_at)
         SELECT next_id(shard_of(id)), id, now() + interval '1 day'
           FROM users WHERE feed_read_at > now() - make_interval(days => $1)
         RETURNING id, user_id)
       SELECT id::text, user_id::text FROM made ORDER BY user_id`,
      [FEED_ACTIVE_DAYS],
    )
  ).rows.map((r) => ({ id: r.user_id, sessionId: r.id }));
  const posts = (
    await db.query<{ id: string }>(
      `SELECT p.id::text FROM posts p JOIN users u ON u.id = p.author_id
        WHERE p.status = 'published' AND p.deleted_at IS NULL AND NOT u.is_private
        ORDER BY p.id DESC LIMIT 200000`,
    )
  ).rows.map((r) => r.id);
  const people = (
    await db.query<{ id: string }>('SELECT id::text FROM users WHERE NOT is_private ORDER BY id LIMIT 200000')
  ).rows.map((r) => r.id);
  const indexOf = new Map(readers.map((r, i) => [r.id, i]));
  // The follows of the first 2,000 readers: plenty for 2 unfollows per 100 actions.
  const follows = (
    await db.query<{ follower: string; followee: string }>(
      `SELECT follower_id::text AS follower, followee_id::text AS followee FROM follows
        WHERE state = 'accepted' AND follower_id = ANY($1::bigint[]) ORDER BY follower_id, followee_id`,
      [readers.slice(0, 2_000).map((r) => r.id)],
    )
  ).rows.map((r): [number, string] => [indexOf.get(r.follower)!, r.followee]);
  if (readers.length === 0 || posts.length === 0 || people.length === 0)
    throw new Error('the seeded graph has no active users, public posts or public accounts');
  return { readers, posts, people, follows, likes: [] };
}

// ---- the run ------------------------------------------------------------------------------------

interface RssSample {
  t: number;
  rss: Record<Role, number>;
}

/** Readings taken while the load runs; `t` is seconds into the measured run. */
interface Sampling {
  readonly rss: RssSample[];
  readonly depth: { t: number; ready: number }[];
  readonly maxPerQueue: Map<string, number>;
  /** Per RSS period: request rate, p99 over every route, and errors so far. */
  readonly timeline: {
    t: number;
    requests: number;
    requestsPerSecond: number;
    p99Ms: number;
    errors: number;
  }[];
}

async function sampleRss(stats: Stats, sampling: Sampling, t: number): Promise<void> {
  const sample = { t: round(t, 1), rss: {} as Record<Role, number> };
  for (const [role, p] of servers) sample.rss[role] = round(await rssMiB(p.proc.pid!), 1);
  sampling.rss.push(sample);
  const previous = sampling.timeline.at(-1) ?? { t: 0, requests: 0 };
  // The first reading (t = 0) and a stop just after a reading have no window worth a line.
  if (t - previous.t < 1) return;
  const tick = {
    t: sample.t,
    requests: stats.requests,
    requestsPerSecond: round((stats.requests - previous.requests) / (t - previous.t), 1),
    p99Ms: ms(stats.window.getValueAtPercentile(99)),
    errors: stats.errorCount,
  };
  sampling.timeline.push(tick);
  stats.window = newHistogram();
  const memory = PROCESS_ROLES.map((r) => `${r} ${sample.rss[r].toFixed(0)}`).join(', ');
  say(
    `  ${t.toFixed(0)} s: ${fmt(tick.requestsPerSecond)} req/s, p99 ${tick.p99Ms} ms, errors ${tick.errors}; RSS ${memory} MiB; ${sampling.depth.at(-1)?.ready ?? 0} jobs queued`,
  );
}

async function sampleDepth(
  channel: Channel,
  queues: ReadonlyMap<string, string>,
  sampling: Sampling,
  t: number,
) {
  const depths = await queueDepths(channel, queues);
  for (const [job, n] of depths)
    sampling.maxPerQueue.set(job, Math.max(sampling.maxPerQueue.get(job) ?? 0, n));
  sampling.depth.push({ t: round(t, 1), ready: [...depths.values()].reduce((a, b) => a + b, 0) });
}

/** RSS every 10 s (with a progress line) and queue depth every 5 s, until the returned stop. */
async function startSampling(
  stats: Stats,
  queues: ReadonlyMap<string, string>,
): Promise<{ sampling: Sampling; stop: () => Promise<void> }> {
  const channel = await broker!.createChannel();
  const sampling: Sampling = { rss: [], depth: [], maxPerQueue: new Map(), timeline: [] };
  const stopDepth = every(QUEUE_EVERY_S, (t) => sampleDepth(channel, queues, sampling, t));
  const stopRss = every(RSS_EVERY_S, (t) => sampleRss(stats, sampling, t));
  return {
    sampling,
    stop: async () => {
      await Promise.all([stopRss(), stopDepth()]);
      await channel.close();
    },
  };
}

/** Waits until every job queue is empty, polling; false on timeout. */
async function queuesDrained(queues: ReadonlyMap<string, string>, timeoutMs: number): Promise<boolean> {
  const channel = await broker!.createChannel();
  const from = performance.now();
  try {
    while (performance.now() - from < timeoutMs) {
      const depths = await queueDepths(channel, queues);
      if ([...depths.values()].every((n) => n === 0)) return true;
      await sleep(250);
    }
    return false;
  } finally {
    await channel.close();
  }
}

async function deadLettered(queues: ReadonlyMap<string, string>): Promise<number> {
  const channel = await broker!.createChannel();
  try {
    let dead = 0;
    for (const queue of queues.values()) dead += (await channel.checkQueue(`${queue}.dead`)).messageCount;
    return dead;
  } finally {
    await channel.close();
  }
}

function routeFigures(stats: Stats) {
  return Object.fromEntries(
    (Object.keys(ROUTES) as Route[])
      .filter((route) => stats.routes.has(route))
      .map((route) => {
        const h = stats.routes.get(route)!;
        const errors = [...stats.errors]
          .filter(([key]) => key.startsWith(`${route} → `))
          .reduce((n, [, c]) => n + c, 0);
        const at = (p: number) => ms(h.getValueAtPercentile(p));
        return [
          route,
          {
            requests: h.totalCount,
            errors,
            p50Ms: at(50),
            p90Ms: at(90),
            p99Ms: at(99),
            maxMs: ms(h.maxValue),
          },
        ];
      }),
  );
}

function actionFigures(stats: Stats) {
  return Object.fromEntries(
    (Object.keys(MIX) as ActionName[])
      .filter((name) => stats.actions.has(name))
      .map((name) => {
        const { latency, failed } = stats.actions.get(name)!;
        return [
          name,
          {
            done: latency.totalCount,
            failed,
            p50Ms: ms(latency.getValueAtPercentile(50)),
            p99Ms: ms(latency.getValueAtPercentile(99)),
          },
        ];
      }),
  );
}

interface RssFigures {
  idleMiB: number;
  startMiB: number;
  endMiB: number;
  maxMiB: number;
  slopeMiBPerMinute: number;
  /** The stretch of the run the slope was fitted over, in seconds. */
  fitSeconds: [number, number];
  /** Highest reading in the first and in the last minute of that stretch. */
  peaksMiB: [number, number];
  /**
   * `met`: the line does not grow. A heap's sawtooth can tilt a few minutes' line on its own,
   * so when it does grow the peaks say more: a leak keeps setting new highs, a sawtooth does not.
   */
  verdict: 'met' | 'not met' | 'slope above, peak not growing';
}

function rssFigures(samples: readonly RssSample[], idle: Record<Role, number>): Record<Role, RssFigures> {
  const end = samples.at(-1)!.t;
  const fitFrom = Math.min(SETTLE_SECONDS, end / 5);
  const figures = {} as Record<Role, RssFigures>;
  for (const role of PROCESS_ROLES) {
    const series = samples.map((s) => [s.t, s.rss[role]] as const);
    const fitted = series.filter(([t]) => t >= fitFrom);
    const slope = slopePerMinute(fitted);
    const peak = (from: number, to: number) =>
      Math.max(...fitted.filter(([t]) => t >= from && t <= to).map(([, y]) => y));
    const peaks: [number, number] = [
      peak(fitFrom, fitFrom + PEAK_WINDOW_SECONDS),
      peak(end - PEAK_WINDOW_SECONDS, end),
    ];
    figures[role] = {
      idleMiB: idle[role],
      startMiB: series[0]![1],
      endMiB: series.at(-1)![1],
      maxMiB: Math.max(...series.map(([, y]) => y)),
      slopeMiBPerMinute: round(slope, 2),
      fitSeconds: [round(fitFrom, 1), end],
      peaksMiB: peaks,
      verdict:
        slope <= FLAT_MIB_PER_MINUTE
          ? 'met'
          : peaks[1] <= peaks[0]
            ? 'slope above, peak not growing'
            : 'not met',
    };
  }
  return figures;
}

const verdict = (ok: boolean) => (ok ? 'met' : 'not met');

type Report = ReturnType<typeof buildReport>;

/** The headline figures, each against its target where the issue sets one. */
function headlineRows(report: Report): string[][] {
  const { load: l, errors, rss: memory, queues, server, cpu } = report;
  const serverErrors = Object.entries(errors.byRouteAndOutcome)
    .filter(([key]) => / → 5\d\d$/.test(key))
    .reduce((n, [, count]) => n + count, 0);
  const lag = server.fanoutLag;
  const ready = server.completeToReady;
  return [
    [
      'errors (any answer but the success status)',
      `${errors.total} of ${fmt(l.httpRequests)} requests (${serverErrors} of them 5xx)`,
      '0',
      verdict(errors.total === 0),
    ],
    [
      'rate',
      `${l.achievedActionsPerSecond} actions/s, ${l.httpRequestsPerSecond} req/s; generator late p99 ${l.generatorLatenessMs.p99} ms`,
      `${l.rate} actions/s`,
      verdict(l.achievedActionsPerSecond >= 0.99 * l.rate),
    ],
    ...PROCESS_ROLES.map((role) => {
      const rss = memory[role];
      const perRequest = (rss.slopeMiBPerMinute * 2 ** 20) / 60 / l.httpRequestsPerSecond;
      return [
        `${role} RSS`,
        `${rss.startMiB} → ${rss.endMiB} MiB (max ${rss.maxMiB}); after ${rss.fitSeconds[0]} s: slope ${rss.slopeMiBPerMinute} MiB/min (${fmt(perRequest)} B per request), peak of the first → last minute ${rss.peaksMiB[0]} → ${rss.peaksMiB[1]} MiB`,
        `flat: slope ≤ ${FLAT_MIB_PER_MINUTE} MiB/min`,
        rss.verdict,
      ];
    }),
    [
      `job queue depth (ready messages, every ${QUEUE_EVERY_S} s)`,
      `max ${queues.maxReady}, at the end ${queues.endReady}; empty ${queues.drainSeconds ?? '(timed out)'} s after the schedule ended`,
      '',
      '',
    ],
    [
      'jobs retried / dead-lettered',
      `${server.jobs.retry} / ${server.jobs.dead} (${queues.deadLettered} messages in dead-letter queues)`,
      '0',
      verdict(server.jobs.retry + server.jobs.dead + queues.deadLettered === 0),
    ],
    [
      'fan-out lag (worker histogram)',
      `p50 ${lag.p50Ms} ms, p99 ${lag.p99Ms} ms (${lag.count} posts)`,
      '',
      '',
    ],
    [
      'photo complete → ready (worker histogram)',
      `p50 ${ready.p50Ms} ms, p99 ${ready.p99Ms} ms (${ready.count})`,
      '',
      '',
    ],
    [
      'CPU ms per action',
      `${Object.entries(cpu.msPerAction)
        .map(([who, n]) => `${who} ${n}`)
        .join(', ')}: the cores would be full at ~${fmt(cpu.ceilingActionsPerSecond)} actions/s`,
      '',
      '',
    ],
    [
      'cores busy (the whole machine: other benchmarks too)',
      `${cpu.cores.machine} of ${report.machine.cpus}`,
      '',
      '',
    ],
  ];
}

function markdown(report: Report): string {
  const routes = Object.entries(report.routes).map(([route, r]) => [
    route,
    r.requests,
    r.p50Ms,
    r.p99Ms,
    r.maxMs,
    r.errors,
  ]);
  const errors = Object.entries(report.errors.byRouteAndOutcome).map(([what, n]) => [what, n]);
  return [
    `### mixed: ${fmt(report.graph.users)} users, ${report.load.rate} actions/s for ${report.load.durationSeconds} s (${report.objectStore})`,
    markdownTable(['figure', 'value', 'target', ''], headlineRows(report)),
    markdownTable(['route', 'requests', 'p50 ms', 'p99 ms', 'max ms', 'errors'], routes),
    ...(errors.length > 0 ? [markdownTable(['error (route → status)', 'count'], errors)] : []),
  ].join('\n\n');
}

interface Measured {
  stats: Stats;
  warmup: Stats;
  sampling: Sampling;
  idle: Record<Role, number>;
  cpuCores: Record<string, number>;
  wallSeconds: number;
  drainSeconds: number | null;
  settled: boolean;
  deadLettered: number;
  before: Record<Role, Scrape>;
  after: Record<Role, Scrape>;
}

/** What the serve process logged for a few 5xx answers (their bodies name the request id). */
function serverLogOf(samples: Stats['errorSamples']): string[] {
  const ids = [...samples]
    .filter(([key]) => / → 5\d\d$/.test(key))
    .flatMap(([, bodies]) => bodies.flatMap((body) => /"requestId":"([^"]+)"/.exec(body)?.[1] ?? []))
    .slice(0, 5);
  const output = servers.get('serve')?.output() ?? '';
  return output
    .split('\n')
    .filter((line) => ids.some((id) => line.includes(id)))
    .map((line) => line.slice(0, 4_000));
}

/**
 * Cores each process used, the CPU milliseconds that makes per action, and the rate at which
 * this run's processes would fill every core at that cost. Rough both ways: Redis and RabbitMQ
 * are shared with other clients, so not counted; the processes' idle work (timers, polling) is,
 * and at a low rate it weighs on each action.
 */
function cpuFigures(cores: Record<string, number>, actionsPerSecond: number, cpus: number) {
  const ours = Object.entries(cores).filter(([who]) => who !== 'machine');
  const msPerAction = Object.fromEntries(
    ours.map(([who, n]) => [who, round((n * 1000) / actionsPerSecond, 2)]),
  );
  const total = ours.reduce((sum, [, n]) => sum + n, 0);
  return {
    /** Over the measured run; `machine` is every process on it, other benchmarks' included. */
    cores,
    msPerAction,
    ceilingActionsPerSecond: Math.round((cpus * actionsPerSecond) / total),
  };
}

type MachineInfo = Awaited<ReturnType<typeof machineInfo>>;

function buildReport(info: MachineInfo, seed: SeedManifest, m: Measured) {
  const { stats } = m;
  const actions = [...stats.actions.values()].reduce((n, a) => n + a.latency.totalCount + a.failed, 0);
  const rss = rssFigures(m.sampling.rss, m.idle);
  return {
    scenario: 'mixed',
    date: new Date().toISOString(),
    machine: { ...info, loadAverageAtEnd: load() },
    objectStore: USE_S3 ? 'Ceph RGW (S3)' : 'local disk',
    graph: {
      users: seed.users,
      avgFollows: AVG_FOLLOWS,
      follows: seed.follows,
      posts: seed.posts,
      activeUsers: seed.activeUsers,
      celebrityFollowers: seed.celebrityFollowers,
      pullAuthors: seed.pullAuthors,
      topFollowerCounts: seed.topFollowerCounts,
      seedSeconds: seed.seconds.total,
    },
    load: {
      rate: RATE,
      durationSeconds: DURATION,
      warmupSeconds: WARMUP,
      seed: SEED,
      mixPer100: MIX,
      actions,
      achievedActionsPerSecond: round(actions / m.wallSeconds, 1),
      httpRequests: stats.requests,
      httpRequestsPerSecond: round(stats.requests / m.wallSeconds, 1),
      generatorLatenessMs: {
        p99: ms(stats.lateness.getValueAtPercentile(99)),
        max: ms(stats.lateness.maxValue),
      },
      allActionsFinished: m.settled,
    },
    errors: {
      total: stats.errorCount,
      target: 0,
      byRouteAndOutcome: Object.fromEntries(stats.errors),
      samples: Object.fromEntries(stats.errorSamples),
      clientFailures: stats.clientFailures.slice(0, 10),
      serverLog: serverLogOf(stats.errorSamples),
      duringWarmup: m.warmup.errorCount,
    },
    routes: routeFigures(stats),
    actions: actionFigures(stats),
    mediaReadySeenByClientMs: {
      pollMs: MEDIA_POLL_MS,
      p50: ms(stats.readySeen.getValueAtPercentile(50)),
      p99: ms(stats.readySeen.getValueAtPercentile(99)),
    },
    rss,
    cpu: cpuFigures(m.cpuCores, actions / m.wallSeconds, info.cpus),
    queues: {
      sampleEverySeconds: QUEUE_EVERY_S,
      maxReady: Math.max(...m.sampling.depth.map((d) => d.ready)),
      endReady: m.sampling.depth.at(-1)?.ready ?? 0,
      maxReadyPerQueue: Object.fromEntries([...m.sampling.maxPerQueue].filter(([, n]) => n > 0)),
      drainSeconds: m.drainSeconds,
      deadLettered: m.deadLettered,
      samples: m.sampling.depth,
    },
    server: {
      fanoutLag: histogramBetween(m.before.worker, m.after.worker, 'glimpse_feed_fanout_lag_seconds'),
      completeToReady: histogramBetween(
        m.before.worker,
        m.after.worker,
        'glimpse_media_complete_to_ready_seconds',
      ),
      jobs: jobOutcomes(m.before.worker, m.after.worker),
      feedFallbacks: sumOf(m.before.serve, m.after.serve, 'glimpse_feed_timeline_fallbacks_total'),
      dependencyFallbacks: sumOf(m.before.serve, m.after.serve, 'glimpse_dependency_fallbacks_total'),
    },
    rssSamples: m.sampling.rss,
    timeline: m.sampling.timeline,
    runSeconds: round(seconds(started), 1),
  };
}

async function warmUp(driver: Driver): Promise<Stats> {
  say(`warm-up: ${WARMUP / 2} s climbing to ${RATE} actions/s, ${WARMUP / 2} s at it (not counted)`);
  const warmup = new Stats();
  // From cold (JIT, pools, caches) straight to full rate would start the run behind a backlog;
  // the steady half lets the heaps grow to their working size before RSS is judged.
  await drive(driver, warmup, WARMUP / 2, true);
  await drive(driver, warmup, WARMUP / 2);
  await settle(driver.inFlight, DRAIN_TIMEOUT_MS);
  say(`  warm-up done: ${fmt(warmup.requests)} requests, ${warmup.errorCount} errors`);
  return warmup;
}

async function measure(driver: Driver, queues: ReadonlyMap<string, string>): Promise<Measured> {
  const idle = {} as Record<Role, number>;
  for (const [role, p] of servers) idle[role] = round(await rssMiB(p.proc.pid!), 1);
  const warmup = await warmUp(driver);
  const databaseName = new URL(database!.url).pathname.slice(1);
  const before = await scrapeAll();
  const cpu0 = await cpuReadings(databaseName);
  say(`measuring: ${DURATION} s at ${RATE} actions/s`);
  const stats = new Stats();
  const { sampling, stop } = await startSampling(stats, queues);
  const from = performance.now();
  await drive(driver, stats, DURATION);
  const wallSeconds = seconds(from);
  await stop();
  const cpuCores = coresUsed(cpu0, await cpuReadings(databaseName), wallSeconds);
  say(`schedule done; waiting for ${driver.inFlight.size} action(s) in flight and the job queues`);
  const drainFrom = performance.now();
  const settled = await settle(driver.inFlight, DRAIN_TIMEOUT_MS);
  const drained = await queuesDrained(queues, DRAIN_TIMEOUT_MS);
  const drainSeconds = drained ? round(seconds(drainFrom), 1) : null;
  await sleep(1_000); // jobs taken but not yet acknowledged
  return {
    stats,
    warmup,
    sampling,
    idle,
    cpuCores,
    wallSeconds,
    drainSeconds,
    settled,
    deadLettered: await deadLettered(queues),
    before,
    after: await scrapeAll(),
  };
}

async function scrapeAll(): Promise<Record<Role, Scrape>> {
  const out = {} as Record<Role, Scrape>;
  for (const [role, p] of servers) out[role] = await scrape(p);
  return out;
}

function rssChart(samples: readonly RssSample[]): string {
  return lineChart({
    title: `RSS per process under the mixed load (${RATE} actions/s, ${fmt(USERS)} users)`,
    xLabel: 'seconds into the measured run',
    yLabel: 'RSS (MiB)',
    series: PROCESS_ROLES.map((role) => ({
      name: role,
      points: samples.map((s): [number, number] => [s.t, s.rss[role]]),
    })),
  });
}

/** The database, seeded; the three server processes; the broker; the load's driver. */
async function setUp(): Promise<{ manifest: SeedManifest; queues: Map<string, string>; driver: Driver }> {
  await requireServices();
  database = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'glimpse-bench-mixed-'));
  if (USE_S3) bucket = newBucket();

  say('seeding the graph');
  const env = serverEnv();
  const manifest = await seedGraph(
    env,
    {
      ...DEFAULT_OPTIONS,
      users: USERS,
      avgFollows: AVG_FOLLOWS,
      celebrities: 3,
      postsPerUser: 5,
      activeShare: 0.3,
      seed: SEED,
    },
    say,
  );

  say('starting serve, worker and relay');
  // The threshold that puts exactly the seeded celebrities in pull mode.
  const serversEnv = { ...env, CELEBRITY_FOLLOWERS: String(manifest.celebrityFollowers) };
  // allSettled: every process that did start is registered (and so stopped) before a failure throws.
  const starts = await Promise.allSettled(
    PROCESS_ROLES.map(async (role) => servers.set(role, await startServer(role, serversEnv))),
  );
  const failed = starts.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  broker = await amqpConnect(AMQP_URL);
  const names = rabbitMqNames(
    QUEUE_PREFIX,
    topologyOf(jobs),
    retryDelays(DEFAULT_RABBITMQ_OPTIONS.retryBaseMs, DEFAULT_RABBITMQ_OPTIONS.maxRetryDelayMs),
  );
  const queues = new Map([...names.queues].map(([job, q]) => [job, q.work]));

  const db = new pg.Client(database.url);
  await db.connect();
  const world = await loadWorld(db).finally(() => db.end());
  say(
    `  ${fmt(world.readers.length)} active readers, ${fmt(world.posts.length)} public posts, ${fmt(world.people.length)} public accounts`,
  );

  const driver: Driver = {
    base: `${servers.get('serve')!.url}/api/v1`,
    next: planner(world, await readFile(PHOTO), SEED),
    tokenOf: tokenSource(JWT_SECRET),
    inFlight: new Set(),
  };
  return { manifest, queues, driver };
}

try {
  const loadAtStart = load();
  say(
    `mixed benchmark: ${fmt(USERS)} users, ${AVG_FOLLOWS} average follows; ${RATE} actions/s for ${DURATION} s after ${WARMUP} s of warm-up; object store ${USE_S3 ? 'S3' : 'local disk'}; load average ${loadAtStart.join(' ')}`,
  );
  const { manifest, queues, driver } = await setUp();
  const measured = await measure(driver, queues);
  const info = await machineInfo({ loadAverageAtStart: loadAtStart });
  const report = buildReport(info, manifest, measured);
  await writeResults('mixed', report);
  const summary = markdown(report);
  await writeReport('mixed', summary);
  await writeChart('mixed', rssChart(measured.sampling.rss));
  console.log(
    `results: bench/results/mixed.json, bench/results/mixed.md, bench/mixed.svg (${report.runSeconds} s in all)`,
  );
} catch (err) {
  // After Ctrl-C the run fails because its servers are gone: nothing worth printing.
  if (!signals.interrupted) {
    console.error(err);
    for (const [role, p] of servers) {
      const output = p.output().trim();
      if (output) console.error(`\n--- ${role} output, last 3000 characters ---\n${output.slice(-3000)}`);
    }
  }
  process.exitCode = 1;
} finally {
  await cleanup();
}

/**
 * Benchmark: what a timeline costs in Redis, with the packed-ids layout (docs/timelines.md)
 * against the sorted-set layouts it replaced, on the same data in the same run.
 *   1. Bytes per entry: TIMELINES lists of ENTRIES realistic ids, `MEMORY USAGE key SAMPLES 0`
 *      summed over the keys; for packed strings (filled through the adapter, again after the
 *      pushes below, and after a bare APPEND, which the push script compacts), a sorted set
 *      with score 0 and zero-padded members (the previous adapter) and one with
 *      score = member = id (Mastodon's layout).
 *   2. Fan-out pushes through the adapter: batches of 1,000 lists, one new id each, several
 *      batches in flight, against `redis-benchmark` ZADD with 16-deep pipelines (a raw
 *      one-member insert ceiling) run against the same server straight after; both also as
 *      server microseconds per insert (INFO commandstats). Then out-of-order inserts.
 * Usage: npm run bench -- timeline-memory [--timelines 10000] [--entries 800] [--pushes 1000000]
 * Uses REDIS_URL (default redis://127.0.0.1:6379) and deletes every key it wrote.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { redisKeys } from '../apps/server/src/adapters/redis/keys.js';
import { createRedisClient, waitUntilReady } from '../apps/server/src/adapters/redis/redis-client.js';
import { RedisTimelineStore, TRIM_SLACK } from '../apps/server/src/adapters/redis/redis-timeline-store.js';
import { ID_EPOCH_MS, SEQUENCE_BITS, SHARD_BITS, SHARD_COUNT } from '../apps/server/src/lib/ids.js';
import { arg, machine, writeResults } from './common.js';

const TIMELINES = arg('timelines', 10_000);
const ENTRIES = arg('entries', 800);
const PUSHES = arg('pushes', 1_000_000);
const CAP = ENTRIES;
const FANOUT = 1_000; // followers per post: lists per push call
const IN_FLIGHT = 8; // push calls outstanding at once, as a few fan-out workers would keep
const SPLICES = 100_000; // out-of-order inserts, timed separately: they rewrite the string
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `bench_tm_${process.pid}_${randomBytes(3).toString('hex')}:`;
const run = promisify(execFile);
const START_MS = Date.now() - 30 * 86_400_000;

/** A small seeded PRNG, so that every layout is filled with exactly the same ids. */
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Ids as the database mints them (src/lib/ids.ts), a post every 1-3 ms on random shards,
 * starting a month ago: each timeline is the next ENTRIES ids of this stream, and the pushes
 * continue it, so they are newer than everything stored (the fan-out case).
 */
function idStream(seed: number) {
  const random = mulberry32(seed);
  let ms = BigInt(START_MS - ID_EPOCH_MS);
  let sequence = 0n;
  return () => {
    ms += BigInt(1 + Math.floor(random() * 3));
    sequence = (sequence + 1n) & ((1n << BigInt(SEQUENCE_BITS)) - 1n);
    const shard = BigInt(Math.floor(random() * SHARD_COUNT));
    return (
      (ms << BigInt(SHARD_BITS + SEQUENCE_BITS)) |
      (shard << BigInt(SEQUENCE_BITS)) |
      sequence
    ).toString();
  };
}

const timelineIds = Array.from({ length: TIMELINES }, (_, i) => `u${i}`);

/** Calls `work` for every timeline, `concurrency` at a time; the list's ids come from one stream. */
async function fill(work: (timelineId: string, ids: string[]) => Promise<unknown>, concurrency = 100) {
  const next = idStream(42);
  for (let at = 0; at < TIMELINES; at += concurrency) {
    await Promise.all(
      timelineIds.slice(at, at + concurrency).map((t) =>
        work(
          t,
          Array.from({ length: ENTRIES }, () => next()),
        ),
      ),
    );
  }
  return next;
}

async function inChunks<T>(keys: string[], work: (key: string) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let at = 0; at < keys.length; at += 1_000)
    out.push(...(await Promise.all(keys.slice(at, at + 1_000).map(work))));
  return out;
}

const raw = new Redis(REDIS_URL, { enableAutoPipelining: true });
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const memoryOf = async (keys: string[]) =>
  sum(await inChunks(keys, async (k) => Number(await raw.memory('USAGE', k, 'SAMPLES', 0))));
const unlink = (keys: string[]) => inChunks(keys, (k) => raw.unlink(k));
/**
 * Microseconds the server has spent in one command, from INFO: the server's share of a cost,
 * which the client's CPU (on the same small machine) does not blur. Other clients of a shared
 * server add a little noise.
 */
async function serverMicros(command: string) {
  const line = (await raw.info('commandstats')).split('\n').find((l) => l.startsWith(`cmdstat_${command}:`));
  return line ? Number(/usec=(\d+)/.exec(line)![1]) : 0;
}

/** redis-benchmark's ZADD rate: one random member into one sorted set, 16 per round trip. */
async function redisBenchmarkZadd() {
  const args = ['-u', REDIS_URL, '-P', '16', '-n', '1000000', '-r', '100000', '-q'];
  const command = ['zadd', `${PREFIX}zb`, '__rand_int__', '__rand_int__'];
  const { stdout } = await run('/usr/bin/redis-benchmark', [...args, ...command], { maxBuffer: 1 << 24 });
  const rates = [...stdout.matchAll(/([\d.]+) requests per second/g)];
  if (rates.length === 0) throw new Error(`no rate in redis-benchmark output: ${stdout}`);
  return {
    command: `redis-benchmark ${[...args.slice(2), ...command].join(' ')}`,
    opsPerSecond: Number(rates.at(-1)![1]),
  };
}

const client = createRedisClient({ kind: 'single', url: REDIS_URL, keyPrefix: PREFIX });
await waitUntilReady(client, 5_000);
const store = new RedisTimelineStore(client, redisKeys.homeTimeline);
const packedKeys = timelineIds.map((t) => PREFIX + redisKeys.homeTimeline(t));
const entries = TIMELINES * ENTRIES;
try {
  const redisVersion = /redis_version:(\S+)/.exec(await raw.info('server'))![1];

  // 1. Packed strings, filled by the adapter (one `add` per list, as a rebuild does).
  let started = performance.now();
  const next = await fill((t, ids) => store.completeRebuild(t, ids, CAP));
  const packedFillSeconds = (performance.now() - started) / 1000;
  const packed = (await memoryOf(packedKeys)) / entries;

  // What a bare APPEND does to a list just written by SET (as `add` writes it): the greedy
  // allocation that the push script compacts away.
  const bare = packedKeys.slice(0, 1_000).map((k) => `${k}:bare`);
  await inChunks(bare, async (k) => raw.set(k, (await raw.getBuffer(k.slice(0, -5)))!));
  await inChunks(bare, (k) => raw.append(k, Buffer.alloc(8, 0xff)));
  const packedAfterBareAppend = (await memoryOf(bare)) / (bare.length * (ENTRIES + 1));
  await unlink(bare);

  // 2. Fan-out pushes: each "post" goes to FANOUT consecutive lists, all of them get 100-odd
  // pushes, so every list crosses cap + TRIM_SLACK once and the trims are in the timing.
  const rounds = Math.ceil(PUSHES / FANOUT);
  const pushMicros = await serverMicros('evalsha');
  started = performance.now();
  for (let r = 0; r < rounds; r += IN_FLIGHT) {
    const calls = [];
    for (let k = r; k < Math.min(rounds, r + IN_FLIGHT); k++) {
      const postId = next();
      const first = (k * FANOUT) % TIMELINES;
      const lists = timelineIds.slice(first, first + FANOUT);
      calls.push(
        store.push(
          lists.map((timelineId) => ({ timelineId, postId })),
          CAP,
        ),
      );
    }
    await Promise.all(calls);
  }
  const pushSeconds = (performance.now() - started) / 1000;
  const serverMicrosPerInsert = ((await serverMicros('evalsha')) - pushMicros) / (rounds * FANOUT);
  // The ceiling, straight after, so that both see the same machine.
  const zaddMicros = await serverMicros('zadd');
  const benchmark = await redisBenchmarkZadd();
  const serverMicrosPerZadd = ((await serverMicros('zadd')) - zaddMicros) / 1_000_000;

  // Out of order: an id just below each list's newest, spliced in rather than appended.
  const newest = new Map(
    [...(await store.rangeMany(timelineIds, { limit: 1 }))].map(([t, page]) => [t, BigInt(page![0]!)]),
  );
  started = performance.now();
  for (let r = 0; r < SPLICES / FANOUT; r++) {
    const first = (r * FANOUT) % TIMELINES;
    const lists = timelineIds.slice(first, first + FANOUT);
    await store.push(
      lists.map((timelineId) => ({ timelineId, postId: String(newest.get(timelineId)! - BigInt(r + 1)) })),
      CAP,
    );
  }
  const spliceSeconds = (performance.now() - started) / 1000;
  const heldAfter = sum(await inChunks(packedKeys, (k) => raw.strlen(k))) / 8;
  const packedAfterPushes = (await memoryOf(packedKeys)) / heldAfter;
  await unlink(packedKeys);

  // 3. Sorted sets with the same ids.
  const zsetKeys = timelineIds.map((t) => `${PREFIX}z:${t}`);
  const zsetLayout = async (members: (id: string) => [string, string]) => {
    const fillStarted = performance.now();
    await fill((t, ids) => raw.zadd(`${PREFIX}z:${t}`, ...ids.flatMap(members)));
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    const bytes = (await memoryOf(zsetKeys)) / entries;
    await unlink(zsetKeys);
    return { bytes, fillSeconds };
  };
  const score0 = await zsetLayout((id) => ['0', id.padStart(19, '0')]);
  const scoreId = await zsetLayout((id) => [id, id]);

  const insertsPerSecond = (rounds * FANOUT) / pushSeconds;

  const round = (n: number, digits = 1) => +n.toFixed(digits);
  const report = {
    scenario: 'timeline-memory',
    date: new Date().toISOString(),
    machine: machine({
      redis: redisVersion,
    }),
    timelines: TIMELINES,
    entriesPerTimeline: ENTRIES,
    cap: CAP,
    trimSlack: TRIM_SLACK,
    sampleId: next(),
    bytesPerEntry: {
      packed: round(packed, 2),
      packedAfterPushes: round(packedAfterPushes, 2),
      packedAfterBareAppend: round(packedAfterBareAppend, 2),
      sortedSetScore0: round(score0.bytes),
      sortedSetScoreId: round(scoreId.bytes),
    },
    sortedSetScore0VsPacked: round(score0.bytes / packed),
    sortedSetScoreIdVsPacked: round(scoreId.bytes / packed),
    fillSeconds: {
      packedAdd: round(packedFillSeconds),
      sortedSetScore0: round(score0.fillSeconds),
      sortedSetScoreId: round(scoreId.fillSeconds),
    },
    fanOut: {
      inserts: rounds * FANOUT,
      listsPerCall: FANOUT,
      callsInFlight: IN_FLIGHT,
      insertsPerSecond: Math.round(insertsPerSecond),
      splicedInsertsPerSecond: Math.round(SPLICES / spliceSeconds),
      serverMicrosPerInsert: round(serverMicrosPerInsert, 2),
    },
    redisBenchmarkZadd: {
      command: benchmark.command,
      opsPerSecond: Math.round(benchmark.opsPerSecond),
      serverMicrosPerZadd: round(serverMicrosPerZadd, 2),
    },
    pushVsRedisBenchmarkZadd: round(insertsPerSecond / benchmark.opsPerSecond, 2),
    serverCostPushVsZadd: round(serverMicrosPerInsert / serverMicrosPerZadd, 2),
  };
  await writeResults('timeline-memory', report);
  console.log(JSON.stringify(report, null, 2));
} finally {
  const leftovers: string[] = [];
  let cursor = '0';
  do {
    const [nextCursor, keys] = await raw.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    cursor = nextCursor;
    leftovers.push(...keys);
  } while (cursor !== '0');
  await unlink(leftovers);
  client.disconnect();
  raw.disconnect();
}

/**
 * Benchmark: the media pipeline.
 *   1. Per-core throughput of the full pipeline on a 12-megapixel JPEG (decode, orient, sRGB,
 *      4 WebP renditions, BlurHash, dominant colour, difference hash), against vipsthumbnail
 *      (libvips' own CLI) making the same four renditions, in the same run, on one thread each.
 *   2. Complete → ready latency with 10 concurrent uploaders, through a real server.
 *   3. Memory: the API's RSS while a 50 MiB upload streams through the embedded upload URL,
 *      and a worker process's RSS while it processes 12 MP photos at its default concurrency.
 * Usage: npm run bench -- media [--images 20] [--uploads 50]
 * Needs vipsthumbnail (Debian's libvips-tools); the services shape runs when PostgreSQL, Redis,
 * RabbitMQ and S3 answer (TEST_* variables as in the tests). Writes bench/results/media.json,
 * bench/results/media.md and bench/media-latency.svg; removes its processes, database, keys,
 * queues, bucket and files, also on failure and Ctrl-C.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { DEFAULT_RABBITMQ_OPTIONS } from '../apps/server/src/adapters/rabbitmq/rabbitmq-queue.js';
import { rabbitMqNames, retryDelays } from '../apps/server/src/adapters/rabbitmq/rabbitmq-topology.js';
import { SharpImageCodec } from '../apps/server/src/adapters/sharp/sharp-codec.js';
import { jobs, topologyOf } from '../apps/server/src/jobs/catalogue.js';
import { deleteEverything } from '../apps/server/test/support/rabbitmq.js';
import { dropBucket, newBucket } from '../apps/server/test/support/s3.js';
import { startServer, type ServerProcess } from '../apps/server/test/support/process.js';
import {
  AMQP_URL,
  createTestDatabase,
  postgresAvailable,
  rabbitmqAvailable,
  REDIS_URL,
  redisAvailable,
  s3Available,
  TEST_S3,
  testKeyPrefix,
  uniqueName,
} from '../apps/server/test/support/services.js';
import { lineChart, writeChart } from './chart.js';
import {
  arg,
  attempt,
  cleanUpOnSignals,
  commandLine,
  describeMachine,
  formatNumber,
  machineInfo,
  markdownTable,
  writeReport,
  writeResults,
} from './common.js';

const IMAGES = arg('images', 20);
const UPLOADS = arg('uploads', 50);
const CONCURRENT_UPLOADERS = 10;
const run = promisify(execFile);
const CORPUS = '/work/shared/corpus';
/** The points of the latency chart, from the worker's histogram. */
const PERCENTILES = [10, 25, 50, 75, 90, 95, 99] as const;
type Percentiles = Record<`p${(typeof PERCENTILES)[number]}`, number>;
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

/** A 4000x3000 (12 MP) photo-like JPEG: real photos tiled and blended, so it has a photo's entropy. */
async function twelveMegapixelJpeg(): Promise<Buffer> {
  const sources = ['exif-orientation/Landscape_1.jpg', 'formats/valid_jpg_large.jpg'];
  const tiles = await Promise.all(
    Array.from({ length: 9 }, (_, i) =>
      sharp(`${CORPUS}/${sources[i % 2]}`)
        .autoOrient()
        .resize(1334, 1000, { fit: 'cover' })
        .modulate({ hue: i * 40 })
        .toBuffer(),
    ),
  );
  return sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#808080' } })
    .composite(tiles.map((input, i) => ({ input, left: (i % 3) * 1333, top: Math.floor(i / 3) * 1000 })))
    .jpeg({ quality: 90, chromaSubsampling: '4:2:0' })
    .toBuffer();
}

/** CPU seconds this process, and the children it has waited for, have used (Linux /proc). */
async function cpuSeconds(): Promise<{ self: number; children: number }> {
  const fields = (await readFile('/proc/self/stat', 'utf8')).split(') ')[1]!.split(' ');
  const ticks = 100; // USER_HZ
  const field = (n: number) => Number(fields[n - 3]);
  return { self: (field(14) + field(15)) / ticks, children: (field(16) + field(17)) / ticks };
}

/**
 * Per core = images per CPU-second: the pipeline runs its four encodes on libuv's threads at
 * once, so its wall time on two cores would flatter it.
 */
async function pipelineThroughput(photo: Buffer) {
  sharp.concurrency(1);
  const codec = new SharpImageCodec();
  await codec.process(photo, 'jpeg'); // warm-up
  const before = await cpuSeconds();
  const started = performance.now();
  for (let i = 0; i < IMAGES; i++) await codec.process(photo, 'jpeg');
  const wall = (performance.now() - started) / 1000;
  const cpu = (await cpuSeconds()).self - before.self;
  await codec.close();
  sharp.concurrency(0);
  return {
    perCorePerSecond: IMAGES / cpu,
    wallPerSecond: IMAGES / wall,
    cpuMsPerImage: (cpu / IMAGES) * 1000,
  };
}

async function vipsthumbnailThroughput(photo: Buffer, dir: string) {
  const inputs = Array.from({ length: IMAGES }, (_, i) => join(dir, `in-${i}.jpg`));
  await Promise.all(inputs.map((f) => writeFile(f, photo)));
  // The same four renditions, same WebP settings, metadata stripped, one thread; one process
  // per size over all the files, so process start-up is amortised.
  const runs: [string, string[]][] = [
    ['1080x', []],
    ['640x', []],
    ['320x', []],
    ['150x150', ['--smartcrop', 'centre']],
  ];
  const before = await cpuSeconds();
  for (const [size, extra] of runs) {
    const output = `%s-${size}.webp[Q=80,effort=2,strip]`;
    await run('vipsthumbnail', ['--vips-concurrency=1', '-s', size, ...extra, '-o', output, ...inputs]);
  }
  const cpu = (await cpuSeconds()).children - before.children;
  return { perCorePerSecond: IMAGES / cpu, cpuMsPerImage: (cpu / IMAGES) * 1000 };
}

type Buckets = { le: number; count: number }[];

async function histogram(server: ServerProcess, name: string): Promise<Buckets> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}_bucket{`))
    .map((l) => ({
      le: Number(/le="([^"]+)"/.exec(l)![1]!.replace('+Inf', 'Infinity')),
      count: Number(l.split(' ')[1]),
    }))
    .sort((a, b) => a.le - b.le);
}

/** A percentile of the observations between two snapshots, interpolated within its bucket. */
function percentileBetween(before: Buckets, after: Buckets, p: number): number {
  const counts = after.map((b, i) => ({ le: b.le, count: b.count - (before[i]?.count ?? 0) }));
  const rank = (p / 100) * counts.at(-1)!.count;
  let previous = { le: 0, count: 0 };
  for (const bucket of counts) {
    if (bucket.count >= rank) {
      const upper = Number.isFinite(bucket.le) ? bucket.le : previous.le * 2;
      const within =
        bucket.count === previous.count ? 0 : (rank - previous.count) / (bucket.count - previous.count);
      return previous.le + within * (upper - previous.le);
    }
    previous = bucket;
  }
  return NaN;
}

async function metric(server: ServerProcess, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

async function register(api: ServerProcess): Promise<string> {
  const response = await fetch(`${api.url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: `bench_${randomBytes(3).toString('hex')}`,
      email: `${randomBytes(4).toString('hex')}@example.com`,
      password: 'benchmark password',
    }),
  });
  return ((await response.json()) as { accessToken: string }).accessToken;
}

interface Uploaded {
  readonly id: string;
}

/** Slot and PUT: the bytes are in the store, ready for `complete`. */
async function uploadBytes(api: ServerProcess, token: string, original: Buffer): Promise<Uploaded> {
  // A few random bytes after the JPEG's end: the same picture, but not an identical re-upload
  // (which would reuse the first one's renditions and measure nothing).
  const photo = Buffer.concat([original, randomBytes(16)]);
  const slot = (await (
    await fetch(`${api.url}/api/v1/media/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ contentType: 'image/jpeg', size: photo.length }),
    })
  ).json()) as { media: { id: string }; upload: { url: string; headers: Record<string, string> } };
  const { 'content-length': _, ...headers } = slot.upload.headers;
  const put = await fetch(slot.upload.url, { method: 'PUT', headers, body: photo });
  if (put.status !== 200) throw new Error(`PUT ${put.status}`);
  return { id: slot.media.id };
}

/** `complete`, then poll until ready: the latency a user feels after pressing "share". */
async function completeAndWait(api: ServerProcess, token: string, media: Uploaded): Promise<number> {
  const auth = { authorization: `Bearer ${token}` };
  const started = performance.now();
  await fetch(`${api.url}/api/v1/media/${media.id}/complete`, { method: 'POST', headers: auth });
  for (;;) {
    const reply = (await (await fetch(`${api.url}/api/v1/media/${media.id}`, { headers: auth })).json()) as {
      status: string;
    };
    if (reply.status === 'ready') return performance.now() - started;
    if (reply.status === 'failed') throw new Error('media failed');
    // Slow polling: the exact latency comes from the worker's histogram, and fast polling
    // would steal the CPU the pipeline is being measured on.
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Bursts of 10 uploads completed at the same moment (10 people pressing "share" together):
 * the bytes go up first, then all ten `complete` calls at once, and each one's time to ready is
 * measured. Returns latency percentiles, throughput within bursts and the worker's peak RSS.
 */
async function latency(api: ServerProcess, worker: ServerProcess, photo: Buffer) {
  const token = await register(api);
  await completeAndWait(api, token, await uploadBytes(api, token, photo)); // warm-up
  let peakWorkerRss = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peakWorkerRss = Math.max(peakWorkerRss, await metric(worker, 'glimpse_process_resident_memory_bytes'));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const latencies: number[] = [];
  let busySeconds = 0;
  const metricName = 'glimpse_media_complete_to_ready_seconds';
  const before = await histogram(worker, metricName);
  for (let burst = 0; burst < Math.ceil(UPLOADS / CONCURRENT_UPLOADERS); burst++) {
    const ready: Uploaded[] = [];
    for (let i = 0; i < CONCURRENT_UPLOADERS; i++) ready.push(await uploadBytes(api, token, photo));
    const started = performance.now();
    latencies.push(...(await Promise.all(ready.map((m) => completeAndWait(api, token, m)))));
    busySeconds += (performance.now() - started) / 1000;
  }
  sampling = false;
  await sampler;
  const after = await histogram(worker, metricName);
  return {
    uploads: latencies.length,
    perSecondInBursts: +(latencies.length / busySeconds).toFixed(2),
    // complete → renditions stored, as the worker timed it (histogram buckets, interpolated)
    percentilesMs: Object.fromEntries(
      PERCENTILES.map((p) => [`p${p}`, Math.round(percentileBetween(before, after, p) * 1000)]),
    ) as Percentiles,
    // the same, as a client polling every 250 ms saw it
    clientP50Ms: Math.round(percentile(latencies, 50)),
    peakWorkerRssMiB: Math.round(peakWorkerRss / 2 ** 20),
  };
}

/** RSS of the API process while one 50 MiB body streams through the embedded upload route. */
async function uploadMemory(api: ServerProcess) {
  const token = await register(api);
  const size = 50 * 1024 * 1024;
  const slot = (await (
    await fetch(`${api.url}/api/v1/media/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ contentType: 'image/jpeg', size }),
    })
  ).json()) as { upload: { url: string; headers: Record<string, string> } };
  const before = await metric(api, 'glimpse_process_resident_memory_bytes');
  let peak = before;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, await metric(api, 'glimpse_process_resident_memory_bytes'));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const chunk = randomBytes(1024 * 1024);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= size) return controller.close();
      sent += chunk.length;
      await new Promise((r) => setTimeout(r, 5)); // a client on a fast link, not loopback speed
      controller.enqueue(chunk);
    },
  });
  const { 'content-length': length, ...headers } = slot.upload.headers;
  const put = await fetch(slot.upload.url, {
    method: 'PUT',
    headers: { ...headers, 'content-length': length! },
    body,
    duplex: 'half',
  } as RequestInit);
  sampling = false;
  await sampler;
  return { status: put.status, rssGrowthMiB: Math.round(((peak - before) / 2 ** 20) * 10) / 10 };
}

interface Run {
  photo: Buffer;
  ours: Awaited<ReturnType<typeof pipelineThroughput>>;
  vips: Awaited<ReturnType<typeof vipsthumbnailThroughput>> & { version: string };
  embedded: Latency;
  services: Latency | null;
  memory: Awaited<ReturnType<typeof uploadMemory>>;
  loadAtStart: number[];
}
type Latency = Awaited<ReturnType<typeof latency>>;

const loadAverage = () => loadavg().map((l) => +l.toFixed(2));

/** What bench/results/media.json holds. */
async function resultsOf(run: Run) {
  const { ours, vips } = run;
  return {
    scenario: 'media',
    date: new Date().toISOString(),
    command: commandLine(),
    // The machine is shared with other work while developing: the load says how much.
    machine: await machineInfo({ loadAverage: { start: run.loadAtStart, end: loadAverage() } }),
    photo: { width: 4000, height: 3000, bytes: run.photo.length },
    images: IMAGES,
    pipeline: {
      perCorePerSecond: +ours.perCorePerSecond.toFixed(2),
      wallPerSecond: +ours.wallPerSecond.toFixed(2),
      cpuMsPerImage: Math.round(ours.cpuMsPerImage),
      sharpLibvips: sharp.versions.vips,
    },
    vipsthumbnail: {
      perCorePerSecond: +vips.perCorePerSecond.toFixed(2),
      cpuMsPerImage: Math.round(vips.cpuMsPerImage),
      version: vips.version,
    },
    pipelineVsVipsthumbnail: +(ours.perCorePerSecond / vips.perCorePerSecond).toFixed(2),
    completeToReady: { embedded: run.embedded, services: run.services },
    uploadMemory: run.memory,
  };
}
type Results = Awaited<ReturnType<typeof resultsOf>>;

/** Each shape's latency figures (null: the services shape did not run) under its report name. */
function shapes(results: Results): [string, Latency | null][] {
  return [
    ['embedded (one process)', results.completeToReady.embedded],
    ['services (serve, relay, worker)', results.completeToReady.services],
  ];
}

const met = (ok: boolean) => (ok ? 'met' : 'not met');

/** The targets (issue 3), each against its figure. */
function targetRows(results: Results): string[][] {
  const { pipeline, pipelineVsVipsthumbnail, uploadMemory } = results;
  const services = results.completeToReady.services;
  return [
    [
      'pipeline ≥ 0.8x vipsthumbnail, per core',
      `${pipelineVsVipsthumbnail}x`,
      met(pipelineVsVipsthumbnail >= 0.8),
    ],
    [
      '≥ 3 photos (all renditions) per core-second',
      `${pipeline.perCorePerSecond}`,
      met(pipeline.perCorePerSecond >= 3),
    ],
    ...shapes(results).flatMap(([name, shape]) =>
      shape
        ? [
            [
              `complete → ready p50 < 1 s, ${name}`,
              `${formatNumber(shape.percentilesMs.p50)} ms`,
              met(shape.percentilesMs.p50 < 1000),
            ],
          ]
        : [],
    ),
    ...(services
      ? [
          [
            'worker RSS < 400 MB, services',
            `${services.peakWorkerRssMiB} MiB`,
            met(services.peakWorkerRssMiB * 2 ** 20 < 400e6),
          ],
        ]
      : []),
    [
      'API RSS growth < 20 MB while a 50 MiB upload streams in',
      `${uploadMemory.rssGrowthMiB} MiB`,
      met(uploadMemory.rssGrowthMiB * 2 ** 20 < 20e6),
    ],
  ];
}

function reportOf(results: Results): string {
  const { machine, photo, pipeline, vipsthumbnail } = results;
  const latencyRows = shapes(results).map(([name, shape]) =>
    shape
      ? [
          name,
          shape.uploads,
          shape.percentilesMs.p50,
          shape.percentilesMs.p90,
          shape.percentilesMs.p99,
          shape.clientP50Ms,
          shape.perSecondInBursts,
          shape.peakWorkerRssMiB,
        ]
      : [`${name}: not run, a service was not reachable`, '', '', '', '', '', '', ''],
  );
  return [
    '# media: the photo pipeline',
    '',
    `\`${results.command}\`, ${results.date}. ${describeMachine(machine)}; load average ${machine.loadAverage.start.join(' ')} at the start, ${machine.loadAverage.end.join(' ')} at the end. The photo: ${photo.width}x${photo.height} JPEG, ${formatNumber(photo.bytes)} bytes.`,
    '',
    `Throughput per core, one libvips thread each, ${results.images} photos:`,
    '',
    markdownTable(
      ['', 'CPU per photo (ms)', 'photos per core-second', 'vs vipsthumbnail'],
      [
        [
          `Glimpse pipeline (sharp, libvips ${pipeline.sharpLibvips})`,
          pipeline.cpuMsPerImage,
          pipeline.perCorePerSecond,
          results.pipelineVsVipsthumbnail,
        ],
        [
          `vipsthumbnail (${vipsthumbnail.version}), 4 renditions`,
          vipsthumbnail.cpuMsPerImage,
          vipsthumbnail.perCorePerSecond,
          1,
        ],
      ],
    ),
    '',
    `Complete → ready in bursts of ${CONCURRENT_UPLOADERS} uploads, as the worker timed it (histogram, interpolated); client p50 as a client polling every 250 ms saw it; peak RSS of the process that runs the worker (embedded: the whole server). Chart: bench/media-latency.svg.`,
    '',
    markdownTable(
      [
        'shape',
        'uploads',
        'p50 (ms)',
        'p90 (ms)',
        'p99 (ms)',
        'client p50 (ms)',
        'photos/s in bursts',
        'peak RSS (MiB)',
      ],
      latencyRows,
    ),
    '',
    markdownTable(['target', 'figure', 'result'], targetRows(results)),
  ].join('\n');
}

function latencyChart(results: Results): string {
  return lineChart({
    title: `media: complete → ready, 12 MP photos in bursts of ${CONCURRENT_UPLOADERS}`,
    xLabel: 'percentile of uploads',
    yLabel: 'complete → ready (ms)',
    series: shapes(results).flatMap(([name, shape]) =>
      shape
        ? [{ name, points: PERCENTILES.map((p): [number, number] => [p, shape.percentilesMs[`p${p}`]]) }]
        : [],
    ),
    targets: [{ y: 1000, label: 'target: p50 < 1 s' }],
  });
}

// ---- everything this run creates, removed in `cleanup` (also on failure and Ctrl-C) ----------

const undo: { what: string; run: () => Promise<unknown> }[] = [];
let cleaned: Promise<void> | null = null;

function cleanup(): Promise<void> {
  cleaned ??= (async () => {
    for (const step of undo.reverse()) await attempt(step.what, step.run);
  })();
  return cleaned;
}

const signals = cleanUpOnSignals(cleanup);

/** Generous: on a busy two-core machine a server's start-up (tsx compiling it) can pass a minute. */
const START_TIMEOUT_MS = 180_000;

/** A server process that cleanup() stops, whatever happens. */
async function started(role: string, env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServer(role, env, START_TIMEOUT_MS);
  undo.push({ what: `stopping ${role}`, run: () => server.stop() });
  return server;
}

/** Promise.all that waits for every promise, so nothing starts after cleanup() has run. */
async function settled<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failure = results.find((r) => r.status === 'rejected');
  if (failure) throw failure.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

async function servicesReachable(): Promise<boolean> {
  return (
    (await postgresAvailable()) &&
    (await redisAvailable()) &&
    (await rabbitmqAvailable()) &&
    (await s3Available())
  );
}

/** API, relay and worker as separate processes on PostgreSQL, Redis, RabbitMQ and S3. */
async function servicesLatency(work: string, photo: Buffer): Promise<Latency> {
  const db = await createTestDatabase();
  undo.push({ what: 'dropping the database', run: () => db.drop() });
  const keys = testKeyPrefix();
  undo.push({ what: 'deleting Redis keys', run: () => keys.clean() });
  const bucket = newBucket();
  // The servers create the bucket; a run stopped before they did has none to drop.
  undo.push({ what: 'dropping the bucket', run: () => dropBucket(bucket).catch(() => {}) });
  const queuePrefix = `${uniqueName('bench')}.`;
  // The processes declare these on the broker; quorum queues left behind cost it dearly.
  const { retryBaseMs, maxRetryDelayMs } = DEFAULT_RABBITMQ_OPTIONS;
  undo.push({
    what: 'deleting queues',
    run: () =>
      deleteEverything([
        rabbitMqNames(queuePrefix, topologyOf(jobs), retryDelays(retryBaseMs, maxRetryDelayMs)),
      ]),
  });
  const env = {
    DATA_DIR: join(work, 'services'),
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    REDIS_URL,
    REDIS_KEY_PREFIX: keys.prefix,
    AMQP_URL,
    AMQP_QUEUE_PREFIX: queuePrefix,
    S3_BUCKET: bucket,
    S3_ENDPOINT: TEST_S3.endpoint,
    S3_REGION: TEST_S3.region,
    S3_ACCESS_KEY_ID: TEST_S3.credentials.accessKeyId,
    S3_SECRET_ACCESS_KEY: TEST_S3.credentials.secretAccessKey,
    JWT_SECRET: randomBytes(32).toString('hex'),
  };
  const api = await started('serve', env);
  const [, worker] = await settled([started('relay', env), started('worker', env)]);
  return latency(api, worker!, photo);
}

// ---- the run --------------------------------------------------------------------------------

const loadAtStart = loadAverage();
try {
  const work = await mkdtemp(join(tmpdir(), 'glimpse-bench-media-'));
  undo.push({ what: 'removing the work directory', run: () => rm(work, { recursive: true, force: true }) });
  const photo = await twelveMegapixelJpeg();
  await mkdir(join(work, 'vips'));
  const ours = await pipelineThroughput(photo);
  const vips = await vipsthumbnailThroughput(photo, join(work, 'vips'));
  const { stdout: vipsVersion } = await run('vips', ['--version']);

  // Embedded: one process does everything.
  const embedded = await started('all', { DATA_DIR: join(work, 'embedded'), LOG_LEVEL: 'warn' });
  const memory = await uploadMemory(embedded);
  const embeddedLatency = await latency(embedded, embedded, photo);
  await embedded.stop(); // the services shape gets the cores to itself

  const results = await resultsOf({
    photo,
    ours,
    vips: { ...vips, version: vipsVersion.trim() },
    embedded: embeddedLatency,
    services: (await servicesReachable()) ? await servicesLatency(work, photo) : null,
    memory,
    loadAtStart,
  });
  await writeResults('media', results);
  await writeChart('media-latency', latencyChart(results));
  await writeReport('media', reportOf(results));
} catch (err) {
  // After Ctrl-C the run fails because its servers are gone: nothing worth printing.
  if (!signals.interrupted) console.error(err);
  process.exitCode = 1;
} finally {
  await cleanup();
}

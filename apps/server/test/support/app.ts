import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KyselyPlugin } from 'kysely';
import { openPGlite } from '../../src/adapters/pglite/pglite-store.js';
import { openPostgres } from '../../src/adapters/postgres/postgres-store.js';
import { RabbitMqQueue } from '../../src/adapters/rabbitmq/rabbitmq-queue.js';
import { deleteEverything } from './rabbitmq.js';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { App } from '../../src/http/types.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import type { RelationalStore } from '../../src/ports/relational-store.js';
import { OutboxRelay } from '../../src/jobs/relay.js';
import { startWorkers } from '../../src/jobs/runner.js';
import {
  createJobHandlers,
  createServices,
  openInfrastructure,
  type Infrastructure,
  type Services,
} from '../../src/wiring.js';
import { dropBucket, newBucket } from './s3.js';
import {
  createTestDatabase,
  postgresAvailable,
  REDIS_URL,
  redisAvailable,
  AMQP_URL,
  rabbitmqAvailable,
  s3Available,
  uniqueName,
  TEST_S3,
  testKeyPrefix,
} from './services.js';

export type ShapeName = 'embedded' | 'services';

/**
 * Retry back-off of the test apps' queues. A second infrastructure opened on a test app's
 * config must use it too: other delays declare RabbitMQ retry queues the cleanup does not know.
 */
export const TEST_QUEUE_RETRY = { retryBaseMs: 20, maxRetryDelayMs: 1_000 } as const;

/**
 * Embedded always; services (PostgreSQL, Redis, an S3-compatible store) when they answer
 * (and always in CI, where a missing one fails the run).
 */
export async function availableShapes(): Promise<ShapeName[]> {
  const shapes: ShapeName[] = ['embedded'];
  const up = [
    await postgresAvailable(),
    await redisAvailable(),
    await s3Available(),
    await rabbitmqAvailable(),
  ];
  if (up.every(Boolean)) shapes.push('services');
  return shapes;
}

export interface TestApp {
  readonly app: App;
  readonly infra: Infrastructure;
  readonly services: Services;
  readonly config: Config;
  readonly metrics: Metrics;
  /** SQL statements sent on behalf of `fn` (async context), not by background jobs meanwhile. */
  readonly queries: QueryCounter;
  close(): Promise<void>;
}

export interface QueryCounter {
  during<T>(fn: () => Promise<T>): Promise<{ result: T; queries: number }>;
}

/**
 * Counts the statements sent through the store's query builder (raw SQL included) inside
 * `during`'s async context, so a relay polling or a job running at the same time is not counted.
 */
function countingStore(store: RelationalStore): { store: RelationalStore; queries: QueryCounter } {
  const context = new AsyncLocalStorage<{ n: number }>();
  const queries: QueryCounter = {
    async during(fn) {
      const tally = { n: 0 };
      const result = await context.run(tally, fn);
      return { result, queries: tally.n };
    },
  };
  const counter: KyselyPlugin = {
    transformQuery: (args) => {
      const tally = context.getStore();
      if (tally) tally.n++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  const db = store.db.withPlugin(counter);
  return {
    queries,
    store: {
      kind: store.kind,
      db,
      withSession: (fn) => store.withSession(fn),
      listen: (channel, onNotify) => store.listen(channel, onNotify),
      ping: () => store.ping(),
      close: () => store.close(),
    },
  };
}

/**
 * The whole server for one shape, built the way main.ts builds it, with its own data. With
 * `workers`, the relay and the job consumers run too (the `all` role minus the scheduler).
 */
export async function startTestApp(
  shape: ShapeName,
  env: Record<string, string> = {},
  options: { workers?: boolean } = {},
): Promise<TestApp> {
  const cleanups: (() => Promise<void>)[] = [];
  const dataDir = await mkdtemp(join(tmpdir(), 'glimpse-test-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  let store: RelationalStore | undefined;
  let shapeEnv: Record<string, string> = {};
  if (shape === 'embedded') {
    const opened = await openPGlite(undefined);
    store = opened;
    cleanups.push(() => opened.close());
  } else {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const opened = openPostgres({ url: db.url, poolSize: 5 });
    store = opened;
    cleanups.push(() => opened.close());
    const keys = testKeyPrefix();
    cleanups.push(keys.clean);
    const bucket = newBucket();
    // The server creates its bucket at start-up (ensureBucket); the test removes it afterwards.
    cleanups.push(() => dropBucket(bucket).catch(() => {}));
    shapeEnv = {
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '5',
      REDIS_URL,
      REDIS_KEY_PREFIX: keys.prefix,
      JWT_SECRET: randomBytes(32).toString('hex'),
      S3_BUCKET: bucket,
      S3_ENDPOINT: TEST_S3.endpoint,
      S3_REGION: TEST_S3.region,
      S3_ACCESS_KEY_ID: TEST_S3.credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: TEST_S3.credentials.secretAccessKey,
      AMQP_URL,
      AMQP_QUEUE_PREFIX: `${uniqueName('t')}.`,
    };
  }
  const config = loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...shapeEnv,
    ...env,
  });
  const log = createLogger(config);
  const metrics = createMetrics();
  const counting = countingStore(store);
  const queries = counting.queries;
  const infra = await openInfrastructure(config, log, metrics, {
    store: counting.store,
    queuePoll: { maxPollIntervalMs: 50 },
    queueRetry: TEST_QUEUE_RETRY,
  });
  const services = createServices(infra, config, log, metrics);
  const app = await buildApp({
    log,
    metrics,
    publicUrl: config.publicUrl,
    mediaBaseUrl: config.mediaBaseUrl,
    uploadOrigin: infra.uploadOrigin,
    trustProxy: config.trustProxy,
    dependencies: infra.dependencies,
    services,
  });
  await app.ready();
  const relay = options.workers ? new OutboxRelay(infra.store, infra.queue, log, metrics) : null;
  if (options.workers) {
    startWorkers(infra.queue, createJobHandlers(infra, config, log, metrics), log, metrics);
    relay!.start();
  }
  return {
    app,
    infra,
    services,
    config,
    metrics,
    queries,
    close: async () => {
      await app.close();
      await relay?.stop();
      await infra.close();
      if (infra.queue instanceof RabbitMqQueue) await deleteEverything([infra.queue.names]);
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}

import { join } from 'node:path';
import type { Logger } from 'pino';
import { AccountService } from './accounts/accounts.service.js';
import { pruneSessionsJob } from './accounts/accounts.worker.js';
import { SessionService } from './accounts/sessions.service.js';
import { AccessTokens } from './accounts/tokens.js';
import { LocalDiskObjectStore } from './adapters/local-disk/local-disk-object-store.js';
import { S3ObjectStore } from './adapters/s3/s3-object-store.js';
import { MemoryCache } from './adapters/memory/memory-cache.js';
import { MemoryRateLimiter } from './adapters/memory/memory-rate-limiter.js';
import { MemoryTimelineStore } from './adapters/memory/memory-timeline-store.js';
import {
  DEFAULT_OUTBOX_POLL_OPTIONS,
  OutboxPollQueue,
  type OutboxPollOptions,
} from './adapters/outbox-poll/outbox-poll-queue.js';
import { openPGlite } from './adapters/pglite/pglite-store.js';
import { openPostgres } from './adapters/postgres/postgres-store.js';
import { RedisCache } from './adapters/redis/redis-cache.js';
import { createRedisClient, waitUntilReady, type RedisClient } from './adapters/redis/redis-client.js';
import { RedisRateLimiter } from './adapters/redis/redis-rate-limiter.js';
import { redisKeys } from './adapters/redis/keys.js';
import { RedisTimelineStore } from './adapters/redis/redis-timeline-store.js';
import { type Config } from './config.js';
import { DEFAULT_RABBITMQ_OPTIONS, RabbitMqQueue } from './adapters/rabbitmq/rabbitmq-queue.js';
import { migrate } from './db/migrator.js';
import type { DependencyCheck } from './http/health.routes.js';
import { jobs, topologyOf } from './jobs/catalogue.js';
import { pruneOutboxJob } from './jobs/maintenance.worker.js';
import type { JobHandlers } from './jobs/runner.js';
import { embeddedJwtSecret, lockDataDir } from './lib/data-dir.js';
import { SharpImageCodec } from './adapters/sharp/sharp-codec.js';
import { UrlSigner } from './lib/signed-url.js';
import { MediaDelivery } from './media/delivery.js';
import { GraphService } from './graph/graph.service.js';
import { UserDirectory } from './graph/user-directory.js';
import { FeedService } from './feed/feed.service.js';
import { FeedWriter } from './feed/feed.writer.js';
import { fanOutJob, graphJob, retractJob } from './feed/feed.worker.js';
import { PostHydrator } from './posts/hydrate.js';
import { DiscoveryService } from './search/search.service.js';
import { rankDiscoveryJob } from './search/search.worker.js';
import { createEngagement, type Engagement } from './engagement/engagement.js';
import { PostsService } from './posts/posts.service.js';
import { cleanupDeletedPostJob, failPostsJob, publishReadyJob } from './posts/posts.worker.js';
import { MediaService } from './media/media.service.js';
import { MemoryNotificationBus } from './adapters/memory/memory-notification-bus.js';
import { RedisNotificationBus } from './adapters/redis/redis-notification-bus.js';
import { createNotifications } from './notifications/notifications.js';
import type { NotificationServices } from './notifications/notifications.routes.js';
import { createNotificationsJob } from './notifications/notifications.worker.js';
import type { NotificationBus } from './ports/notification-bus.js';
import { MediaUrls } from './media/media-view.js';
import { processMediaJob, reconcileMediaJob } from './media/media.worker.js';
import type { ImageCodec } from './ports/image-codec.js';
import type { Metrics } from './observability/metrics.js';
import type { Cache } from './ports/cache.js';
import type { JobQueue } from './ports/job-queue.js';
import type { ObjectStore } from './ports/object-store.js';
import type { RateLimiter } from './ports/rate-limiter.js';
import type { RelationalStore } from './ports/relational-store.js';
import type { TimelineStore } from './ports/timeline-store.js';

/** The stateful parts, each behind its port. This file is the only one that picks adapters. */
export interface Infrastructure {
  readonly store: RelationalStore;
  readonly cache: Cache;
  readonly rateLimiter: RateLimiter;
  /** Home timelines, and the recent posts of authors whose followers pull them. */
  readonly timelines: { readonly home: TimelineStore; readonly authors: TimelineStore };
  readonly queue: JobQueue;
  readonly objects: ObjectStore;
  /** Where browsers PUT photos when that is not this server (the S3 shape); CSP connect-src needs it. */
  readonly uploadOrigin: string | null;
  readonly codec: ImageCodec;
  /** JWT_SECRET (or the embedded one) signs tokens; purpose-derived keys sign URLs. */
  readonly jwtSecret: Uint8Array;
  readonly signers: { readonly upload: UrlSigner; readonly media: UrlSigner };
  /** New notifications, from the worker that made them to the API process holding the stream. */
  readonly notificationBus: NotificationBus;
  /** What /readyz probes. */
  readonly dependencies: readonly DependencyCheck[];
  close(): Promise<void>;
}

export interface WiringOptions {
  readonly queuePoll?: Partial<Omit<OutboxPollOptions, 'log'>>;
  /** Retry back-off of either queue adapter (tests shorten it). */
  readonly queueRetry?: { readonly retryBaseMs: number; readonly maxRetryDelayMs: number };
  /** Tests share one in-memory PGlite per file instead of opening DATA_DIR/pg. */
  readonly store?: RelationalStore;
  readonly runMigrations?: boolean;
  /** Skips reading or creating DATA_DIR's secret (tools that never issue tokens). */
  readonly jwtSecret?: Uint8Array;
}

const REDIS_STARTUP_WAIT_MS = 5_000;

export async function openInfrastructure(
  config: Config,
  log: Logger,
  metrics: Metrics,
  options: WiringOptions = {},
): Promise<Infrastructure> {
  // Named, so that a shutdown that hangs says on what (main.ts logs each step at debug level).
  const closers: { name: string; close: () => Promise<void> }[] = [];
  const onClose = (name: string, close: () => Promise<void>) => closers.push({ name, close });
  const close = async () => {
    for (const { name, close: closeOne } of closers.reverse()) {
      log.debug({ dependency: name }, 'closing');
      await closeOne().catch((err: unknown) => log.warn({ err, dependency: name }, 'close failed'));
    }
  };
  try {
    let store = options.store;
    if (!store) {
      if (config.database.kind === 'pglite') {
        onClose('data dir lock', await lockDataDir(config.dataDir));
        store = await openPGlite(config.database.dataDir);
      } else {
        store = openPostgres({ url: config.database.url, poolSize: config.database.poolSize });
      }
      const opened = store;
      onClose('database', () => opened.close());
    }
    if (options.runMigrations !== false) {
      const { applied } = await migrate(store);
      if (applied.length > 0)
        log.info({ migrations: applied.map((m) => `${m.version}_${m.name}`) }, 'database migrated');
    }

    const dependencies: DependencyCheck[] = [{ name: 'database', check: () => store.ping() }];
    let cache: Cache;
    let rateLimiter: RateLimiter;
    let timelines: Infrastructure['timelines'];
    let notificationBus: NotificationBus;
    if (config.redis) {
      const redis: RedisClient = createRedisClient(config.redis);
      onClose('redis', async () => {
        redis.disconnect();
      });
      // Listen before waiting: ioredis reports each failed connection attempt as an error event.
      redis.on('error', (err) => log.debug({ err }, 'redis connection error'));
      await waitUntilReady(redis, REDIS_STARTUP_WAIT_MS).catch((err: unknown) =>
        // Timelines and limits degrade without Redis; start anyway and let /readyz say so.
        log.warn({ err }, 'Redis is not answering yet; continuing and reconnecting in the background'),
      );
      const redisCache = new RedisCache(redis);
      cache = redisCache;
      rateLimiter = new RedisRateLimiter(redis, new MemoryRateLimiter(), () =>
        metrics.fallbacks.inc({ dependency: 'redis', operation: 'rate_limit' }),
      );
      timelines = {
        home: new RedisTimelineStore(redis, redisKeys.homeTimeline),
        authors: new RedisTimelineStore(redis, redisKeys.authorPosts),
      };
      dependencies.push({ name: 'redis', check: () => redisCache.ping() });
      const bus = new RedisNotificationBus(redis, config.redis.keyPrefix, (err) =>
        log.debug({ err }, 'redis notification subscriber error'),
      );
      onClose('notification bus', () => bus.close());
      notificationBus = bus;
    } else {
      notificationBus = new MemoryNotificationBus();
      cache = new MemoryCache();
      rateLimiter = new MemoryRateLimiter();
      timelines = { home: new MemoryTimelineStore(), authors: new MemoryTimelineStore() };
    }

    let queue: JobQueue;
    const queueLog = log.child({ component: 'queue' });
    if (config.amqp) {
      queue = await RabbitMqQueue.connect(config.amqp.url, topologyOf(jobs), {
        ...DEFAULT_RABBITMQ_OPTIONS,
        ...options.queueRetry,
        queuePrefix: config.amqp.queuePrefix,
        log: queueLog,
      });
      dependencies.push({ name: 'rabbitmq', check: () => queue.ping() });
    } else {
      queue = new OutboxPollQueue(store, topologyOf(jobs), {
        ...DEFAULT_OUTBOX_POLL_OPTIONS,
        ...options.queuePoll,
        ...options.queueRetry,
        log: queueLog,
      });
    }
    const openedQueue = queue;
    onClose('job queue', () => openedQueue.close());
    metrics.setQueueStatsSource(() => queue.stats());

    const jwtSecret =
      options.jwtSecret ??
      (config.jwtSecret
        ? new TextEncoder().encode(config.jwtSecret)
        : await embeddedJwtSecret(config.dataDir));
    const signers = { upload: new UrlSigner(jwtSecret, 'upload'), media: new UrlSigner(jwtSecret, 'media') };

    let objects: ObjectStore;
    let uploadOrigin: string | null = null;
    if (config.s3) {
      const s3 = new S3ObjectStore({ ...config.s3, corsOrigins: [new URL(config.publicUrl).origin] });
      onClose('object store', () => s3.close());
      await s3.ensureBucket();
      objects = s3;
      uploadOrigin = await s3.uploadOrigin();
    } else {
      objects = new LocalDiskObjectStore(join(config.dataDir, 'objects'), {
        baseUrl: `${config.publicUrl}/uploads`,
        signer: signers.upload,
      });
    }
    dependencies.push({ name: 'object-store', check: () => objects.ping() });

    const codec = new SharpImageCodec();
    onClose('image codec', () => codec.close());

    return {
      store,
      cache,
      rateLimiter,
      timelines,
      queue,
      objects,
      uploadOrigin,
      codec,
      jwtSecret,
      signers,
      notificationBus,
      dependencies,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

export interface Services {
  readonly accounts: AccountService;
  readonly sessions: SessionService;
  readonly graph: GraphService;
  readonly posts: PostsService;
  readonly feed: FeedService;
  readonly discovery: DiscoveryService;
  readonly engagement: Engagement;
  readonly notifications: NotificationServices;
  readonly media: MediaService;
  readonly delivery: MediaDelivery;
  /** The embedded shape's upload route (S3 takes uploads itself). */
  readonly localUploads: { readonly objects: ObjectStore; readonly signer: UrlSigner } | null;
}

export function createServices(
  infra: Infrastructure,
  config: Config,
  log: Logger,
  metrics: Metrics,
): Services {
  const db = infra.store.db;
  const mediaUrls = new MediaUrls(config.mediaBaseUrl, infra.signers.media);
  const users = new UserDirectory(db, mediaUrls);
  const graph = new GraphService(db, users);
  const hydrator = new PostHydrator(db, users, mediaUrls);
  const feedWriter = createFeedWriter(infra, config, log, metrics);
  const posts = new PostsService(db, users, hydrator, ownTimeline(feedWriter, log));
  const feed = new FeedService(
    feedDeps(infra, config, log, metrics),
    feedWriter,
    hydrator,
    log.child({ component: 'feed' }),
  );
  const engagement = createEngagement({
    db,
    users,
    hydrator,
    rateLimiter: infra.rateLimiter,
    limits: config.engagement,
  });
  const discovery = new DiscoveryService(db, users, hydrator);
  const sessions = new SessionService({
    db,
    cache: infra.cache,
    rateLimiter: infra.rateLimiter,
    tokens: new AccessTokens(infra.jwtSecret),
    metrics,
    log: log.child({ component: 'sessions' }),
    refreshTokenTtlMs: config.refreshTokenTtlMs,
  });
  const notifications = createNotifications({
    db,
    users,
    posts: hydrator,
    bus: infra.notificationBus,
    sessions,
    heartbeatMs: config.notifications.heartbeatMs,
    log: log.child({ component: 'notifications' }),
  });
  const accounts = new AccountService({
    db,
    rateLimiter: infra.rateLimiter,
    sessions,
    mediaUrls,
    metrics,
    log: log.child({ component: 'accounts' }),
    onBecamePublic: (trx, userId) => graph.acceptAllRequests(trx, userId),
  });
  const media = new MediaService({
    db,
    objects: infra.objects,
    rateLimiter: infra.rateLimiter,
    urls: mediaUrls,
    log: log.child({ component: 'media' }),
    quotaBytes: config.media.quotaBytes,
    uploadsPerMinute: config.media.uploadsPerMinute,
    visibleThroughPosts: (viewer, mediaId) => posts.mediaVisibleTo(viewer, mediaId),
  });
  const delivery = new MediaDelivery({
    db,
    objects: infra.objects,
    cache: infra.cache,
    signer: infra.signers.media,
  });
  const localUploads =
    infra.objects.kind === 'local-disk' ? { objects: infra.objects, signer: infra.signers.upload } : null;
  return {
    accounts,
    sessions,
    graph,
    posts,
    feed,
    discovery,
    engagement,
    notifications,
    media,
    delivery,
    localUploads,
  };
}

function feedDeps(infra: Infrastructure, config: Config, log: Logger, metrics: Metrics) {
  return {
    db: infra.store.db,
    home: infra.timelines.home,
    authors: infra.timelines.authors,
    settings: config.feed,
    metrics,
    log: log.child({ component: 'feed' }),
  };
}

function createFeedWriter(infra: Infrastructure, config: Config, log: Logger, metrics: Metrics) {
  return new FeedWriter(feedDeps(infra, config, log, metrics));
}

/** Read-your-writes must not fail a post that has committed: the fan-out job repeats it. */
function ownTimeline(writer: FeedWriter, log: Logger) {
  return (posts: readonly { id: string; author_id: string }[]) =>
    writer
      .ownPosts(posts)
      .catch((err: unknown) => log.warn({ err }, "could not add a post to its author's timeline"));
}

export function createJobHandlers(
  infra: Infrastructure,
  config: Config,
  log: Logger,
  metrics: Metrics,
): JobHandlers {
  const media = { db: infra.store.db, objects: infra.objects, metrics };
  const feed = createFeedWriter(infra, config, log, metrics);
  return {
    'media.process': processMediaJob({
      ...media,
      codec: infra.codec,
      log: log.child({ job: 'media.process' }),
    }),
    'media.reconcile': reconcileMediaJob({ ...media, log: log.child({ job: 'media.reconcile' }) }),
    'posts.media-ready': publishReadyJob(infra.store.db, ownTimeline(feed, log)),
    'feed.fanout': fanOutJob(feed),
    'feed.retract': retractJob(feed),
    'feed.graph': graphJob(feed),
    'posts.media-failed': failPostsJob(infra.store.db),
    'posts.cleanup': cleanupDeletedPostJob({
      db: infra.store.db,
      objects: infra.objects,
      log: log.child({ job: 'posts.cleanup' }),
    }),
    'accounts.prune-sessions': pruneSessionsJob(
      infra.store.db,
      log.child({ job: 'accounts.prune-sessions' }),
    ),
    'outbox.prune': pruneOutboxJob(infra.store.db, log.child({ job: 'outbox.prune' })),
    'notifications.create': createNotificationsJob({
      db: infra.store.db,
      bus: infra.notificationBus,
      log: log.child({ job: 'notifications.create' }),
    }),
    'discovery.rank': rankDiscoveryJob(infra.store.db, log.child({ job: 'discovery.rank' })),
  };
}

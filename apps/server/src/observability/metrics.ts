import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per process (not prom-client's global one, so that tests can build several
 * apps side by side). Label values are bounded: routes are templates, never raw paths.
 */
export function createMetrics() {
  const registry = new Registry();
  let queueStats: (() => Promise<readonly { queue: string; ready: number; dead: number }[]>) | null = null;
  collectDefaultMetrics({ register: registry, prefix: 'glimpse_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'glimpse_http_requests_total',
      help: 'HTTP requests by route template, method and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'glimpse_http_request_duration_seconds',
      help: 'HTTP request latency by route template, method and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    authEvents: new Counter({
      name: 'glimpse_auth_events_total',
      help: 'Authentication outcomes (login_succeeded, login_failed, refresh_reused, ...)',
      labelNames: ['event'] as const,
      registers: [registry],
    }),
    jobs: new Counter({
      name: 'glimpse_jobs_total',
      help: 'Job deliveries by queue and outcome (done, retry, dead)',
      labelNames: ['queue', 'outcome'] as const,
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'glimpse_job_duration_seconds',
      help: 'Job handler run time by queue',
      labelNames: ['queue'] as const,
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers: [registry],
    }),
    outboxPublished: new Counter({
      name: 'glimpse_outbox_published_total',
      help: 'Outbox events handed to the job queue',
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'glimpse_queue_depth',
      help: 'Messages waiting (state=ready) or dead-lettered (state=dead) per queue',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
      async collect() {
        for (const { queue, ready, dead } of (await queueStats?.().catch(() => [])) ?? []) {
          this.set({ queue, state: 'ready' }, ready);
          this.set({ queue, state: 'dead' }, dead);
        }
      },
    }),
    /** Where the queue-depth gauge reads from at scrape time. */
    setQueueStatsSource(source: typeof queueStats) {
      queueStats = source;
    },
    mediaProcessed: new Counter({
      name: 'glimpse_media_processed_total',
      help: 'Media items finished by the worker, by outcome (ready, reused, failed) and failure code',
      labelNames: ['outcome', 'code'] as const,
      registers: [registry],
    }),
    mediaProcessingSeconds: new Histogram({
      name: 'glimpse_media_processing_seconds',
      help: 'Worker time per media item: read the original, decode, renditions, store',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    mediaCompleteToReadySeconds: new Histogram({
      name: 'glimpse_media_complete_to_ready_seconds',
      help: 'From the client calling complete to the renditions being stored (queueing included)',
      buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 5, 10, 30, 120],
      registers: [registry],
    }),
    feedFanoutLag: new Histogram({
      name: 'glimpse_feed_fanout_lag_seconds',
      help: 'From a post being published to its last follower timeline written (push mode only)',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    feedTimelineWrites: new Counter({
      name: 'glimpse_feed_timeline_writes_total',
      help: 'Timeline entries pushed by fan-out, backfill and demotion',
      registers: [registry],
    }),
    feedReadSeconds: new Histogram({
      name: 'glimpse_feed_read_seconds',
      help: 'GET /feed service time by source (timeline, or database when the timeline could not be used)',
      labelNames: ['source'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    feedFallbacks: new Counter({
      name: 'glimpse_feed_timeline_fallbacks_total',
      help: 'Feed pages built from PostgreSQL instead of a timeline, by reason (missing, stale, redis_down)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    fallbacks: new Counter({
      name: 'glimpse_dependency_fallbacks_total',
      help: 'Times a request fell back because a dependency failed (e.g. Redis down)',
      labelNames: ['dependency', 'operation'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

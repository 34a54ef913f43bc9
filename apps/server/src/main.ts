import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { MigrationError } from './db/migrator.js';
import { MaintenanceScheduler } from './jobs/scheduler.js';
import { OutboxRelay } from './jobs/relay.js';
import { startWorkers } from './jobs/runner.js';
import { DataDirInUseError } from './lib/data-dir.js';
import { createLogger } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { createJobHandlers, createServices, openInfrastructure } from './wiring.js';

/**
 * One deployable, several roles:
 *   all      everything in this process (the default; what `npm start` runs)
 *   serve    the HTTP API and the web app
 *   worker   job consumers and the maintenance scheduler
 *   relay    the outbox relay
 *   migrate  apply database migrations, then exit
 * Every role applies pending migrations at start-up (under a lock, so concurrent starts are safe).
 */
const ROLES = ['all', 'serve', 'worker', 'relay', 'migrate'] as const;
type Role = (typeof ROLES)[number];

const WEB_ROOT = fileURLToPath(new URL('../../web/dist/', import.meta.url));

async function main(): Promise<void> {
  const role = (process.argv[2] ?? 'all') as Role;
  if (!ROLES.includes(role)) {
    process.stderr.write(`Unknown role "${role}". Use one of: ${ROLES.join(', ')}.\n`);
    process.exit(2);
  }
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee the configuration table in README.md.\n`);
      process.exit(2);
    }
    throw err;
  }

  const log = createLogger({
    ...config,
    logFormat: config.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json'),
  });
  const metrics = createMetrics();
  let infra;
  try {
    infra = await openInfrastructure(config, log, metrics);
  } catch (err) {
    exitOnStartupError(err, log);
  }
  if (role === 'migrate') {
    await infra.close();
    log.info('migrations are up to date');
    return;
  }

  const runs = (r: Role) => role === 'all' || role === r;
  const services = runs('serve') ? createServices(infra, config, log, metrics) : undefined;
  const app = await buildApp({
    log,
    metrics,
    publicUrl: config.publicUrl,
    mediaBaseUrl: config.mediaBaseUrl,
    uploadOrigin: infra.uploadOrigin,
    trustProxy: config.trustProxy,
    dependencies: infra.dependencies,
    ...(services ? { services, webRoot: WEB_ROOT } : {}),
  });

  const relay = runs('relay')
    ? new OutboxRelay(infra.store, infra.queue, log.child({ component: 'relay' }), metrics)
    : null;
  const scheduler = runs('worker')
    ? new MaintenanceScheduler(infra.store.db, infra.queue, log.child({ component: 'scheduler' }))
    : null;
  if (runs('worker')) startWorkers(infra.queue, createJobHandlers(infra, config, log, metrics), log, metrics);
  relay?.start();
  scheduler?.start();

  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, 'shutting down');
    const force = setTimeout(() => {
      log.error('graceful shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownGraceMs);
    force.unref();
    // Each step is logged (debug), so a shutdown that overruns its grace says where it stopped.
    try {
      await app.close(); // stops accepting, lets in-flight requests finish
      log.debug('http server closed');
      scheduler?.stop();
      await relay?.stop();
      if (relay) log.debug('relay stopped');
      await infra.close(); // waits for running jobs, closes pools
      log.debug('infrastructure closed');
    } catch (err) {
      log.error({ err }, 'error during shutdown');
      code = code || 1;
    }
    log.flush();
    process.exit(code);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.once('SIGINT', () => void shutdown('SIGINT', 0));
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    void shutdown('uncaughtException', 1);
  });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection');
    void shutdown('unhandledRejection', 1);
  });

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    log.fatal({ err }, `cannot listen on ${config.host}:${config.port}`);
    await shutdown('listen failed', 1);
    return;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shape = [
    config.database.kind === 'pglite' ? `PGlite in ${config.database.dataDir}` : 'PostgreSQL',
    config.redis ? 'Redis' : 'in-process timelines',
    'outbox-backed queue',
    infra.objects.kind === 'local-disk' ? 'media on local disk' : 'S3',
  ].join(', ');
  log.info({ role, port, shape }, `Glimpse (${role}) is listening on http://localhost:${port}`);
}

function exitOnStartupError(err: unknown, log: Logger): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  const known = err instanceof DataDirInUseError || err instanceof MigrationError;
  const message = err instanceof Error ? err.message : String(err);
  log.fatal(known ? { reason: message } : { err }, `Glimpse could not start: ${message}`);
  log.flush();
  process.exit(1);
}

await main();

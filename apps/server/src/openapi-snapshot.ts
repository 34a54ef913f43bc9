/**
 * Writes openapi.json (committed) from the route schemas, or with --check fails when the
 * committed file has drifted from them. The document never depends on configuration.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { openPGlite } from './adapters/pglite/pglite-store.js';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { createLogger } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { createServices, openInfrastructure } from './wiring.js';

export const SNAPSHOT_PATH = new URL('../openapi.json', import.meta.url);

export async function renderOpenApi(): Promise<string> {
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '/nonexistent-openapi' });
  const log = createLogger(config);
  const metrics = createMetrics();
  const store = await openPGlite(undefined);
  const infra = await openInfrastructure(config, log, metrics, {
    store,
    runMigrations: false,
    jwtSecret: new Uint8Array(32),
  });
  try {
    const app = await buildApp({
      log,
      metrics,
      publicUrl: config.publicUrl,
      mediaBaseUrl: config.mediaBaseUrl,
      trustProxy: false,
      dependencies: [],
      services: createServices(infra, config, log, metrics),
    });
    await app.ready();
    const document = `${JSON.stringify(app.swagger(), null, 2)}\n`;
    await app.close();
    return document;
  } finally {
    await infra.close();
    await store.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const document = await renderOpenApi();
  if (process.argv.includes('--check')) {
    const committed = await readFile(SNAPSHOT_PATH, 'utf8').catch(() => '');
    if (committed !== document) {
      process.stderr.write(
        'openapi.json is out of date with the route schemas: run `npm run openapi` and commit it.\n',
      );
      process.exit(1);
    }
    process.stdout.write('openapi.json matches the route schemas.\n');
  } else {
    await writeFile(SNAPSHOT_PATH, document);
    process.stdout.write(`wrote ${SNAPSHOT_PATH.pathname}\n`);
  }
}

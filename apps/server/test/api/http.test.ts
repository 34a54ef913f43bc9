import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type AppDeps } from '../../src/app.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { openPostgres } from '../../src/adapters/postgres/postgres-store.js';
import { SNAPSHOT_PATH } from '../../src/openapi-snapshot.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { call, registerUser } from '../support/client.js';
import { createTestDatabase, postgresAvailable } from '../support/services.js';

const postgresUp = await postgresAvailable();

/** An app with no routes of its own beyond the framework's, for what the HTTP layer does alone. */
const bareApp = (deps: Partial<AppDeps> = {}) =>
  buildApp({
    log: pino({ level: 'silent' }),
    metrics: createMetrics(),
    publicUrl: 'http://localhost:3000',
    mediaBaseUrl: 'http://localhost:3000/media',
    trustProxy: false,
    dependencies: [],
    ...deps,
  });

describe('HTTP hygiene', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('embedded');
  });
  afterAll(() => t?.close());

  it('serves liveness and readiness', async () => {
    expect(await call(t.app, 'GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    const ready = await call(t.app, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', dependencies: { database: 'up', 'object-store': 'up' } });
  });

  it('readiness names the dependency that is down, with a 503 and Retry-After', async () => {
    const app = await bareApp({
      dependencies: [
        { name: 'database', check: async () => {} },
        { name: 'redis', check: () => Promise.reject(new Error('ECONNREFUSED')) },
        { name: 'broker', check: () => new Promise(() => {}) },
      ],
    });
    try {
      const reply = await call(app, 'GET', '/readyz');
      expect(reply.status).toBe(503);
      expect(reply.headers['retry-after']).toBe('5');
      expect(reply.body.error).toMatchObject({
        code: 'dependency_down',
        message: 'Not ready: redis, broker are not answering.',
        details: { dependencies: { database: 'up', redis: 'down', broker: 'down' } },
      });
      // An operations-only server (worker, relay) has no API routes.
      expect((await call(app, 'GET', '/api/v1/me')).status).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('counts requests and latency per route template in Prometheus text', async () => {
    const user = await registerUser(t.app);
    await call(t.app, 'GET', '/api/v1/me', { token: user.accessToken });
    await call(t.app, 'GET', '/api/v1/me');
    const metrics = await call(t.app, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(String(metrics.headers['content-type'])).toContain('text/plain');
    const text = metrics.body as string;
    expect(text).toMatch(
      /glimpse_http_requests_total\{method="GET",route="\/api\/v1\/me",status_code="200"\} 1/,
    );
    expect(text).toMatch(
      /glimpse_http_requests_total\{method="GET",route="\/api\/v1\/me",status_code="401"\} 1/,
    );
    expect(text).toContain(
      'glimpse_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/api/v1/auth/register",status_code="201"}',
    );
    expect(text).toContain('glimpse_auth_events_total');
    expect(text).toMatch(/glimpse_queue_depth\{queue="accounts.prune-sessions",state="ready"\} \d+/);
    expect(text).toContain('glimpse_process_resident_memory_bytes');
  });

  it('serves the OpenAPI 3.1 document generated from the route schemas, identical to the committed snapshot', async () => {
    const reply = await call(t.app, 'GET', '/api/openapi.json');
    expect(reply.status).toBe(200);
    expect(reply.body.openapi).toBe('3.1.0');
    for (const path of [
      '/api/v1/auth/register',
      '/api/v1/auth/login',
      '/api/v1/auth/refresh',
      '/api/v1/auth/logout',
      '/api/v1/me',
      '/api/v1/me/password',
      '/healthz',
      '/readyz',
    ]) {
      expect(reply.body.paths).toHaveProperty([path]);
    }
    expect(
      reply.body.paths['/api/v1/auth/register'].post.requestBody.content['application/json'].schema.properties
        .username.maxLength,
    ).toBe(30);
    const committed = JSON.parse(await readFile(SNAPSHOT_PATH, 'utf8'));
    expect(reply.body, 'apps/server/openapi.json is stale: run `npm run openapi` and commit it').toEqual(
      committed,
    );
  });

  it('sends strict security headers on every answer, and no-store on the API', async () => {
    for (const reply of [
      await call(t.app, 'GET', '/healthz'),
      await call(t.app, 'GET', '/api/v1/me'),
      await call(t.app, 'GET', '/nope'),
    ]) {
      expect(reply.headers['content-security-policy']).toContain("default-src 'self'");
      expect(reply.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(reply.headers['content-security-policy']).toContain("object-src 'none'");
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expect(reply.headers['x-frame-options']).toBe('DENY');
      expect(reply.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
      expect(reply.headers['permissions-policy']).toContain('geolocation=()');
      expect(reply.headers['x-powered-by']).toBeUndefined();
    }
    expect((await call(t.app, 'GET', '/api/v1/me')).headers['cache-control']).toBe('no-store');
    // Plain http: no HSTS (browsers ignore it there, and it would pin localhost to https).
    expect((await call(t.app, 'GET', '/healthz')).headers['strict-transport-security']).toBeUndefined();
  });

  it('echoes a sane X-Request-Id and makes one up otherwise', async () => {
    expect(
      (await call(t.app, 'GET', '/healthz', { headers: { 'x-request-id': 'edge-abc.123' } })).headers[
        'x-request-id'
      ],
    ).toBe('edge-abc.123');
    const made = (
      await call(t.app, 'GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces\n' } })
    ).headers['x-request-id'];
    expect(made).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('turns a bug into a 500 with the request id, never a stack trace', async () => {
    const app = await bareApp();
    app.get('/boom', async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'secret')");
    });
    try {
      const reply = await call(app, 'GET', '/boom', { headers: { 'x-request-id': 'trace-me' } });
      expect(reply.status).toBe(500);
      expect(reply.body).toEqual({
        error: {
          code: 'internal_error',
          message: 'Something went wrong on our side. It has been logged.',
          details: { requestId: 'trace-me' },
        },
      });
      expect(JSON.stringify(reply.body)).not.toContain('secret');
    } finally {
      await app.close();
    }
  });

  it.runIf(postgresUp)(
    'answers 503 with Retry-After, not 500, when no database connection frees up in time',
    async () => {
      const database = await createTestDatabase();
      const store = openPostgres({ url: database.url, poolSize: 1, acquireTimeoutMs: 200 });
      const app = await bareApp();
      app.get('/count', async () => {
        const row = await store.db.selectNoFrom((eb) => eb.val(1).as('one')).executeTakeFirstOrThrow();
        return row;
      });
      let release!: () => void;
      const held = store.withSession(() => new Promise<void>((resolve) => (release = resolve)));
      try {
        await expect.poll(() => release).toBeDefined();
        const busy = await call(app, 'GET', '/count');
        expect(busy.status).toBe(503);
        expect(busy.headers['retry-after']).toBe('1');
        expect(busy.body).toEqual({
          error: {
            code: 'database_unavailable',
            message: 'The service is busy or its database is unreachable. Try again shortly.',
          },
        });
        release();
        await held;
        const free = await call(app, 'GET', '/count');
        expect(free.status).toBe(200);
      } finally {
        release?.();
        await app.close();
        await store.close();
        await database.drop();
      }
    },
  );

  it('serves the web app: fingerprinted assets forever, the shell for client routes, JSON 404s for the API', async () => {
    const webRoot = await mkdtemp(join(tmpdir(), 'glimpse-web-'));
    await mkdir(join(webRoot, 'assets'));
    await writeFile(join(webRoot, 'index.html'), '<!doctype html><title>Glimpse</title>');
    await writeFile(join(webRoot, 'assets', 'app-1234abcd.js'), 'console.log(1)');
    await writeFile(join(webRoot, 'manifest.webmanifest'), '{"name":"Glimpse"}');
    const app = await bareApp({
      mediaBaseUrl: 'https://cdn.example/media',
      webRoot,
    });
    try {
      const shell = await call(app, 'GET', '/');
      expect(shell.status).toBe(200);
      expect(shell.headers['cache-control']).toBe('no-cache');
      expect(shell.headers['content-security-policy']).toContain("script-src 'self'");
      expect(shell.headers['content-security-policy']).toContain(
        "img-src 'self' data: blob: https://cdn.example",
      );
      expect(shell.headers['content-security-policy']).toContain("manifest-src 'self'");
      // Uploads go to this server in the embedded shape: nothing else may be contacted.
      expect(shell.headers['content-security-policy']).toContain("connect-src 'self';");
      const manifest = await call(app, 'GET', '/manifest.webmanifest');
      expect(manifest.status).toBe(200);
      expect(manifest.headers['content-type']).toMatch(/^application\/manifest\+json/);
      expect(manifest.headers['cache-control']).toBe('no-cache');
      const asset = await call(app, 'GET', '/assets/app-1234abcd.js');
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      const deepLink = await call(app, 'GET', '/u/alice', { headers: { accept: 'text/html' } });
      expect(deepLink.status).toBe(200);
      expect(deepLink.body).toContain('<title>Glimpse</title>');
      const api = await call(app, 'GET', '/api/v1/u/alice', { headers: { accept: 'text/html' } });
      expect(api.status).toBe(404);
      expect(api.body.error.code).toBe('not_found');
    } finally {
      await app.close();
      await rm(webRoot, { recursive: true, force: true });
    }
  });

  it('lets pages connect to the object store origin when browsers upload there (S3 shape)', async () => {
    const app = await bareApp({
      publicUrl: 'https://glimpse.example',
      mediaBaseUrl: 'https://cdn.example/media',
      uploadOrigin: 'https://photos.s3.eu-west-1.amazonaws.com',
    });
    try {
      const csp = (await call(app, 'GET', '/healthz')).headers['content-security-policy'];
      expect(csp).toContain("connect-src 'self' https://photos.s3.eu-west-1.amazonaws.com;");
    } finally {
      await app.close();
    }
  });
});

import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { http, runMain, startServer } from '../support/process.js';
import { eventually } from '../support/wait.js';
import {
  createTestDatabase,
  postgresAvailable,
  REDIS_URL,
  redisAvailable,
  testKeyPrefix,
} from '../support/services.js';

const dirs: string[] = [];
const dataDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'glimpse-e2e-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function accountFlow(base: string) {
  const reg = await http(base, 'POST', '/api/v1/auth/register', {
    username: 'e2e_user',
    email: 'e2e@example.com',
    password: 'end to end pw',
  });
  expect(reg.status).toBe(201);
  const login = await http(base, 'POST', '/api/v1/auth/login', {
    login: 'e2e_user',
    password: 'end to end pw',
  });
  expect(login.status).toBe(200);
  const me = await http(base, 'GET', '/api/v1/me', undefined, login.body.accessToken);
  expect(me.body.username).toBe('e2e_user');
  const refreshed = await http(base, 'POST', '/api/v1/auth/refresh', {
    refreshToken: login.body.refreshToken,
  });
  expect(refreshed.status).toBe(200);
  expect(
    (await http(base, 'POST', '/api/v1/auth/logout', { refreshToken: refreshed.body.refreshToken })).status,
  ).toBe(204);
  return { reg, refreshed };
}

/** slot → PUT to the upload URL → complete → poll, as a curl user would. */
async function mediaFlow(base: string) {
  const login = await http(base, 'POST', '/api/v1/auth/login', {
    login: 'e2e_user',
    password: 'end to end pw',
  });
  const token = login.body.accessToken as string;
  const photo = await readFile('/work/shared/corpus/exif-orientation/Landscape_5.jpg');
  const slot = await http(
    base,
    'POST',
    '/api/v1/media/uploads',
    { contentType: 'image/jpeg', size: photo.length },
    token,
  );
  expect(slot.status).toBe(201);
  const { 'content-length': _, ...headers } = slot.body.upload.headers as Record<string, string>;
  expect((await fetch(slot.body.upload.url, { method: 'PUT', headers, body: photo })).status).toBe(200);
  expect(
    (await http(base, 'POST', `/api/v1/media/${slot.body.media.id}/complete`, undefined, token)).status,
  ).toBe(202);
  for (let i = 0; i < 300; i++) {
    const media = await http(base, 'GET', `/api/v1/media/${slot.body.media.id}`, undefined, token);
    if (media.body.status === 'ready') {
      expect(media.body).toMatchObject({ width: 1800, height: 1200 });
      const rendition = await fetch(media.body.variants.large.url);
      expect([rendition.status, rendition.headers.get('content-type')]).toEqual([200, 'image/webp']);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the photo never became ready');
}

describe('the real process, embedded (npm start)', { timeout: 120_000 }, () => {
  it('runs the account flow over HTTP, keeps data and secret across a restart, and stops cleanly', async () => {
    const DATA_DIR = await dataDir();
    // On a loaded CI machine (two cores, three test files at once) draining can outlast the
    // 10 s default grace; this test is about a clean exit, not a fast one.
    // Debug logs name each shutdown step, so a hang shows where it stopped.
    const first = await startServer(null, { DATA_DIR, SHUTDOWN_GRACE_SECONDS: '60', LOG_LEVEL: 'debug' });
    // The line is written just after listening starts, so it can trail /healthz's first answer.
    await eventually(async () =>
      expect(first.output()).toContain('Glimpse (all) is listening on http://localhost:'),
    );
    expect((await http(first.url, 'GET', '/healthz')).status).toBe(200);
    const { reg } = await accountFlow(first.url);
    await mediaFlow(first.url);
    expect(await first.stop(), first.output()).toBe(0);

    const second = await startServer('all', { DATA_DIR });
    try {
      // Same database and same signing secret: the first run's session still works.
      const refreshed = await http(second.url, 'POST', '/api/v1/auth/refresh', {
        refreshToken: reg.body.refreshToken,
      });
      expect(refreshed.status).toBe(200);
      expect(
        (await http(second.url, 'GET', '/api/v1/me', undefined, refreshed.body.accessToken)).body.id,
      ).toBe(reg.body.user.id);

      // A second process on the same DATA_DIR would corrupt PGlite: it must refuse.
      const intruder = runMain('all', { DATA_DIR, PORT: '0' });
      expect(await intruder.exited).toBe(1);
      expect(intruder.output()).toContain('is in use by another Glimpse process');
    } finally {
      await second.stop();
    }
  });

  it('finishes in-flight requests on SIGTERM, exits 0, and every acknowledged write survives', async () => {
    const DATA_DIR = await dataDir();
    const server = await startServer(null, { DATA_DIR });
    // Open four keep-alive connections first: the requests below then travel on sockets the
    // server has accepted, so the test is about draining requests, not about racing connects.
    await Promise.all([1, 2, 3, 4].map(() => http(server.url, 'GET', '/healthz')));
    const inFlight = Array.from({ length: 4 }, (_, i) =>
      http(server.url, 'POST', '/api/v1/auth/register', {
        username: `drain_${i}`,
        email: `drain${i}@example.com`,
        password: 'drain passphrase',
      }),
    );
    await new Promise((r) => setTimeout(r, 100));
    server.proc.kill('SIGTERM');
    const replies = await Promise.all(inFlight);
    // Requests the server had already accepted complete; one that arrives after the signal
    // gets a clean 503, never a dropped connection.
    expect(replies.every((r) => r.status === 201 || r.status === 503)).toBe(true);
    expect(replies.filter((r) => r.status === 201).length).toBeGreaterThanOrEqual(1);
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('shutting down');

    const again = await startServer(null, { DATA_DIR, SHUTDOWN_GRACE_SECONDS: '60' });
    try {
      for (const [i, reply] of replies.entries()) {
        if (reply.status !== 201) continue;
        const login = await http(again.url, 'POST', '/api/v1/auth/login', {
          login: `drain_${i}`,
          password: 'drain passphrase',
        });
        expect(login.status).toBe(200);
      }
    } finally {
      expect(await again.stop(), again.output()).toBe(0);
    }
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be a whole number (got "abc")'],
    [{ DATABASE_URL: 'postgres://x/y' }, 'JWT_SECRET is required with DATABASE_URL'],
    [{ LOG_LEVEL: 'chatty', SHUTDOWN_GRACE_SECONDS: '0' }, 'SHUTDOWN_GRACE_SECONDS must be at least 1'],
  ])('refuses bad configuration %j with exit code 2 and no stack trace', async (env, message) => {
    const run = runMain(null, { DATA_DIR: await dataDir(), ...env });
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain('Invalid configuration:');
    expect(run.output()).toContain(message);
    expect(run.output()).not.toMatch(/\n\s+at /);
  });

  it('refuses an unknown role with exit code 2', async () => {
    const run = runMain('dance', { DATA_DIR: await dataDir() });
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain('Unknown role "dance"');
  });

  it('`migrate` applies migrations and exits 0', async () => {
    const run = runMain('migrate', { DATA_DIR: await dataDir() });
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('database migrated');
  });
});

const services = (await postgresAvailable()) && (await redisAvailable());
describe.runIf(services)(
  'the real processes, service shape (PostgreSQL + Redis), one role each',
  { timeout: 120_000 },
  () => {
    it('serve, worker and relay run as separate processes against the same services', async () => {
      const db = await createTestDatabase();
      const keys = testKeyPrefix();
      const env = {
        DATA_DIR: await dataDir(),
        DATABASE_URL: db.url,
        REDIS_URL,
        REDIS_KEY_PREFIX: keys.prefix,
        JWT_SECRET: randomBytes(32).toString('hex'),
      };
      const started = await Promise.all([
        startServer('serve', env),
        startServer('serve', env),
        startServer('worker', env),
        startServer('relay', env),
      ]);
      const [api1, api2, worker, relay] = started;
      try {
        // Stateless API nodes: a session opened on one is honoured by the other.
        const { refreshed } = await accountFlow(api1!.url);
        expect(
          (await http(api2!.url, 'GET', '/api/v1/me', undefined, refreshed.body.accessToken)).body.error.code,
        ).toBe('session_revoked');
        const login = await http(api1!.url, 'POST', '/api/v1/auth/login', {
          login: 'e2e_user',
          password: 'end to end pw',
        });
        expect((await http(api2!.url, 'GET', '/api/v1/me', undefined, login.body.accessToken)).status).toBe(
          200,
        );
        // Worker and relay serve only operations endpoints.
        for (const ops of [worker!, relay!]) {
          expect((await http(ops.url, 'GET', '/readyz')).body.dependencies).toEqual({
            database: 'up',
            redis: 'up',
            'object-store': 'up',
          });
          expect((await http(ops.url, 'GET', '/api/v1/me')).status).toBe(404);
        }
        await eventually(async () => expect(worker!.output()).toContain('Glimpse (worker) is listening'));
      } finally {
        await Promise.all(started.map((s) => s.stop()));
        await keys.clean();
        await db.drop();
      }
    });
  },
);

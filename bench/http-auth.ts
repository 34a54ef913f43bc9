/**
 * Benchmark: the cost of the HTTP stack and of authentication, as ratios against ceilings
 * measured in the same run on the same machine.
 *   - GET /healthz               the framework's own ceiling (route, hooks, headers, JSON)
 *   - GET /api/v1/me             JWT check + session check (cache) + one user read
 *   - POST /api/v1/auth/login    dominated by Argon2id; compared with argon2.verify alone
 * Runs against a real server process per shape (embedded; PostgreSQL + Redis when reachable).
 * Usage: npm run bench -- http-auth [--duration 10] [--connections 32]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import argon2 from 'argon2';
import autocannon from 'autocannon';
import { ARGON2_PARAMS } from '../apps/server/src/accounts/passwords.js';
import { startServer } from '../apps/server/test/support/process.js';
import {
  createTestDatabase,
  postgresAvailable,
  REDIS_URL,
  redisAvailable,
  testKeyPrefix,
} from '../apps/server/test/support/services.js';
import { arg, machine, writeResults } from './common.js';

const DURATION = arg('duration', 10);
const CONNECTIONS = arg('connections', 32);

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function load(options: autocannon.Options): Promise<Figures> {
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION, ...options });
  return {
    // Only successful answers count: a fast 429 is not throughput.
    rps: Math.round(result['2xx'] / result.duration),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

const randomIp = () => `10.${randomBytes(3).join('.')}`;

async function argon2Ceiling(): Promise<number> {
  const hash = await argon2.hash('benchmark password', ARGON2_PARAMS);
  let done = 0;
  const until = Date.now() + DURATION * 1000;
  // libuv's default pool runs 4 hashes at once, as it does for the server.
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (Date.now() < until) {
        await argon2.verify(hash, 'benchmark password');
        done++;
      }
    }),
  );
  return Math.round(done / DURATION);
}

async function runShape(name: string, env: Record<string, string>) {
  // TRUST_PROXY lets the load generator spread logins over many client addresses, so the
  // per-address login limit (a defence, not a capacity) does not cap the measurement.
  const server = await startServer('all', { ...env, LOG_LEVEL: 'warn', TRUST_PROXY: 'true' });
  try {
    const users = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const response = await fetch(`${server.url}/api/v1/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': randomIp() },
          body: JSON.stringify({
            username: `bench_${i}`,
            email: `bench${i}@example.com`,
            password: 'benchmark password',
          }),
        });
        if (response.status !== 201)
          throw new Error(`register failed: ${response.status} ${await response.text()}`);
        return (await response.json()) as { accessToken: string };
      }),
    );
    const token = users[0]!.accessToken;
    await load({ url: `${server.url}/healthz`, duration: 2 }); // warm-up
    const healthz = await load({ url: `${server.url}/healthz` });
    const me = await load({ url: `${server.url}/api/v1/me`, headers: { authorization: `Bearer ${token}` } });
    const login = await load({
      url: `${server.url}/api/v1/auth/login`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      requests: [
        {
          setupRequest: (req) => ({
            ...req,
            headers: { ...req.headers, 'x-forwarded-for': randomIp() },
            body: JSON.stringify({
              login: `bench_${Math.floor(Math.random() * 50)}`,
              password: 'benchmark password',
            }),
          }),
        },
      ],
    });
    return { name, healthz, me, login };
  } finally {
    await server.stop();
  }
}

const dirs: string[] = [];
const shapes: { name: string; env: Record<string, string>; cleanup?: () => Promise<void> }[] = [];
const dir = await mkdtemp(join(tmpdir(), 'glimpse-bench-'));
dirs.push(dir);
shapes.push({ name: 'embedded (PGlite, in-process)', env: { DATA_DIR: dir } });
if ((await postgresAvailable()) && (await redisAvailable())) {
  const db = await createTestDatabase();
  const keys = testKeyPrefix();
  shapes.push({
    name: 'services (PostgreSQL + Redis)',
    env: {
      DATA_DIR: dir,
      DATABASE_URL: db.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: keys.prefix,
      JWT_SECRET: randomBytes(32).toString('hex'),
    },
    cleanup: async () => {
      await keys.clean();
      await db.drop();
    },
  });
}

const argon2PerSecond = await argon2Ceiling();
const results = [];
for (const shape of shapes) {
  results.push(await runShape(shape.name, shape.env));
  await shape.cleanup?.();
}
for (const d of dirs) await rm(d, { recursive: true, force: true });

const report = {
  scenario: 'http-auth',
  date: new Date().toISOString(),
  machine: machine(),
  durationSeconds: DURATION,
  connections: CONNECTIONS,
  argon2VerifyPerSecond: argon2PerSecond,
  shapes: results.map((r) => ({
    ...r,
    meVsHealthz: +(r.me.rps / r.healthz.rps).toFixed(2),
    loginVsArgon2: +(r.login.rps / argon2PerSecond).toFixed(2),
  })),
};
await writeResults('http-auth', report);
console.log(`argon2id verify ceiling: ${argon2PerSecond}/s (m=19 MiB, t=2, p=1; 4 threads)`);
for (const s of report.shapes) {
  console.log(`\n${s.name}`);
  for (const key of ['healthz', 'me', 'login'] as const) {
    const f = s[key];
    console.log(
      `  ${key.padEnd(8)} ${String(f.rps).padStart(7)} req/s   p50 ${f.p50} ms   p99 ${f.p99} ms   errors ${f.errors}   non-2xx ${f.non2xx}`,
    );
  }
  console.log(`  /me ÷ /healthz = ${s.meVsHealthz}    login ÷ argon2 verify = ${s.loginVsArgon2}`);
}

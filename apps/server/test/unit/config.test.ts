import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env, '/srv/glimpse');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('configuration', () => {
  it('runs embedded with no variables at all', () => {
    const config = loadConfig({}, '/srv/glimpse');
    expect(config.port).toBe(3000);
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.mediaBaseUrl).toBe('http://localhost:3000/media');
    expect(config.dataDir).toBe('/srv/glimpse/data');
    expect(config.database).toEqual({ kind: 'pglite', dataDir: '/srv/glimpse/data/pg' });
    expect(config.redis).toBeNull();
    expect(config.amqp).toBeNull();
    expect(config.s3).toBeNull();
    expect(config.jwtSecret).toBeNull();
  });

  it('switches each part to its service adapter when its variable is set', () => {
    const config = loadConfig({
      PORT: '8080',
      DATA_DIR: '/var/lib/glimpse',
      DATABASE_URL: 'postgres://db.internal/glimpse',
      REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7001',
      S3_BUCKET: 'photos',
      S3_ENDPOINT: 'http://127.0.0.1:7480',
      S3_ACCESS_KEY_ID: 'k',
      S3_SECRET_ACCESS_KEY: 's',
      S3_FORCE_PATH_STYLE: 'false',
      JWT_SECRET: 'x'.repeat(32),
      PUBLIC_URL: 'https://glimpse.example',
      MEDIA_BASE_URL: 'https://cdn.example/m',
      TRUST_PROXY: '10.0.0.0/8, 127.0.0.1',
    });
    expect(config.port).toBe(8080);
    expect(config.database).toEqual({
      kind: 'postgres',
      url: 'postgres://db.internal/glimpse',
      poolSize: 10,
    });
    expect(config.redis).toEqual({
      kind: 'cluster',
      keyPrefix: 'glimpse:',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
    });
    expect(config.s3).toMatchObject({
      bucket: 'photos',
      forcePathStyle: false,
      credentials: { accessKeyId: 'k' },
    });
    expect(config.mediaBaseUrl).toBe('https://cdn.example/m');
    expect(config.trustProxy).toBe('10.0.0.0/8, 127.0.0.1');
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'off' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'loopback, ::1, fd00::/8' }).trustProxy).toBe('loopback, ::1, fd00::/8');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be a whole number (got "abc")'],
    [{ PORT: '70000' }, 'PORT must be at most 65535 (got "70000")'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL is not one of the accepted values (got "loud")'],
    [{ DATABASE_URL: 'mysql://x', JWT_SECRET: 'x'.repeat(32) }, 'DATABASE_URL has an invalid format'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL has an invalid format'],
    [
      { PUBLIC_URL: 'glimpse.example' },
      'PUBLIC_URL has an invalid format (expected an origin such as https://glimpse.example) (got "glimpse.example")',
    ],
    [
      { S3_FORCE_PATH_STYLE: 'maybe', S3_BUCKET: 'b' },
      'S3_FORCE_PATH_STYLE must be true or false (got "maybe")',
    ],
    [{ DATABASE_URL: 'postgres://db/x' }, 'JWT_SECRET is required with DATABASE_URL'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET must be at least 32 characters'],
    [{ S3_ENDPOINT: 'http://127.0.0.1:7480' }, 'S3_BUCKET is required when S3_ENDPOINT is set'],
    [
      { S3_BUCKET: 'b', S3_ACCESS_KEY_ID: 'k' },
      'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together',
    ],
    [
      { REDIS_URL: 'redis://x', REDIS_CLUSTER_NODES: 'a:1' },
      'REDIS_URL and REDIS_CLUSTER_NODES are exclusive',
    ],
  ])('names the variable and the problem: %j', (env, message) => {
    expect(problemsOf(env).some((p) => p.startsWith(message))).toBe(true);
  });

  it('reports every bad variable at once', () => {
    expect(problemsOf({ PORT: '-1', LOG_LEVEL: 'x', SHUTDOWN_GRACE_SECONDS: 'soon' })).toHaveLength(3);
  });

  it('never echoes a secret back', () => {
    const problems = problemsOf({ JWT_SECRET: 'hunter2-but-short', DATABASE_URL: 'mysql://user:pw@x' });
    expect(problems.join('\n')).not.toContain('hunter2');
    expect(problems.join('\n')).not.toContain('pw@x');
  });
});

import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { Type, type Static } from 'typebox';

/**
 * Every environment variable Glimpse reads, in one schema. This module is the only reader of
 * process.env (main.ts passes it in); everything else receives the parsed Config.
 */
const Env = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'HTTP port' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'interface to listen on' }),
  PUBLIC_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^/?#\\s]+$',
      description: 'an origin such as https://glimpse.example',
    }),
  ),
  MEDIA_BASE_URL: Type.Optional(Type.String({ pattern: '^https?://[^?#\\s]+[^/?#\\s]$' })),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  LOG_FORMAT: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('pretty')])),
  TRUST_PROXY: Type.String({ minLength: 1, default: 'false' }),
  SHUTDOWN_GRACE_SECONDS: Type.Integer({ minimum: 1, maximum: 600, default: 10 }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  REDIS_CLUSTER_NODES: Type.Optional(
    Type.String({ pattern: '^[^\\s,:]+:\\d{1,5}(,[^\\s,:]+:\\d{1,5})*$', description: 'host:port,...' }),
  ),
  REDIS_KEY_PREFIX: Type.String({ pattern: '^[A-Za-z0-9:_.-]*$', default: 'glimpse:' }),
  AMQP_URL: Type.Optional(Type.String({ pattern: '^amqps?://' })),
  AMQP_QUEUE_PREFIX: Type.String({ pattern: '^[A-Za-z0-9_.-]*$', default: '' }),
  S3_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  S3_BUCKET: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' })),
  S3_REGION: Type.String({ minLength: 1, default: 'us-east-1' }),
  S3_ACCESS_KEY_ID: Type.Optional(Type.String({ minLength: 1 })),
  S3_SECRET_ACCESS_KEY: Type.Optional(Type.String({ minLength: 1 })),
  S3_FORCE_PATH_STYLE: Type.Boolean({ default: true }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32, description: 'at least 32 characters' })),
  REFRESH_TOKEN_TTL_DAYS: Type.Integer({ minimum: 1, maximum: 365, default: 30 }),
  MEDIA_QUOTA_BYTES: Type.Integer({ minimum: 0, default: 0, description: '0 for unlimited' }),
  MEDIA_UPLOADS_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 100_000, default: 100 }),
  LIKES_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 100_000, default: 60 }),
  COMMENTS_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 100_000, default: 30 }),
  NOTIFICATIONS_HEARTBEAT_SECONDS: Type.Number({ minimum: 0.05, maximum: 300, default: 20 }),
  FEED_TIMELINE_CAP: Type.Integer({ minimum: 20, maximum: 10_000, default: 800 }),
  FEED_ACTIVE_DAYS: Type.Integer({ minimum: 1, maximum: 3650, default: 30 }),
  CELEBRITY_FOLLOWERS: Type.Integer({ minimum: 1, default: 10_000 }),
  FEED_BACKFILL_POSTS: Type.Integer({ minimum: 0, maximum: 10_000, default: 20 }),
  FEED_FANOUT_BATCH: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
});
type Env = Static<typeof Env>;

/** Values never echoed back in error messages. */
const SECRET_VARS = new Set(['JWT_SECRET', 'S3_SECRET_ACCESS_KEY', 'DATABASE_URL', 'REDIS_URL', 'AMQP_URL']);

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly publicUrl: string;
  readonly mediaBaseUrl: string;
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  /** null: pretty on a terminal, JSON lines otherwise (decided by main.ts, which sees stdout). */
  readonly logFormat: 'json' | 'pretty' | null;
  /** true (trust every hop), false, or the proxy addresses/CIDRs to trust. */
  readonly trustProxy: boolean | string;
  readonly shutdownGraceMs: number;
  readonly database:
    { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string; poolSize: number };
  readonly redis:
    | null
    | { kind: 'single'; url: string; keyPrefix: string }
    | { kind: 'cluster'; nodes: { host: string; port: number }[]; keyPrefix: string };
  readonly amqp: null | { url: string; queuePrefix: string };
  readonly s3: null | {
    endpoint: string | undefined;
    bucket: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
    forcePathStyle: boolean;
  };
  /** null in the embedded shape: a secret is generated once and kept in DATA_DIR. */
  readonly jwtSecret: string | null;
  readonly refreshTokenTtlMs: number;
  readonly media: {
    /** Bytes of originals one user may keep; null for unlimited. */
    readonly quotaBytes: number | null;
    readonly uploadsPerMinute: number;
  };
  readonly feed: FeedSettings;
  /** How often an open notification stream gets a heartbeat (and its session is re-checked). */
  readonly notifications: { readonly heartbeatMs: number };
  /** Per-user budgets; likes and unlikes share one. */
  readonly engagement: { readonly likesPerMinute: number; readonly commentsPerMinute: number };
}

/** The home feed's knobs (feed/fanout.ts explains each). */
export interface FeedSettings {
  /** Newest post ids kept per timeline. */
  readonly timelineCap: number;
  /** Followers who have not read their feed for this long are skipped by fan-out. */
  readonly activeDays: number;
  /** Authors with more approved followers than this are pulled by readers instead of pushed. */
  readonly celebrityFollowers: number;
  /** Posts of a new followee copied into the follower's timeline. */
  readonly backfillPosts: number;
  /** Followers read and written per fan-out round trip. */
  readonly fanoutBatch: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const ajv = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: true, strict: false, verbose: true });
const validateEnv = ajv.compile<Env>(Env);

function describe(error: ErrorObject, raw: Record<string, string | undefined>): string | null {
  const name = error.instancePath.replace(/^\//, '').split('/')[0] ?? '';
  if (!name) return null;
  const { description } = (error.parentSchema ?? {}) as { description?: string };
  let what: string;
  switch (error.keyword) {
    case 'type':
      what = `must be ${error.params.type === 'integer' ? 'a whole number' : `a ${String(error.params.type)}`}`;
      break;
    case 'minimum':
    case 'maximum':
      what = `must be ${error.keyword === 'minimum' ? 'at least' : 'at most'} ${String(error.params.limit)}`;
      break;
    case 'minLength':
      what = description
        ? `must be ${description}`
        : `must be at least ${String(error.params.limit)} characters`;
      break;
    case 'pattern':
      what = `has an invalid format${description ? ` (expected ${description})` : ''}`;
      break;
    case 'anyOf':
    case 'const':
      what = 'is not one of the accepted values';
      break;
    default:
      what = error.message ?? 'is invalid';
  }
  const value = raw[name];
  return SECRET_VARS.has(name) || value === undefined
    ? `${name} ${what}`
    : `${name} ${what} (got ${JSON.stringify(value)})`;
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

function parseBool(name: string, value: string, problems: string[]): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  problems.push(`${name} must be true or false (got ${JSON.stringify(value)})`);
  return undefined;
}

const PROXY_KEYWORDS = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * true trusts every hop, false none; anything else lists the proxies to trust (addresses,
 * CIDRs, or proxy-addr's keywords). Fastify does not honour hop counts (it fails closed), so
 * they are refused here rather than silently ignored.
 */
function parseTrustProxy(value: string, problems: string[]): boolean | string {
  const v = value.trim().toLowerCase();
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  const entries = value.split(',').map((e) => e.trim());
  const bad = entries.filter((e) => {
    if (PROXY_KEYWORDS.includes(e)) return false;
    const [address = '', bits, extra] = e.split('/');
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    return (
      family === 0 ||
      extra !== undefined ||
      (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))
    );
  });
  if (bad.length > 0) {
    problems.push(
      `TRUST_PROXY must be true, false, or proxy addresses/CIDRs separated by commas (not understood: ${bad.map((b) => JSON.stringify(b)).join(', ')})`,
    );
  }
  return value;
}

/** Parses and checks the environment once; throws ConfigError naming every bad variable. */
export function loadConfig(environment: Record<string, string | undefined>, cwd = process.cwd()): Config {
  const keys = Object.keys(Env.properties) as (keyof Env)[];
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const key of keys) {
    const value = environment[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  if (typeof raw.S3_FORCE_PATH_STYLE === 'string') {
    const parsed = parseBool('S3_FORCE_PATH_STYLE', raw.S3_FORCE_PATH_STYLE, problems);
    if (parsed === undefined) delete raw.S3_FORCE_PATH_STYLE;
    else raw.S3_FORCE_PATH_STYLE = parsed;
  }
  const trustProxy = typeof raw.TRUST_PROXY === 'string' ? parseTrustProxy(raw.TRUST_PROXY, problems) : false;
  if (!validateEnv(raw)) {
    const seen = new Set<string>();
    for (const error of validateEnv.errors ?? []) {
      const line = describe(error, environment);
      const name = line?.split(' ')[0];
      if (line && name && !seen.has(name)) {
        seen.add(name);
        problems.push(line);
      }
    }
  }
  const env = raw as Env;
  if (env.REDIS_URL && env.REDIS_CLUSTER_NODES) {
    problems.push('REDIS_URL and REDIS_CLUSTER_NODES are exclusive: set one of them');
  }
  const s3Vars = ['S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const;
  if (!env.S3_BUCKET && s3Vars.some((v) => env[v])) {
    problems.push(`S3_BUCKET is required when ${s3Vars.filter((v) => env[v]).join(', ')} is set`);
  }
  if (Boolean(env.S3_ACCESS_KEY_ID) !== Boolean(env.S3_SECRET_ACCESS_KEY)) {
    problems.push('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together');
  }
  if (env.DATABASE_URL && !env.JWT_SECRET) {
    problems.push(
      'JWT_SECRET is required with DATABASE_URL: every API process must sign with the same secret (at least 32 characters)',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const dataDir = isAbsolute(env.DATA_DIR) ? env.DATA_DIR : resolve(cwd, env.DATA_DIR);
  const publicUrl = env.PUBLIC_URL ?? `http://localhost:${env.PORT}`;
  return {
    port: env.PORT,
    host: env.HOST,
    publicUrl,
    mediaBaseUrl: env.MEDIA_BASE_URL ?? `${publicUrl}/media`,
    dataDir,
    logLevel: env.LOG_LEVEL as LogLevel,
    logFormat: env.LOG_FORMAT ?? null,
    trustProxy,
    shutdownGraceMs: env.SHUTDOWN_GRACE_SECONDS * 1000,
    database: env.DATABASE_URL
      ? { kind: 'postgres', url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE }
      : { kind: 'pglite', dataDir: resolve(dataDir, 'pg') },
    redis: env.REDIS_URL
      ? { kind: 'single', url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX }
      : env.REDIS_CLUSTER_NODES
        ? {
            kind: 'cluster',
            keyPrefix: env.REDIS_KEY_PREFIX,
            nodes: env.REDIS_CLUSTER_NODES.split(',').map((n) => {
              const at = n.lastIndexOf(':');
              return { host: n.slice(0, at), port: Number(n.slice(at + 1)) };
            }),
          }
        : null,
    amqp: env.AMQP_URL ? { url: env.AMQP_URL, queuePrefix: env.AMQP_QUEUE_PREFIX } : null,
    s3: env.S3_BUCKET
      ? {
          endpoint: env.S3_ENDPOINT,
          bucket: env.S3_BUCKET,
          region: env.S3_REGION,
          credentials:
            env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY
              ? { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY }
              : undefined,
          forcePathStyle: env.S3_FORCE_PATH_STYLE,
        }
      : null,
    jwtSecret: env.JWT_SECRET ?? null,
    refreshTokenTtlMs: env.REFRESH_TOKEN_TTL_DAYS * 86_400_000,
    media: {
      quotaBytes: env.MEDIA_QUOTA_BYTES > 0 ? env.MEDIA_QUOTA_BYTES : null,
      uploadsPerMinute: env.MEDIA_UPLOADS_PER_MINUTE,
    },
    feed: {
      timelineCap: env.FEED_TIMELINE_CAP,
      activeDays: env.FEED_ACTIVE_DAYS,
      celebrityFollowers: env.CELEBRITY_FOLLOWERS,
      backfillPosts: env.FEED_BACKFILL_POSTS,
      fanoutBatch: env.FEED_FANOUT_BATCH,
    },
    notifications: { heartbeatMs: Math.round(env.NOTIFICATIONS_HEARTBEAT_SECONDS * 1000) },
    engagement: {
      likesPerMinute: env.LIKES_PER_MINUTE,
      commentsPerMinute: env.COMMENTS_PER_MINUTE,
    },
  };
}

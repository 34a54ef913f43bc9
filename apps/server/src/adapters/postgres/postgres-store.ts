import { createHash } from 'node:crypto';
import {
  Kysely,
  PostgresDialect,
  sql,
  type PostgresCursor,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryResult,
} from 'kysely';
import pg from 'pg';
import { PREPARED_MARK } from '../../db/prepared.js';
import type { Database } from '../../db/schema.js';
import {
  StoreUnavailableError,
  type RelationalStore,
  type SqlSession,
} from '../../ports/relational-store.js';

export interface PostgresOptions {
  readonly url: string;
  readonly poolSize: number;
  readonly applicationName?: string;
  /** How long a query waits for a free connection before it fails with StoreUnavailableError. */
  readonly acquireTimeoutMs?: number;
}

/** PostgreSQL through node-postgres: int8 stays a decimal string, as everywhere in Glimpse. */
export function openPostgres(options: PostgresOptions): RelationalStore {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    application_name: options.applicationName ?? 'glimpse',
    connectionTimeoutMillis: options.acquireTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its server emits 'error' on the pool; without a listener that
  // would crash the process instead of failing the next query.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparing(pool) }) });

  return {
    kind: 'postgres',
    db,
    async withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
      const client = await acquire(pool);
      let broken = false;
      try {
        return await fn({
          async exec(script) {
            await client.query(script);
          },
          async query<R>(text: string, params: readonly unknown[] = []) {
            return (await client.query(text, params as unknown[])).rows as R[];
          },
        });
      } catch (err) {
        broken = true;
        throw err;
      } finally {
        // A failed session may hold a lock or an open transaction: discard it rather than reuse it.
        client.release(broken);
      }
    },
    async listen(channel: string, onNotify: () => void) {
      return listenWithReconnect(options.url, channel, onNotify);
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

/**
 * A connection from the pool. Failing to get one (the wait timed out, the server refused) is
 * a StoreUnavailableError: overload or an outage, not a bug in the request.
 */
async function acquire(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (err) {
    throw new StoreUnavailableError(err);
  }
}

/**
 * The pool as Kysely sees it, except that statements marked by `prepared` (db/prepared.ts) run
 * as named prepared statements: node-postgres parses them once per connection and PostgreSQL
 * plans them once (or until it settles on a generic plan).
 */
function preparing(pool: pg.Pool): PostgresPool {
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (!name) names.set(text, (name = `glimpse_${createHash('sha1').update(text).digest('hex')}`));
    return name;
  };
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    function query<R>(text: string, values: readonly unknown[]): Promise<PostgresQueryResult<R>>;
    function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
    // node-postgres's result is what Kysely's own pg driver hands on; its types differ only in detail.
    function query(text: string | PostgresCursor<unknown>, values: readonly unknown[] = []): unknown {
      // Kysely only passes a cursor when the dialect is configured for streaming; this one is not.
      if (typeof text !== 'string') throw new Error('streaming queries are not configured');
      const name = text.startsWith(PREPARED_MARK) ? { name: nameOf(text) } : {};
      return client.query({ text, values: [...values], ...name });
    }
    return { query, release: (destroy) => client.release(destroy) };
  };
  // One wrapper per connection: Kysely keeps its per-connection state keyed by the object.
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    options: pool.options,
    async connect() {
      const client = await acquire(pool);
      let wrapped = clients.get(client);
      if (!wrapped) clients.set(client, (wrapped = wrap(client)));
      return wrapped;
    },
    end: () => pool.end(),
  };
}

const CHANNEL = /^[a-z_][a-z0-9_]*$/;
const RELISTEN_DELAY_MS = 1_000;

/**
 * LISTEN on a dedicated connection (a pooled one would be handed to other queries). If it
 * drops, it reconnects after a pause and reports one notification, since it may have missed
 * some while away.
 */
async function listenWithReconnect(url: string, channel: string, onNotify: () => void) {
  if (!CHANNEL.test(channel)) throw new Error(`invalid channel name ${channel}`);
  let stopped = false;
  let current: pg.Client | null = null;
  let timer: NodeJS.Timeout | undefined;
  const retry = () => {
    if (!stopped) timer = setTimeout(() => void connect(), RELISTEN_DELAY_MS);
  };
  const connect = async () => {
    const client = new pg.Client({ connectionString: url, application_name: 'glimpse-listen' });
    client.on('notification', (message) => {
      if (message.channel === channel) onNotify();
    });
    client.on('error', () => {});
    client.on('end', () => {
      if (current !== client) return;
      current = null;
      onNotify();
      retry();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
      current = client;
    } catch {
      await client.end().catch(() => {});
      retry();
    }
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    const client = current;
    current = null;
    await client?.end().catch(() => {});
  };
}

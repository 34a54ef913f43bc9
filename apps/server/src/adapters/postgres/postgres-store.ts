import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../../db/schema.js';
import type { RelationalStore, SqlSession } from '../../ports/relational-store.js';

export interface PostgresOptions {
  readonly url: string;
  readonly poolSize: number;
  readonly applicationName?: string;
}

/** PostgreSQL through node-postgres: int8 stays a decimal string, as everywhere in Glimpse. */
export function openPostgres(options: PostgresOptions): RelationalStore {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    application_name: options.applicationName ?? 'glimpse',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its server emits 'error' on the pool; without a listener that
  // would crash the process instead of failing the next query.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });

  return {
    kind: 'postgres',
    db,
    async withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
      const client = await pool.connect();
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

import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * The store could not hand out a connection in time: every one was busy past the pool's wait,
 * or the server did not answer. Nothing ran, so the request may be retried; HTTP answers 503.
 */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the database could not be reached: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'StoreUnavailableError';
  }
}

/** One dedicated database session: what the migrator needs for advisory locks and scripts. */
export interface SqlSession {
  /** Runs a multi-statement script without parameters (simple query protocol). */
  exec(script: string): Promise<void>;
  query<R>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

/**
 * The relational store: PostgreSQL is the source of truth for every row. Adapters hand out a
 * Kysely instance (the query builder is shared; only the dialect differs) so repositories are
 * written once and run unchanged on PGlite and on PostgreSQL.
 */
export interface RelationalStore {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Kysely<Database>;
  withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` for every NOTIFY on `channel` (sent with pg_notify, delivered at commit).
   * A hint to wake up, never the only path: a listener may miss one while reconnecting.
   * Resolves to the function that stops listening.
   */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

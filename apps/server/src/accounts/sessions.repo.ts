import { sql } from 'kysely';
import type { Executor } from '../db/executor.js';

export interface RefreshTokenState {
  session_id: string;
  user_id: string;
  token_expires_at: Date;
  used_at: Date | null;
  session_expires_at: Date;
  revoked_at: Date | null;
}

/** The session id takes its user's shard bits, so it lives wherever the user's rows live. */
export async function insertSession(
  db: Executor,
  session: { userId: string; expiresAt: Date; userAgent: string | null; ip: string | null },
): Promise<string> {
  const { id } = await db
    .insertInto('sessions')
    .values({
      id: sql<string>`next_id(shard_of(${session.userId}::bigint))`,
      user_id: session.userId,
      expires_at: session.expiresAt,
      user_agent: session.userAgent,
      ip: session.ip,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function insertRefreshToken(
  db: Executor,
  token: { hash: Buffer; sessionId: string; userId: string; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('refresh_tokens')
    .values({
      token_hash: token.hash,
      session_id: token.sessionId,
      user_id: token.userId,
      expires_at: token.expiresAt,
    })
    .execute();
}

/**
 * Reads a refresh token with its session and locks the token's row: racing uses of one token
 * queue up here, and the one that waited sees the winner's `used_at` (PostgreSQL re-reads a
 * row locked FOR UPDATE after the wait; a joined row it did not lock would still show the old
 * snapshot), so exactly one use wins and the other is treated as reuse.
 */
export async function lockRefreshToken(db: Executor, hash: Buffer): Promise<RefreshTokenState | null> {
  const row = await db
    .selectFrom('refresh_tokens as t')
    .innerJoin('sessions as s', 's.id', 't.session_id')
    .select([
      't.session_id',
      't.user_id',
      't.expires_at as token_expires_at',
      't.used_at',
      's.expires_at as session_expires_at',
      's.revoked_at',
    ])
    .where('t.token_hash', '=', hash)
    .forUpdate('t')
    .executeTakeFirst();
  return row ?? null;
}

export async function markRefreshTokenUsed(db: Executor, hash: Buffer): Promise<void> {
  await db
    .updateTable('refresh_tokens')
    .set({ used_at: sql<Date>`now()` })
    .where('token_hash', '=', hash)
    .execute();
}

export async function extendSession(db: Executor, sessionId: string, expiresAt: Date): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ refreshed_at: sql<Date>`now()`, expires_at: expiresAt })
    .where('id', '=', sessionId)
    .execute();
}

/** Revokes the given live sessions of a user (all of them when `sessionIds` is omitted, minus `except`). */
export async function revokeSessions(
  db: Executor,
  userId: string,
  reason: string,
  options: { sessionIds?: readonly string[]; except?: string } = {},
): Promise<string[]> {
  let query = db
    .updateTable('sessions')
    .set({ revoked_at: sql<Date>`now()`, revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (options.sessionIds)
    query = query.where('id', 'in', options.sessionIds.length ? options.sessionIds : ['0']);
  if (options.except) query = query.where('id', '!=', options.except);
  const rows = await query.returning('id').execute();
  return rows.map((r) => r.id);
}

export async function sessionIsLive(db: Executor, sessionId: string): Promise<boolean> {
  const row = await db
    .selectFrom('sessions')
    .select('id')
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Deletes sessions that ended more than `graceMs` ago (revoked or expired) with their tokens
 * (ON DELETE CASCADE), and spent tokens of live sessions past their own expiry. Bounded per
 * call so a backlog never holds locks for long; returns how many rows went.
 */
export async function pruneSessions(db: Executor, graceMs: number, batch: number): Promise<number> {
  const cutoff = sql<Date>`now() - ${graceMs}::double precision * interval '1 millisecond'`;
  const sessions = await db
    .deleteFrom('sessions')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('sessions')
        .select('id')
        .where((w) => w.or([w('revoked_at', '<', cutoff), w('expires_at', '<', cutoff)]))
        .limit(batch),
    )
    .executeTakeFirst();
  const tokens = await db
    .deleteFrom('refresh_tokens')
    .where('token_hash', 'in', (eb) =>
      eb.selectFrom('refresh_tokens').select('token_hash').where('expires_at', '<', cutoff).limit(batch),
    )
    .executeTakeFirst();
  return Number(sessions.numDeletedRows) + Number(tokens.numDeletedRows);
}

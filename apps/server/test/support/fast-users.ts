import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { AccessTokens } from '../../src/accounts/tokens.js';
import type { TestApp } from './app.js';

/** A user made straight in the database, with a live session and an access token for it. */
export interface FastUser {
  readonly id: string;
  readonly username: string;
  readonly token: string;
}

const tokenIssuers = new WeakMap<TestApp, AccessTokens>();
/** Per process, so two files (or two runs against one database) never pick the same names. */
const run = randomBytes(3).toString('hex');
let batch = 0;

/**
 * Creates users without the API: registering costs an Argon2 hash (~50 ms) per user, far too
 * slow for tests that build hundreds of worlds. Two INSERTs for any number of users (the rows,
 * then one session each), then access tokens signed with the server's own secret, so the
 * server authenticates them exactly like tokens from a login. Nobody can log in with a
 * password: the hash is not an Argon2 one.
 */
export async function insertUsers(
  t: TestApp,
  specs: readonly { isPrivate?: boolean }[],
): Promise<FastUser[]> {
  if (specs.length === 0) return [];
  const prefix = `f${run}_${++batch}_`;
  const usernames = specs.map((_, i) => `${prefix}${i}`);
  if (usernames.some((u) => u.length > 30)) throw new Error('username too long');
  const { rows: users } = await sql<{ id: string; username: string }>`
    INSERT INTO users (username, email, password_hash, is_private)
    SELECT u, u || '@fast.example.com', 'not-a-password-hash', p
      FROM unnest(${usernames}::text[], ${specs.map((s) => s.isPrivate ?? false)}::boolean[]) AS x (u, p)
    RETURNING id, username`.execute(t.infra.store.db);
  const idOf = new Map(users.map((u) => [u.username, u.id]));
  const ids = usernames.map((u) => idOf.get(u)!);
  const { rows: sessions } = await sql<{ id: string; user_id: string }>`
    INSERT INTO sessions (id, user_id, expires_at)
    SELECT next_id(shard_of(u)), u, now() + interval '1 day' FROM unnest(${ids}::bigint[]) AS x (u)
    RETURNING id, user_id`.execute(t.infra.store.db);
  const sessionOf = new Map(sessions.map((s) => [s.user_id, s.id]));
  let issuer = tokenIssuers.get(t);
  if (!issuer) tokenIssuers.set(t, (issuer = new AccessTokens(t.infra.jwtSecret)));
  const tokenIssuer = issuer;
  return Promise.all(
    ids.map(async (id, i) => ({
      id,
      username: usernames[i]!,
      token: await tokenIssuer.issue({ userId: id, sessionId: sessionOf.get(id)! }),
    })),
  );
}

/** One user; see insertUsers. */
export async function insertUser(t: TestApp, spec: { isPrivate?: boolean } = {}): Promise<FastUser> {
  return (await insertUsers(t, [spec]))[0]!;
}

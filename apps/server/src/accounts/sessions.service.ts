import { createHash, randomBytes } from 'node:crypto';
import type { TokenPair } from '@glimpse/contract';
import type { Logger } from 'pino';
import type { Executor } from '../db/executor.js';
import { type AppError, rateLimited, unauthorized } from '../lib/errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { Cache } from '../ports/cache.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import { limits } from './limits.js';
import * as sessions from './sessions.repo.js';
import { ACCESS_TOKEN_TTL_SECONDS, type AccessTokens, TokenError, type AccessClaims } from './tokens.js';

/**
 * How long "this session is live" may be believed without asking PostgreSQL. Revocation
 * overwrites the entry at once; this bound only matters if that overwrite is lost (cache
 * down or flushed), and then a revoked session's access tokens die within a minute.
 */
const LIVE_SESSION_CACHE_MS = 60_000;
/** A revoked session stays revoked: remember it for as long as any of its access tokens lives. */
const REVOKED_SESSION_CACHE_MS = (ACCESS_TOKEN_TTL_SECONDS + 60) * 1000;
/** Ended sessions and spent tokens are kept this long after they end, then pruned. */
export const SESSION_RETENTION_MS = 7 * 86_400_000;

export interface ClientInfo {
  readonly ip: string | null;
  readonly userAgent: string | null;
}

const sessionKey = (sessionId: string) => `session:${sessionId}`;
const hashToken = (token: string) => createHash('sha256').update(token).digest();
const REFRESH_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface SessionServiceDeps {
  readonly db: Executor;
  readonly cache: Cache;
  readonly rateLimiter: RateLimiter;
  readonly tokens: AccessTokens;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly refreshTokenTtlMs: number;
}

/**
 * Sessions, refresh-token rotation with reuse detection, and access-token checks.
 * A refresh token is 256 random bits; only its SHA-256 is stored.
 */
export class SessionService {
  constructor(private readonly deps: SessionServiceDeps) {}

  /** Opens a session inside the caller's transaction (the same one that created or checked the user). */
  async open(trx: Executor, userId: string, client: ClientInfo): Promise<TokenPair> {
    const expiresAt = new Date(Date.now() + this.deps.refreshTokenTtlMs);
    const sessionId = await sessions.insertSession(trx, {
      userId,
      expiresAt,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ip: client.ip,
    });
    const refreshToken = await this.#newRefreshToken(trx, sessionId, userId, expiresAt);
    return this.#pair(userId, sessionId, refreshToken);
  }

  async refresh(refreshToken: string, client: ClientInfo): Promise<TokenPair> {
    const allowance = await this.deps.rateLimiter.consume(`refresh:ip:${client.ip}`, limits.refreshPerIp);
    if (!allowance.allowed) throw rateLimited(allowance.retryAfterSeconds);
    if (!REFRESH_TOKEN_SHAPE.test(refreshToken)) throw invalidRefreshToken();
    const hash = hashToken(refreshToken);
    const outcome = await this.deps.db.transaction().execute(async (trx) => {
      const state = await sessions.lockRefreshToken(trx, hash);
      const now = Date.now();
      if (!state) return { kind: 'invalid' as const };
      if (state.revoked_at) return { kind: 'revoked' as const };
      if (state.used_at) {
        // A spent token came back: someone holds a copy. Kill the whole family.
        await sessions.revokeSessions(trx, state.user_id, 'refresh_token_reuse', {
          sessionIds: [state.session_id],
        });
        return { kind: 'reused' as const, sessionId: state.session_id, userId: state.user_id };
      }
      if (state.token_expires_at.getTime() <= now || state.session_expires_at.getTime() <= now) {
        return { kind: 'expired' as const };
      }
      await sessions.markRefreshTokenUsed(trx, hash);
      const expiresAt = new Date(now + this.deps.refreshTokenTtlMs);
      await sessions.extendSession(trx, state.session_id, expiresAt);
      const next = await this.#newRefreshToken(trx, state.session_id, state.user_id, expiresAt);
      return {
        kind: 'rotated' as const,
        sessionId: state.session_id,
        userId: state.user_id,
        refreshToken: next,
      };
    });

    switch (outcome.kind) {
      case 'rotated':
        this.deps.metrics.authEvents.inc({ event: 'refresh_rotated' });
        return this.#pair(outcome.userId, outcome.sessionId, outcome.refreshToken);
      case 'reused':
        this.deps.metrics.authEvents.inc({ event: 'refresh_reused' });
        this.deps.log.warn(
          { userId: outcome.userId, sessionId: outcome.sessionId },
          'refresh token reuse: session revoked',
        );
        await this.#forget([outcome.sessionId]);
        throw unauthorized(
          'refresh_token_reused',
          'This refresh token was already used; the session has been ended.',
        );
      case 'revoked':
        throw unauthorized('session_revoked', 'This session has ended. Log in again.');
      case 'expired':
        throw unauthorized('refresh_token_expired', 'This session has expired. Log in again.');
      case 'invalid':
        throw invalidRefreshToken();
    }
  }

  /** Ends the session the token belongs to. Unknown or spent tokens are ignored: logout always succeeds. */
  async logout(refreshToken: string): Promise<void> {
    if (!REFRESH_TOKEN_SHAPE.test(refreshToken)) return;
    const ended = await this.deps.db.transaction().execute(async (trx) => {
      const state = await sessions.lockRefreshToken(trx, hashToken(refreshToken));
      if (!state || state.revoked_at) return [];
      return sessions.revokeSessions(trx, state.user_id, 'logout', { sessionIds: [state.session_id] });
    });
    await this.#forget(ended);
  }

  /** Ends every live session of the user except `keep` (password change). */
  async revokeOthers(userId: string, keep: string, reason: string): Promise<number> {
    const ended = await sessions.revokeSessions(this.deps.db, userId, reason, { except: keep });
    await this.#forget(ended);
    return ended.length;
  }

  /** Checks an access token and that its session is still live. */
  async authenticate(accessToken: string): Promise<AccessClaims> {
    let claims: AccessClaims;
    try {
      claims = await this.deps.tokens.verify(accessToken);
    } catch (err) {
      if (err instanceof TokenError && err.reason === 'expired') {
        throw unauthorized('token_expired', 'The access token has expired; refresh it.');
      }
      throw unauthorized('invalid_token', 'The access token is not valid.');
    }
    if (!(await this.#isLive(claims.sessionId))) {
      throw unauthorized('session_revoked', 'This session has ended. Log in again.');
    }
    return claims;
  }

  async #isLive(sessionId: string): Promise<boolean> {
    const key = sessionKey(sessionId);
    try {
      const cached = await this.deps.cache.get(key);
      if (cached !== null) return cached === '1';
    } catch (err) {
      this.deps.metrics.fallbacks.inc({ dependency: 'cache', operation: 'session_check' });
      this.deps.log.debug({ err }, 'session cache unavailable; asking the database');
    }
    const live = await sessions.sessionIsLive(this.deps.db, sessionId);
    await this.deps.cache
      .set(key, live ? '1' : '0', live ? LIVE_SESSION_CACHE_MS : REVOKED_SESSION_CACHE_MS)
      .catch(() => {});
    return live;
  }

  /** Overwrites the cached "live" verdicts, so the sessions' access tokens stop working now. */
  async #forget(sessionIds: readonly string[]): Promise<void> {
    await Promise.all(
      sessionIds.map((id) =>
        this.deps.cache.set(sessionKey(id), '0', REVOKED_SESSION_CACHE_MS).catch((err: unknown) => {
          this.deps.log.warn({ err, sessionId: id }, 'could not mark a revoked session in the cache');
        }),
      ),
    );
  }

  async #newRefreshToken(trx: Executor, sessionId: string, userId: string, expiresAt: Date): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await sessions.insertRefreshToken(trx, { hash: hashToken(token), sessionId, userId, expiresAt });
    return token;
  }

  async #pair(userId: string, sessionId: string, refreshToken: string): Promise<TokenPair> {
    const accessToken = await this.deps.tokens.issue({ userId, sessionId });
    return { accessToken, refreshToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS };
  }
}

const invalidRefreshToken = (): AppError =>
  unauthorized('invalid_refresh_token', 'This refresh token is not valid. Log in again.');

import type {
  AuthResult,
  ChangePasswordBody,
  LoginBody,
  Me,
  RegisterBody,
  UpdateMeBody,
} from '@glimpse/contract';
import type { Logger } from 'pino';
import type { Executor, Trx } from '../db/executor.js';
import {
  AppError,
  conflict,
  forbidden,
  invalidFields,
  notFound,
  rateLimited,
  uniqueViolation,
} from '../lib/errors.js';
import type { MediaUrls } from '../media/media-view.js';
import type { Metrics } from '../observability/metrics.js';
import type { RateLimiter, RateRule } from '../ports/rate-limiter.js';
import * as accounts from './accounts.repo.js';
import { limits } from './limits.js';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from './passwords.js';
import type { ClientInfo, SessionService } from './sessions.service.js';
import { toMe } from './user-view.js';

export interface AccountServiceDeps {
  readonly db: Executor;
  readonly rateLimiter: RateLimiter;
  readonly sessions: SessionService;
  readonly mediaUrls: MediaUrls;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** A private account turned public: what is waiting for it (pending follow requests) is settled. */
  readonly onBecamePublic?: (trx: Trx, userId: string) => Promise<void>;
}

const INVALID_CREDENTIALS = () =>
  new AppError(401, 'invalid_credentials', 'The username, email or password is not correct.');

export class AccountService {
  constructor(private readonly deps: AccountServiceDeps) {}

  async register(body: RegisterBody, client: ClientInfo): Promise<AuthResult> {
    await this.#limit(`register:ip:${client.ip}`, limits.registerPerIp);
    const username = body.username.toLowerCase();
    checkPasswordStrength(body.password, username, body.email);
    // Answer "taken" before spending ~50 ms of Argon2 on a doomed request; the unique
    // indexes below still decide races.
    const taken = await accounts.usernameOrEmailTaken(this.deps.db, username, body.email);
    if (taken) throw takenError(taken);
    const passwordHash = await hashPassword(body.password);
    try {
      return await this.deps.db.transaction().execute(async (trx) => {
        const userId = await accounts.insertUser(trx, { username, email: body.email, passwordHash });
        const tokens = await this.deps.sessions.open(trx, userId, client);
        return { user: await this.#me(trx, userId), ...tokens };
      });
    } catch (err) {
      const constraint = uniqueViolation(err);
      if (constraint === 'users_username_key') throw takenError('username');
      if (constraint === 'users_email_key') throw takenError('email');
      throw err;
    }
  }

  async login(body: LoginBody, client: ClientInfo): Promise<AuthResult> {
    await this.#limit(`login:ip:${client.ip}`, limits.loginPerIp);
    const credentials = await accounts.findCredentials(this.deps.db, body.login);
    const failureKey = `password-failures:${credentials ? `user:${credentials.id}` : `login:${body.login.toLowerCase()}`}`;
    const allowance = await this.deps.rateLimiter.peek(failureKey, limits.passwordFailuresPerAccount);
    if (!allowance.allowed) throw rateLimited(allowance.retryAfterSeconds);

    const ok = credentials
      ? await verifyPassword(credentials.password_hash, body.password)
      : await verifyAgainstDummy(body.password);
    if (!credentials || !ok) {
      await this.deps.rateLimiter.consume(failureKey, limits.passwordFailuresPerAccount);
      this.deps.metrics.authEvents.inc({ event: 'login_failed' });
      throw INVALID_CREDENTIALS();
    }
    if (needsRehash(credentials.password_hash)) {
      await accounts.updatePasswordHash(this.deps.db, credentials.id, await hashPassword(body.password));
    }
    this.deps.metrics.authEvents.inc({ event: 'login_succeeded' });
    return this.deps.db.transaction().execute(async (trx) => {
      const tokens = await this.deps.sessions.open(trx, credentials.id, client);
      return { user: await this.#me(trx, credentials.id), ...tokens };
    });
  }

  getMe(userId: string): Promise<Me> {
    return this.#me(this.deps.db, userId);
  }

  async updateMe(userId: string, patch: UpdateMeBody): Promise<Me> {
    if (patch.avatarMediaId) {
      const media = await accounts.findOwnedMedia(this.deps.db, userId, patch.avatarMediaId);
      if (!media) throw notFound('media');
      if (media.status !== 'ready') {
        throw conflict(
          'media_not_ready',
          'That photo is still being processed (or failed); pick a ready one.',
        );
      }
    }
    await this.deps.db.transaction().execute(async (trx) => {
      // Read under lock: two concurrent switches must not both see "was private".
      const wasPrivate = await accounts.lockPrivacy(trx, userId);
      await accounts.updateProfile(trx, userId, {
        ...(patch.displayName !== undefined && { display_name: patch.displayName }),
        ...(patch.bio !== undefined && { bio: patch.bio }),
        ...(patch.isPrivate !== undefined && { is_private: patch.isPrivate }),
        ...(patch.avatarMediaId !== undefined && { avatar_media_id: patch.avatarMediaId }),
      });
      if (wasPrivate && patch.isPrivate === false) await this.deps.onBecamePublic?.(trx, userId);
    });
    return this.#me(this.deps.db, userId);
  }

  /** Changes the password and ends every other session; the caller's own session stays. */
  async changePassword(userId: string, sessionId: string, body: ChangePasswordBody): Promise<void> {
    const failureKey = `password-failures:user:${userId}`;
    const allowance = await this.deps.rateLimiter.peek(failureKey, limits.passwordFailuresPerAccount);
    if (!allowance.allowed) throw rateLimited(allowance.retryAfterSeconds);
    const hash = await accounts.findPasswordHash(this.deps.db, userId);
    if (!hash) throw notFound('account');
    if (!(await verifyPassword(hash, body.currentPassword))) {
      await this.deps.rateLimiter.consume(failureKey, limits.passwordFailuresPerAccount);
      throw forbidden('wrong_password', 'The current password is not correct.');
    }
    if (body.newPassword === body.currentPassword) {
      throw invalidFields({ newPassword: 'must differ from the current password' });
    }
    const me = await this.#me(this.deps.db, userId);
    checkPasswordStrength(body.newPassword, me.username, me.email, 'newPassword');
    await accounts.updatePasswordHash(this.deps.db, userId, await hashPassword(body.newPassword));
    const ended = await this.deps.sessions.revokeOthers(userId, sessionId, 'password_changed');
    this.deps.log.info({ userId, endedSessions: ended }, 'password changed');
  }

  async #me(db: Executor, userId: string): Promise<Me> {
    const record = await accounts.findUserById(db, userId);
    if (!record) throw notFound('account');
    return toMe(record, this.deps.mediaUrls);
  }

  async #limit(key: string, rule: RateRule): Promise<void> {
    const decision = await this.deps.rateLimiter.consume(key, rule);
    if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds);
  }
}

function takenError(what: 'username' | 'email'): AppError {
  return what === 'username'
    ? conflict('username_taken', 'That username is taken.')
    : conflict('email_taken', 'An account with that email already exists.');
}

/** Length is checked by the schema; this refuses the guessable choices a schema cannot see. */
function checkPasswordStrength(password: string, username: string, email: string, field = 'password'): void {
  const lower = password.toLowerCase();
  if (lower === username || lower === email.toLowerCase() || lower === email.split('@')[0]!.toLowerCase()) {
    throw invalidFields({ [field]: 'must not be your username or email address' });
  }
  if (new Set(password).size < 3) {
    throw invalidFields({ [field]: 'is too easy to guess (use more different characters)' });
  }
}

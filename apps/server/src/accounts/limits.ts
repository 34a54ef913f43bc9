import type { RateRule } from '../ports/rate-limiter.js';

const MINUTE = 60_000;

/** Rate limits of the account routes. Keys are per client IP or per account, never global. */
export const limits = {
  /** Sign-ups from one address: enough for a family or a class, not for a bot farm. */
  registerPerIp: { limit: 20, periodMs: 60 * MINUTE },
  /** Login attempts from one address, successful or not. */
  loginPerIp: { limit: 30, periodMs: MINUTE },
  /**
   * Failed password checks against one account (login or password change), from anywhere.
   * Only failures count, so the owner typing the right password is never the one blocked.
   */
  passwordFailuresPerAccount: { limit: 10, periodMs: 15 * MINUTE },
  refreshPerIp: { limit: 120, periodMs: MINUTE },
} as const satisfies Record<string, RateRule>;

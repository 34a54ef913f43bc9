import { rateLimited } from '../lib/errors.js';
import type { RateLimiter, RateRule } from '../ports/rate-limiter.js';

const MINUTE = 60_000;

/** Per-user budgets (config: LIKES_PER_MINUTE, COMMENTS_PER_MINUTE). */
export interface EngagementLimits {
  /** Likes and unlikes together: a like/unlike loop is the spam this stops. */
  readonly likesPerMinute: number;
  readonly commentsPerMinute: number;
}

export const perMinute = (limit: number): RateRule => ({ limit, periodMs: MINUTE });

/**
 * Spends one unit of the user's budget, or answers 429 with Retry-After. The limiter is Redis
 * in the service shape, so the budget holds across API processes; per process when embedded.
 */
export async function spend(limiter: RateLimiter, key: string, rule: RateRule): Promise<void> {
  const decision = await limiter.consume(key, rule);
  if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds);
}

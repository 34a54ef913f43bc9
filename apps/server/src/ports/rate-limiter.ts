/** `limit` events per `periodMs`, with bursts of up to `limit` (GCRA). */
export interface RateRule {
  readonly limit: number;
  readonly periodMs: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** Whole seconds until the next event would be allowed (0 when allowed). */
  readonly retryAfterSeconds: number;
  /** Events still allowed right now, after this one. */
  readonly remaining: number;
}

/**
 * Counters for rate limits, shared by every API process in the service shape (Redis) and
 * per process in the embedded shape.
 */
export interface RateLimiter {
  /** Records one event for `key` if the rule allows it. */
  consume(key: string, rule: RateRule): Promise<RateDecision>;
  /** Tells whether one more event would be allowed, recording nothing. */
  peek(key: string, rule: RateRule): Promise<RateDecision>;
  reset(key: string): Promise<void>;
}

import type { RateDecision, RateRule } from '../../ports/rate-limiter.js';

/**
 * Generic cell rate algorithm: one stored number per key, the theoretical arrival time (TAT)
 * of the next event. `limit` events fit in `periodMs`, spaced `periodMs / limit` apart on
 * average, with bursts up to `limit`. The Redis adapter runs the same arithmetic in Lua.
 */
export function gcra(
  storedTat: number | null,
  now: number,
  rule: RateRule,
): { decision: RateDecision; newTat: number | null } {
  const interval = rule.periodMs / rule.limit;
  const tat = Math.max(storedTat ?? now, now);
  const newTat = tat + interval;
  const allowAt = newTat - rule.periodMs;
  if (now < allowAt) {
    return {
      decision: {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((allowAt - now) / 1000)),
        remaining: 0,
      },
      newTat: null,
    };
  }
  return {
    decision: {
      allowed: true,
      retryAfterSeconds: 0,
      remaining: Math.floor((rule.periodMs - (newTat - now)) / interval + 1e-9),
    },
    newTat,
  };
}

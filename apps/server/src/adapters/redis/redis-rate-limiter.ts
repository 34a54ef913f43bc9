import type { RateDecision, RateLimiter, RateRule } from '../../ports/rate-limiter.js';
import { redisKeys } from './keys.js';
import type { RedisClient } from './redis-client.js';

/**
 * GCRA in one atomic script (the same arithmetic as adapters/memory/gcra.ts), timed by the
 * Redis server's clock so that API processes with skewed clocks agree.
 * Returns {allowed, retryAfterMs, remaining}.
 */
const GCRA_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local period = tonumber(ARGV[1])
local interval = period / tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - period
if now < allow_at then
  return {0, math.ceil(allow_at - now), 0}
end
if ARGV[3] == '1' then
  redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', math.ceil(new_tat - now))
end
return {1, 0, math.floor((period - (new_tat - now)) / interval + 1e-9)}
`;

type GcraClient = RedisClient & {
  gcra(key: string, periodMs: number, limit: number, consume: '0' | '1'): Promise<[number, number, number]>;
};

/**
 * Limits shared by every API process. While Redis is unreachable it degrades to `fallback`
 * (per-process limits) instead of failing requests or letting everything through.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: GcraClient;

  constructor(
    redis: RedisClient,
    private readonly fallback: RateLimiter,
    private readonly onFallback: (err: unknown) => void = () => {},
  ) {
    redis.defineCommand('gcra', { numberOfKeys: 1, lua: GCRA_SCRIPT });
    this.#redis = redis as GcraClient;
  }

  consume(key: string, rule: RateRule): Promise<RateDecision> {
    return this.#run(key, rule, '1').catch((err: unknown) => {
      this.onFallback(err);
      return this.fallback.consume(key, rule);
    });
  }

  peek(key: string, rule: RateRule): Promise<RateDecision> {
    return this.#run(key, rule, '0').catch((err: unknown) => {
      this.onFallback(err);
      return this.fallback.peek(key, rule);
    });
  }

  async reset(key: string): Promise<void> {
    await Promise.all([
      this.#redis.del(redisKeys.rate(key)).catch(this.onFallback),
      this.fallback.reset(key),
    ]);
  }

  async #run(key: string, rule: RateRule, consume: '0' | '1'): Promise<RateDecision> {
    const [allowed, retryAfterMs, remaining] = await this.#redis.gcra(
      redisKeys.rate(key),
      rule.periodMs,
      rule.limit,
      consume,
    );
    return allowed === 1
      ? { allowed: true, retryAfterSeconds: 0, remaining }
      : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)), remaining: 0 };
  }
}

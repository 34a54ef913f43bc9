import type { RateDecision, RateLimiter, RateRule } from '../../ports/rate-limiter.js';
import { gcra } from './gcra.js';

/** Per-process rate limits (the embedded shape, and the fallback while Redis is down). */
export class MemoryRateLimiter implements RateLimiter {
  readonly #tats = new Map<string, number>();
  #writes = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly sweepEvery = 10_000,
  ) {}

  async consume(key: string, rule: RateRule): Promise<RateDecision> {
    const { decision, newTat } = gcra(this.#tats.get(key) ?? null, this.now(), rule);
    if (newTat !== null) {
      this.#tats.set(key, newTat);
      if (++this.#writes % this.sweepEvery === 0) this.#sweep();
    }
    return decision;
  }

  async peek(key: string, rule: RateRule): Promise<RateDecision> {
    return gcra(this.#tats.get(key) ?? null, this.now(), rule).decision;
  }

  async reset(key: string): Promise<void> {
    this.#tats.delete(key);
  }

  /** A TAT in the past means the key is back to a full allowance: forget it. */
  #sweep(): void {
    const now = this.now();
    for (const [key, tat] of this.#tats) if (tat <= now) this.#tats.delete(key);
  }
}

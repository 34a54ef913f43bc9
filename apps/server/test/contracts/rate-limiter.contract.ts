import { describe, expect, it } from 'vitest';
import type { RateLimiter } from '../../src/ports/rate-limiter.js';

/** What every RateLimiter adapter must do. */
export function rateLimiterContract(name: string, make: () => RateLimiter) {
  describe(`RateLimiter contract: ${name}`, () => {
    const rule = { limit: 5, periodMs: 60_000 };

    it('allows `limit` events, then refuses with a Retry-After', async () => {
      const limiter = make();
      const decisions = [];
      for (let i = 0; i < 7; i++) decisions.push(await limiter.consume('burst', rule));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false]);
      expect(decisions.slice(0, 5).map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0]);
      const refused = decisions[5]!;
      expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(11);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(12);
    });

    it('peek does not count', async () => {
      const limiter = make();
      for (let i = 0; i < 10; i++) expect((await limiter.peek('peeked', rule)).allowed).toBe(true);
      expect((await limiter.consume('peeked', rule)).remaining).toBe(4);
    });

    it('keeps keys apart and reset restores the allowance', async () => {
      const limiter = make();
      for (let i = 0; i < 5; i++) await limiter.consume('full', rule);
      expect((await limiter.consume('full', rule)).allowed).toBe(false);
      expect((await limiter.consume('other', rule)).allowed).toBe(true);
      await limiter.reset('full');
      expect((await limiter.consume('full', rule)).allowed).toBe(true);
    });

    it('is atomic under concurrency: exactly `limit` of 50 parallel events pass', async () => {
      const limiter = make();
      const results = await Promise.all(
        Array.from({ length: 50 }, () => limiter.consume('race', { limit: 10, periodMs: 60_000 })),
      );
      expect(results.filter((r) => r.allowed)).toHaveLength(10);
    });

    it('refills over time', async () => {
      const limiter = make();
      const fast = { limit: 2, periodMs: 200 };
      await limiter.consume('refill', fast);
      await limiter.consume('refill', fast);
      expect((await limiter.consume('refill', fast)).allowed).toBe(false);
      await new Promise((r) => setTimeout(r, 250));
      expect((await limiter.consume('refill', fast)).allowed).toBe(true);
    });
  });
}

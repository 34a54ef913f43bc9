import { describe, expect, it } from 'vitest';
import { gcra } from '../../src/adapters/memory/gcra.js';

describe('GCRA', () => {
  const rule = { limit: 5, periodMs: 60_000 };

  it('allows a burst of `limit`, then spaces events period/limit apart', () => {
    let tat: number | null = null;
    const now = 1_000_000;
    const remaining: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { decision, newTat } = gcra(tat, now, rule);
      expect(decision.allowed).toBe(true);
      remaining.push(decision.remaining);
      tat = newTat;
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);
    const denied = gcra(tat, now, rule);
    expect(denied.decision).toEqual({ allowed: false, retryAfterSeconds: 12, remaining: 0 });
    expect(denied.newTat).toBeNull();
    expect(gcra(tat, now + 12_000, rule).decision.allowed).toBe(true);
  });

  it('forgets old events: a full period later the whole burst is back', () => {
    const { newTat } = gcra(null, 0, rule);
    expect(gcra(newTat, 60_000, rule).decision.remaining).toBe(4);
  });
});

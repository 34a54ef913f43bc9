import { describe, expect, it } from 'vitest';
import { demoteBelow, nextMode } from '../../src/feed/fanout.js';
import { mergeNewestFirst } from '../../src/feed/merge.js';

describe('mergeNewestFirst', () => {
  it('merges newest first, once per id, stopping at the limit', () => {
    const lists = [
      ['90', '70', '50', '10'],
      ['80', '70', '20'],
      ['100', '50'],
    ];
    expect(mergeNewestFirst(lists, 10)).toEqual(['100', '90', '80', '70', '50', '20', '10']);
    expect(mergeNewestFirst(lists, 3)).toEqual(['100', '90', '80']);
    expect(mergeNewestFirst([], 5)).toEqual([]);
    expect(mergeNewestFirst([[], ['1']], 5)).toEqual(['1']);
  });

  it('compares ids as 64-bit numbers, not as strings or doubles', () => {
    expect(
      mergeNewestFirst(
        [
          ['9223372036854775807', '235621804689393666', '99'],
          ['235621804689393667', '235621804689393665', '100'],
        ],
        10,
      ),
    ).toEqual([
      '9223372036854775807',
      '235621804689393667',
      '235621804689393666',
      '235621804689393665',
      '100',
      '99',
    ]);
  });
});

describe('nextMode (hysteresis)', () => {
  const T = 10_000;
  it('promotes above the threshold and demotes only below 90 % of it', () => {
    expect(demoteBelow(T)).toBe(9_000);
    expect(nextMode('push', T, T)).toBe('push');
    expect(nextMode('push', T + 1, T)).toBe('pull');
    expect(nextMode('pull', T, T)).toBe('pull');
    expect(nextMode('pull', 9_000, T)).toBe('pull');
    expect(nextMode('pull', 8_999, T)).toBe('demoting');
    expect(nextMode('push', 8_999, T)).toBe('push');
  });

  it('finishes a demotion, or returns to pull if followers come back', () => {
    expect(nextMode('demoting', 5, T)).toBe('demoting');
    expect(nextMode('demoting', 9_500, T)).toBe('demoting');
    expect(nextMode('demoting', T + 1, T)).toBe('pull');
  });
});

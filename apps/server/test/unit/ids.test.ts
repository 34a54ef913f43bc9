import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareIds, decodeId, ID_EPOCH_MS, isId, minIdAt } from '../../src/lib/ids.js';

describe('ids', () => {
  it('accepts positive decimal bigints only', () => {
    for (const ok of ['1', '235621804689393665', '9223372036854775807']) expect(isId(ok)).toBe(true);
    for (const bad of [
      '0',
      '-1',
      '01',
      '1.5',
      '1e3',
      ' 1',
      '9223372036854775808',
      '99999999999999999999',
      '',
      'abc',
    ]) {
      expect(isId(bad)).toBe(false);
    }
  });

  it('decodes the layout: time, shard, sequence', () => {
    const id = ((BigInt(123_456) << 23n) | (5n << 10n) | 7n).toString();
    expect(decodeId(id)).toEqual({ timestampMs: ID_EPOCH_MS + 123_456, shard: 5, sequence: 7 });
    expect(decodeId(minIdAt(ID_EPOCH_MS + 99)).timestampMs).toBe(ID_EPOCH_MS + 99);
  });

  it('compares like BigInt does', () => {
    const id = fc.bigInt({ min: 1n, max: (1n << 63n) - 1n }).map(String);
    fc.assert(
      fc.property(id, id, (a, b) => {
        const expected = BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
        expect(Math.sign(compareIds(a, b))).toBe(expected);
      }),
    );
  });
});

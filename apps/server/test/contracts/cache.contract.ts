import { describe, expect, it } from 'vitest';
import type { Cache } from '../../src/ports/cache.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What every Cache adapter must do. */
export function cacheContract(name: string, make: () => Cache) {
  describe(`Cache contract: ${name}`, () => {
    it('returns null for a missing key and the value for a present one', async () => {
      const cache = make();
      expect(await cache.get('missing')).toBeNull();
      await cache.set('k1', 'välue ✓', 10_000);
      expect(await cache.get('k1')).toBe('välue ✓');
      await cache.set('k1', 'second', 10_000);
      expect(await cache.get('k1')).toBe('second');
    });

    it('reads many keys in order, null where absent', async () => {
      const cache = make();
      await cache.set('a', '1', 10_000);
      await cache.set('c', '3', 10_000);
      expect(await cache.getMany(['a', 'b', 'c'])).toEqual(['1', null, '3']);
      expect(await cache.getMany([])).toEqual([]);
    });

    it('forgets entries after their TTL', async () => {
      const cache = make();
      await cache.set('short', 'x', 60);
      await cache.set('long', 'y', 10_000);
      await sleep(150);
      expect(await cache.get('short')).toBeNull();
      expect(await cache.get('long')).toBe('y');
    });

    it('deletes keys, absent ones included', async () => {
      const cache = make();
      await cache.set('d1', 'x', 10_000);
      await cache.set('d2', 'y', 10_000);
      await cache.delete(['d1', 'nope']);
      expect(await cache.getMany(['d1', 'd2'])).toEqual([null, 'y']);
    });

    it('answers ping', async () => {
      await expect(make().ping()).resolves.toBeUndefined();
    });
  });
}

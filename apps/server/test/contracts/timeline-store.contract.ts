import { describe, expect, it } from 'vitest';
import type { TimelineStore } from '../../src/ports/timeline-store.js';

/** What every TimelineStore adapter must do. */
export function timelineStoreContract(name: string, make: () => TimelineStore) {
  describe(`TimelineStore contract: ${name}`, () => {
    let n = 0;
    const timeline = () => `${Date.now()}${++n}`;

    it('reads newest first, without duplicates', async () => {
      const store = make();
      const t = timeline();
      await store.add(
        ['3', '1', '2', '3'].map((postId) => ({ timelineId: t, postId })),
        800,
      );
      await store.add([{ timelineId: t, postId: '2' }], 800);
      expect(await store.range(t, { limit: 10 })).toEqual(['3', '2', '1']);
    });

    it('orders 64-bit ids exactly, even where a double would round them together', async () => {
      const store = make();
      const t = timeline();
      const ids = [
        '235621804689393665',
        '235621804689393666',
        '235621804689393667',
        '9',
        '10',
        '9223372036854775807',
      ];
      await store.add(
        ids.map((postId) => ({ timelineId: t, postId })),
        800,
      );
      expect(await store.range(t, { limit: 10 })).toEqual([
        '9223372036854775807',
        '235621804689393667',
        '235621804689393666',
        '235621804689393665',
        '10',
        '9',
      ]);
      expect(await store.range(t, { before: '235621804689393666', limit: 10 })).toEqual([
        '235621804689393665',
        '10',
        '9',
      ]);
    });

    it('pages with an exclusive cursor, never skipping or repeating', async () => {
      const store = make();
      const t = timeline();
      const ids = Array.from({ length: 95 }, (_, i) => String(1000 + i * 7));
      await store.add(
        ids.map((postId) => ({ timelineId: t, postId })),
        800,
      );
      const seen: string[] = [];
      let before: string | undefined;
      for (;;) {
        const page = await store.range(t, { limit: 20, ...(before ? { before } : {}) });
        if (page.length === 0) break;
        seen.push(...page);
        before = page.at(-1);
      }
      expect(seen).toEqual([...ids].reverse());
    });

    it('trims to the cap, dropping the oldest', async () => {
      const store = make();
      const t = timeline();
      await store.add(
        Array.from({ length: 30 }, (_, i) => ({ timelineId: t, postId: String(100 + i) })),
        25,
      );
      const all = await store.range(t, { limit: 100 });
      expect(all).toHaveLength(25);
      expect(all.at(-1)).toBe('105');
      await store.add([{ timelineId: t, postId: '1' }], 25);
      expect(await store.range(t, { limit: 100 })).toHaveLength(25);
      expect(await store.range(t, { limit: 100 })).not.toContain('1');
    });

    it('writes many timelines in one call', async () => {
      const store = make();
      const ts = Array.from({ length: 50 }, timeline);
      await store.add(
        ts.flatMap((t) => [
          { timelineId: t, postId: '7' },
          { timelineId: t, postId: '8' },
        ]),
        800,
      );
      for (const t of ts) expect(await store.range(t, { limit: 5 })).toEqual(['8', '7']);
    });

    it('removes, replaces, drops; an emptied timeline no longer exists', async () => {
      const store = make();
      const t = timeline();
      expect(await store.exists(t)).toBe(false);
      expect(await store.range(t, { limit: 5 })).toEqual([]);
      await store.add(
        [
          { timelineId: t, postId: '5' },
          { timelineId: t, postId: '6' },
        ],
        800,
      );
      expect(await store.exists(t)).toBe(true);
      await store.remove(t, ['5', '404']);
      expect(await store.range(t, { limit: 5 })).toEqual(['6']);
      await store.replace(t, ['11', '12', '10', '12'], 2);
      expect(await store.range(t, { limit: 5 })).toEqual(['12', '11']);
      await store.remove(t, ['11', '12']);
      expect(await store.exists(t)).toBe(false);
      await store.replace(t, ['1'], 10);
      await store.drop([t]);
      expect(await store.exists(t)).toBe(false);
      await store.replace(t, [], 10);
      expect(await store.exists(t)).toBe(false);
    });
  });
}

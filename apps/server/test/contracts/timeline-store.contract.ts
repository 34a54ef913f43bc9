import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TimelineStore } from '../../src/ports/timeline-store.js';

const MAX_ID = (1n << 63n) - 1n;
const newestFirst = (ids: Iterable<string>) =>
  [...new Set(ids)].sort((a, b) => (BigInt(a) < BigInt(b) ? 1 : BigInt(a) > BigInt(b) ? -1 : 0));
/** Any positive 63-bit id, so ids of every length (and both 32-bit halves) get exercised. */
const randomId = () => String(BigInt(`0x${randomBytes(8).toString('hex')}`) & MAX_ID || 1n);
const randomIds = (n: number) => {
  const ids = new Set<string>();
  while (ids.size < n) ids.add(randomId());
  return [...ids];
};
const list = () => `c${randomBytes(6).toString('hex')}`;
const entriesOf = (timelineId: string, ids: readonly string[]) =>
  ids.map((postId) => ({ timelineId, postId }));

/**
 * What every TimelineStore adapter must do. `slack`: how far past `cap` the adapter lets a
 * list grow before `push` trims it back to `cap` (0 when it trims on every push).
 */
export function timelineStoreContract(name: string, make: () => TimelineStore, { slack }: { slack: number }) {
  describe(`TimelineStore contract: ${name}`, () => {
    it('reads newest first, without duplicates', async () => {
      const store = make();
      const t = list();
      const ids = randomIds(6);
      await store.completeRebuild(t, [...ids, ids[0]!, ids[3]!], 800);
      await store.push(entriesOf(t, [ids[1]!, ids[1]!, ids[5]!]), 800);
      expect(await store.range(t, { limit: 10 })).toEqual(newestFirst(ids));
    });

    it('orders 64-bit ids exactly: neighbours a double would merge, short and 19-digit ids', async () => {
      const store = make();
      const t = list();
      const ids = [
        '9007199254740993', // 2^53 + 1: a double rounds it to its neighbour
        '9007199254740992',
        '235621804689393665',
        '235621804689393666',
        '235621804689393667',
        '1',
        '9',
        '10',
        '4294967295', // the lower 32-bit half at its edges
        '4294967296',
        '999999999999999999',
        '1000000000000000000',
        '9223372036854775806',
        '9223372036854775807',
      ];
      await store.completeRebuild(t, ids.slice(0, 7), 800);
      await store.push(entriesOf(t, ids.slice(7)), 800);
      const expected = newestFirst(ids);
      expect(await store.range(t, { limit: 100 })).toEqual(expected);
      for (const [i, before] of expected.entries())
        expect(await store.range(t, { before, limit: 100 })).toEqual(expected.slice(i + 1));
    });

    it('pages with an exclusive cursor, never skipping or repeating', async () => {
      const store = make();
      const t = list();
      const expected = newestFirst(randomIds(95));
      await store.completeRebuild(t, expected, 800);
      const seen: string[] = [];
      let before: string | undefined;
      for (;;) {
        const page = await store.range(t, { limit: 20, ...(before ? { before } : {}) });
        if (page.length === 0) break;
        seen.push(...page);
        before = page.at(-1);
      }
      expect(seen).toEqual(expected);
      // A cursor that is not in the list (a deleted post) pages from where it would be.
      const gap = String(BigInt(expected[10]!) - 1n);
      if (gap !== expected[11])
        expect(await store.range(t, { before: gap, limit: 3 })).toEqual(expected.slice(11, 14));
    });

    it('pages a long list from any cursor, in it or not, at any depth', async () => {
      const store = make();
      const t = list();
      const expected = newestFirst(randomIds(1_000));
      await store.completeRebuild(t, expected, 1_000);
      const ascending = [...expected].reverse().map(BigInt);
      const below = (cursor: string, limit: number) =>
        expected.filter((id) => BigInt(id) < BigInt(cursor)).slice(0, limit);
      const cursors = [...expected.filter((_, i) => i % 7 === 0), ...randomIds(40)];
      for (const before of cursors)
        for (const limit of [1, 20, 150])
          expect(await store.range(t, { before, limit }), `${before} ${limit}`).toEqual(below(before, limit));
      // Cursors beyond either end.
      expect(await store.range(t, { before: String(ascending[0]!), limit: 5 })).toEqual([]);
      expect(await store.range(t, { before: String(MAX_ID), limit: 2 })).toEqual(below(String(MAX_ID), 2));
      expect(await store.range(t, { limit: 0 })).toEqual([]);
    });

    it('push skips missing lists but lands in existing ones, even empty', async () => {
      const store = make();
      const [missing, empty] = [list(), list()];
      await store.completeRebuild(empty, [], 800);
      expect(await store.exists(empty)).toBe(true);
      expect(await store.range(empty, { limit: 5 })).toEqual([]);
      const id = randomId();
      await store.push([...entriesOf(missing, [id]), ...entriesOf(empty, [id])], 800);
      expect(await store.exists(missing)).toBe(false);
      expect(await store.range(missing, { limit: 5 })).toEqual([]);
      expect(await store.range(empty, { limit: 5 })).toEqual([id]);
    });

    it('a list being rebuilt takes pushes, reads as missing, and keeps what it held', async () => {
      const store = make();
      const [fresh, old] = [list(), list()];
      const held = randomIds(3);
      await store.completeRebuild(old, held, 800);
      await store.beginRebuild(fresh);
      await store.beginRebuild(old);
      for (const t of [fresh, old]) {
        expect(await store.exists(t)).toBe(false);
        expect(await store.range(t, { limit: 5 })).toEqual([]);
      }
      expect([...(await store.rangeMany([fresh, old], { limit: 5 })).values()]).toEqual([null, null]);
      const pushed = randomId();
      await store.push([...entriesOf(fresh, [pushed]), ...entriesOf(old, [pushed])], 800);
      const rebuilt = randomIds(2);
      await store.completeRebuild(fresh, rebuilt, 800);
      await store.completeRebuild(old, rebuilt, 800);
      expect(await store.exists(fresh)).toBe(true);
      expect(await store.range(fresh, { limit: 9 })).toEqual(newestFirst([...rebuilt, pushed]));
      expect(await store.range(old, { limit: 9 })).toEqual(newestFirst([...held, ...rebuilt, pushed]));
      // Dropping a list mid-rebuild forgets the mark too: the next rebuild starts clean.
      await store.beginRebuild(fresh);
      await store.drop([fresh]);
      await store.completeRebuild(fresh, [pushed], 800);
      expect(await store.range(fresh, { limit: 9 })).toEqual([pushed]);
    });

    it('completeRebuild creates the list, merges into it, and trims it to the cap, keeping the newest', async () => {
      const store = make();
      const t = list();
      const ids = newestFirst(randomIds(30));
      await store.completeRebuild(t, ids, 25);
      expect(await store.range(t, { limit: 100 })).toEqual(ids.slice(0, 25));
      await store.completeRebuild(t, [ids[27]!], 25); // older than everything kept
      expect(await store.range(t, { limit: 100 })).toEqual(ids.slice(0, 25));
      const newer = String(BigInt(ids[0]!) + 1n);
      await store.completeRebuild(t, [newer], 25);
      expect(await store.range(t, { limit: 100 })).toEqual([newer, ...ids.slice(0, 24)]);
      const empty = list();
      await store.completeRebuild(empty, [], 10);
      expect(await store.exists(empty)).toBe(true);
    });

    it(`push trims: the cap newest always kept, never more than cap + ${slack}`, async () => {
      const store = make();
      const t = list();
      const cap = 10;
      await store.completeRebuild(t, [], 800);
      const pushed = newestFirst(randomIds(cap + slack + 5)).reverse(); // oldest first
      for (const [i, id] of pushed.entries()) {
        await store.push(entriesOf(t, [id]), cap);
        const held = await store.range(t, { limit: 1_000 });
        expect(held.length).toBeLessThanOrEqual(cap + slack);
        expect(held.slice(0, cap)).toEqual(newestFirst(pushed.slice(0, i + 1)).slice(0, cap));
      }
      // Past cap + slack the oldest are gone.
      const held = await store.range(t, { limit: 1_000 });
      expect(held).not.toContain(pushed[0]);
      // A full list may have been trimmed: a push older than all it holds would leave a gap.
      await store.push(entriesOf(t, [String(BigInt(held.at(-1)!) - 1n)]), cap);
      expect(await store.range(t, { limit: 1_000 })).toEqual(held);
    });

    it('lands pushes that arrive out of order in order', async () => {
      const store = make();
      const t = list();
      await store.completeRebuild(t, [], 800);
      const ids = randomIds(40);
      for (const id of ids) await store.push(entriesOf(t, [id]), 800);
      await store.push(entriesOf(t, ids.slice(0, 10)), 800); // again: idempotent
      expect(await store.range(t, { limit: 100 })).toEqual(newestFirst(ids));
    });

    it('matches a sorted-set model under mostly-newest, slightly-late and deep-late pushes', async () => {
      const store = make();
      const t = list();
      const cap = 150;
      await store.completeRebuild(t, [], cap);
      // Ids on a clock, as fan-outs see them: most arrive newest, some a few places late
      // (interleaved fan-outs), some far behind, sometimes several at once.
      let clock = 10n ** 15n;
      const sent: bigint[] = [];
      let model: bigint[] = [];
      for (let i = 0; i < 600; i++) {
        const roll = randomBytes(1)[0]! % 10;
        const batch: bigint[] = [];
        if (roll < 6 || sent.length < 10) batch.push((clock += 1n + BigInt(randomBytes(1)[0]!)));
        else if (roll < 9) batch.push(sent[sent.length - 1 - (randomBytes(1)[0]! % 8)]! - 1n);
        else batch.push(...[1, 2, 3].map(() => sent[randomBytes(2).readUInt16BE() % sent.length]! + 1n));
        sent.push(...batch);
        await store.push(entriesOf(t, batch.map(String)), cap);
        // The model: a set trimmed to the cap, where an id older than a full list's oldest is dropped.
        for (const id of batch) {
          if (model.includes(id)) continue;
          if (model.length >= cap && id < model[0]!) continue;
          model.push(id);
          model.sort((a, b) => (a < b ? -1 : 1));
        }
        const held = await store.range(t, { limit: cap + slack + 1 });
        expect(held.length).toBeLessThanOrEqual(cap + slack);
        // Whatever the adapter keeps beyond the cap, its newest `cap` are the model's.
        if (model.length > cap) model = model.slice(model.length - held.length);
        expect(held.slice(0, cap)).toEqual(newestFirst(model.map(String)).slice(0, cap));
      }
    });

    it('removes entries from several lists; an emptied list still exists', async () => {
      const store = make();
      const [a, b, missing] = [list(), list(), list()];
      const ids = newestFirst(randomIds(4));
      await store.completeRebuild(a, ids, 800);
      await store.completeRebuild(b, ids.slice(0, 1), 800);
      await store.remove([
        ...entriesOf(a, [ids[1]!, ids[3]!, randomId()]),
        ...entriesOf(b, ids.slice(0, 1)),
        ...entriesOf(missing, ids.slice(0, 1)),
      ]);
      expect(await store.range(a, { limit: 10 })).toEqual([ids[0], ids[2]]);
      expect(await store.exists(b)).toBe(true);
      expect(await store.range(b, { limit: 10 })).toEqual([]);
      expect(await store.exists(missing)).toBe(false);
    });

    it('ranges over several lists at once; a missing one is null', async () => {
      const store = make();
      const [full, empty, missing] = [list(), list(), list()];
      const ids = newestFirst(randomIds(10));
      await store.completeRebuild(full, ids, 800);
      await store.completeRebuild(empty, [], 800);
      const pages = await store.rangeMany([full, empty, missing], { before: ids[2]!, limit: 4 });
      expect(pages).toEqual(
        new Map([
          [full, ids.slice(3, 7)],
          [empty, []],
          [missing, null],
        ]),
      );
      expect((await store.rangeMany([full], { limit: 2 })).get(full)).toEqual(ids.slice(0, 2));
    });

    it('drops lists, after which pushes skip them', async () => {
      const store = make();
      const [a, b] = [list(), list()];
      await store.completeRebuild(a, randomIds(3), 800);
      await store.completeRebuild(b, [], 800);
      await store.drop([a, b, list()]);
      expect(await store.exists(a)).toBe(false);
      expect(await store.exists(b)).toBe(false);
      await store.push(entriesOf(a, [randomId()]), 800);
      expect(await store.exists(a)).toBe(false);
      expect(await store.range(a, { limit: 5 })).toEqual([]);
    });

    it('pushes to 2,500 lists in one call, skipping the missing ones among them', async () => {
      const store = make();
      const opened = Array.from({ length: 2_500 }, list);
      const missing = Array.from({ length: 50 }, list);
      await Promise.all(opened.map((t) => store.completeRebuild(t, [], 800)));
      const shared = randomId();
      const own = new Map([...opened, ...missing].map((t) => [t, randomId()]));
      await store.push(
        [...own].flatMap(([timelineId, postId]) => [
          { timelineId, postId },
          { timelineId, postId: shared },
        ]),
        800,
      );
      const pages = await store.rangeMany([...opened, ...missing], { limit: 5 });
      for (const t of opened) expect(pages.get(t)).toEqual(newestFirst([own.get(t)!, shared]));
      for (const t of missing) expect(pages.get(t)).toBeNull();
      await store.drop(opened);
    });

    it('loses nothing when pushes and rebuilds of one list run concurrently', async () => {
      const store = make();
      const t = list();
      await store.completeRebuild(t, [], 800);
      const pushed = randomIds(60);
      const added = Array.from({ length: 10 }, () => randomIds(5));
      await Promise.all([
        ...pushed.map((id) => store.push(entriesOf(t, [id]), 1_000)),
        ...added.map((ids) => store.completeRebuild(t, ids, 1_000)),
      ]);
      expect(await store.range(t, { limit: 1_000 })).toEqual(newestFirst([...pushed, ...added.flat()]));
    });
  });
}

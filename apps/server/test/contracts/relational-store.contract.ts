import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { decodeId } from '../../src/lib/ids.js';
import { uniqueViolation } from '../../src/lib/errors.js';
import type { RelationalStore } from '../../src/ports/relational-store.js';

/** What both database adapters must do identically (the store must already be migrated). */
export function relationalStoreContract(name: string, store: () => RelationalStore) {
  describe(`RelationalStore contract: ${name}`, () => {
    it('returns int8 as decimal strings, int8[] as string arrays, jsonb as objects, timestamptz as Date', async () => {
      const { rows } = await sql<{ big: string; arr: string[]; doc: unknown; at: Date; n: number }>`
        SELECT 9223372036854775807::int8 AS big, ARRAY[1, 9007199254740993]::int8[] AS arr,
               '{"a":[1,"x"]}'::jsonb AS doc, now() AS at, 42::int4 AS n`.execute(store().db);
      expect(rows[0]).toMatchObject({
        big: '9223372036854775807',
        arr: ['1', '9007199254740993'],
        doc: { a: [1, 'x'] },
        n: 42,
      });
      expect(rows[0]!.at).toBeInstanceOf(Date);
    });

    it('round-trips bytea', async () => {
      const bytes = Buffer.from([0, 1, 2, 250, 255]);
      const { rows } = await sql<{ b: Uint8Array }>`SELECT ${bytes}::bytea AS b`.execute(store().db);
      expect(Buffer.from(rows[0]!.b).equals(bytes)).toBe(true);
    });

    it('mints unique, increasing ids carrying the requested shard', async () => {
      const { rows } = await sql<{
        id: string;
      }>`SELECT next_id(4321) AS id FROM generate_series(1, 2000)`.execute(store().db);
      const ids = rows.map((r) => r.id);
      expect(new Set(ids).size).toBe(2000);
      for (const id of ids) expect(decodeId(id).shard).toBe(4321);
      expect(Math.abs(decodeId(ids[0]!).timestampMs - Date.now())).toBeLessThan(60_000);
      const { rows: shard } = await sql<{ s: number }>`SELECT shard_of(${ids[0]}::bigint) AS s`.execute(
        store().db,
      );
      expect(shard[0]!.s).toBe(4321);
    });

    it('mints unique ids from concurrent bursts far above 1,024 per millisecond', async () => {
      const burst = () =>
        sql<{ id: string }>`SELECT next_id(7) AS id FROM generate_series(1, 5000)`.execute(store().db);
      const ids = (await Promise.all([burst(), burst(), burst(), burst()])).flatMap((r) =>
        r.rows.map((x) => x.id),
      );
      expect(new Set(ids).size).toBe(20_000);
      expect(Math.abs(decodeId(ids.at(-1)!).timestampMs - Date.now())).toBeLessThan(60_000);
    });

    it('keeps concurrent transactions apart', async () => {
      const db = store().db;
      await sql`CREATE TABLE IF NOT EXISTS contract_tx (tag text NOT NULL)`.execute(db);
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      // One transaction writes, waits, then fails; another starts meanwhile. If they shared a
      // session the second would see the first's row, or be rolled back along with it.
      const failing = db
        .transaction()
        .execute(async (trx) => {
          await sql`INSERT INTO contract_tx VALUES ('doomed')`.execute(trx);
          await sleep(50);
          throw new Error('abort');
        })
        .catch(() => 'rolled back');
      await sleep(10);
      const sawDoomed = await db.transaction().execute(async (trx) => {
        await sql`INSERT INTO contract_tx VALUES ('kept')`.execute(trx);
        const { rows } = await sql<{
          n: string;
        }>`SELECT count(*) AS n FROM contract_tx WHERE tag = 'doomed'`.execute(trx);
        return rows[0]!.n;
      });
      expect(await failing).toBe('rolled back');
      expect(sawDoomed).toBe('0');
      const { rows } = await sql<{ tag: string }>`SELECT tag FROM contract_tx`.execute(db);
      expect(rows.map((r) => r.tag)).toEqual(['kept']);
    });

    it('rolls back everything when a transaction fails', async () => {
      const db = store().db;
      await sql`CREATE TABLE IF NOT EXISTS contract_rb (v int NOT NULL)`.execute(db);
      await expect(
        db.transaction().execute(async (trx) => {
          await sql`INSERT INTO contract_rb VALUES (1)`.execute(trx);
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM contract_rb`.execute(db);
      expect(rows[0]!.n).toBe('0');
    });

    it('reports unique violations with their constraint name', async () => {
      const db = store().db;
      await sql`CREATE TABLE IF NOT EXISTS contract_uq (v int CONSTRAINT contract_uq_v UNIQUE)`.execute(db);
      await sql`INSERT INTO contract_uq VALUES (1)`.execute(db);
      const err = await sql`INSERT INTO contract_uq VALUES (1)`.execute(db).catch((e: unknown) => e);
      expect(uniqueViolation(err)).toBe('contract_uq_v');
    });

    it('runs multi-statement scripts in a dedicated session', async () => {
      const rows = await store().withSession(async (s) => {
        await s.exec('CREATE TEMP TABLE contract_s (v int); INSERT INTO contract_s VALUES (1), (2);');
        return s.query<{ n: string }>('SELECT count(*) AS n FROM contract_s WHERE v > $1', [0]);
      });
      expect(rows).toEqual([{ n: '2' }]);
    });

    it('answers ping', async () => {
      await expect(store().ping()).resolves.toBeUndefined();
    });
  });
}

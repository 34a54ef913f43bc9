import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema.js';
import { Mutex } from '../../lib/mutex.js';
import type { RelationalStore } from '../../ports/relational-store.js';
import { PGliteDialect } from './pglite-dialect.js';

const INT8 = 20;
const INT8_ARRAY = 1016;

/** int8[] text such as `{1,2,NULL}` holds no quotes or nesting, so a split is exact. */
function parseInt8Array(text: string): (string | null)[] {
  const inner = text.slice(1, -1);
  return inner === '' ? [] : inner.split(',').map((v) => (v === 'NULL' ? null : v));
}

/**
 * PostgreSQL compiled to WASM, in this process: the embedded shape's database. `dataDir`
 * undefined keeps everything in memory (tests). int8 is parsed to a decimal string, as
 * node-postgres does, so the two adapters return identical rows.
 */
export async function openPGlite(dataDir: string | undefined): Promise<RelationalStore> {
  const pglite = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    parsers: { [INT8]: (v: string) => v, [INT8_ARRAY]: parseInt8Array },
    // Search (migration 0009) needs trigrams; PGlite bundles the extension but loads it only when asked.
    extensions: { pg_trgm },
  });
  const mutex = new Mutex();
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite, mutex) });

  return {
    kind: 'pglite',
    db,
    withSession: (fn) =>
      mutex.run(() =>
        fn({
          async exec(script) {
            await pglite.exec(script);
          },
          async query<R>(text: string, params: readonly unknown[] = []) {
            return (await pglite.query<R>(text, params as unknown[])).rows;
          },
        }),
      ),
    async listen(channel: string, onNotify: () => void) {
      // LISTEN is a statement on PGlite's one session: it queues behind running transactions.
      const unlisten = await mutex.run(() => pglite.listen(channel, () => onNotify()));
      return () => mutex.run(() => unlisten());
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
      await mutex.run(() => pglite.close());
    },
  };
}

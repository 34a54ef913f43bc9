import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * Bulk loading into PostgreSQL: COPY in text format, fed in chunks with back-pressure, into
 * tables whose secondary indexes and foreign keys are set aside for the load and rebuilt after
 * (what pg_restore does: one sorted index build is many times cheaper than 20M index inserts,
 * and one validating join cheaper than 20M foreign-key lookups). Primary keys and CHECKs stay.
 */

/** Rows per chunk handed to the COPY stream. Invariant: big enough to amortise a write call. */
const CHUNK_ROWS = 20_000;

/** One text-format COPY value: NULL, or the value with COPY's escapes (backslash, tab, newline). */
export function copyValue(value: string | number | bigint | boolean | null): string {
  if (value === null) return '\\N';
  if (typeof value !== 'string') return String(value);
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

/**
 * COPY `rows` into `table`. `rows` yields one line per row (already escaped, tab-separated,
 * newline-terminated); `onRows` reports progress.
 */
export async function copyRows(
  client: pg.ClientBase,
  table: string,
  columns: readonly string[],
  rows: Iterable<string>,
  onRows?: (n: number) => void,
): Promise<number> {
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  const done = once(stream, 'finish');
  // Failures surface through `done` (awaited below, or raced while waiting for a drain).
  done.catch(() => {});
  stream.on('error', () => {});
  let chunk: string[] = [];
  let count = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    const ok = stream.write(chunk.join(''));
    onRows?.(chunk.length);
    chunk = [];
    if (!ok) await Promise.race([once(stream, 'drain'), done]);
  };
  try {
    for (const row of rows) {
      chunk.push(row);
      count++;
      if (chunk.length >= CHUNK_ROWS) await flush();
    }
    await flush();
    stream.end();
    await done;
  } catch (err) {
    stream.destroy(err as Error);
    throw err;
  }
  return count;
}

interface SetAside {
  readonly indexes: string[];
  readonly foreignKeys: { name: string; definition: string }[];
}

/**
 * Runs `load` with the tables' secondary indexes and outgoing foreign keys dropped, then
 * recreates them from their own definitions (read from the catalogue, so nothing here repeats
 * the migrations) and vacuums and analyzes the tables. If the load fails the database is half-loaded
 * anyway; the definitions are still restored, so the schema is never left without them.
 */
export async function withIndexesSetAside(
  client: pg.ClientBase,
  tables: readonly string[],
  load: () => Promise<void>,
  onStep?: (step: string) => void,
): Promise<void> {
  const aside: SetAside = { indexes: [], foreignKeys: [] };
  for (const table of tables) {
    const { rows: indexes } = await client.query<{ name: string; definition: string }>(
      `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = $1::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)`,
      [table],
    );
    const { rows: keys } = await client.query<{ name: string; definition: string }>(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS definition
         FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'`,
      [table],
    );
    for (const k of keys) {
      await client.query(`ALTER TABLE ${table} DROP CONSTRAINT ${quoteIdent(k.name)}`);
      aside.foreignKeys.push({
        name: `${table}.${k.name}`,
        definition: `ALTER TABLE ${table} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.definition}`,
      });
    }
    for (const i of indexes) {
      await client.query(`DROP INDEX ${quoteIdent(i.name)}`);
      aside.indexes.push(i.definition);
    }
  }
  try {
    await load();
  } finally {
    // Index builds sort in memory and use a parallel worker where the server allows one.
    await client.query(`SET maintenance_work_mem = '1GB'`);
    for (const definition of aside.indexes) {
      onStep?.(definition.replace(/ USING btree/, '').replace(/^CREATE (UNIQUE )?INDEX /, 'index '));
      await client.query(definition);
    }
    for (const key of aside.foreignKeys) {
      onStep?.(`foreign key ${key.name}`);
      await client.query(key.definition);
    }
    await client.query(`RESET maintenance_work_mem`);
  }
  // VACUUM too: it sets the visibility map, without which index-only scans (fan-out's
  // followers pages) visit the heap, and autovacuum would do it later, in the middle of a run.
  for (const table of tables) {
    onStep?.(`VACUUM (ANALYZE) ${table}`);
    await client.query(`VACUUM (ANALYZE) ${table}`);
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

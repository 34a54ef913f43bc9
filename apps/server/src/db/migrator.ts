import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { RelationalStore } from '../ports/relational-store.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

const MIGRATIONS_DIR = new URL('../../migrations/', import.meta.url);
/** Any constant works; it only has to be the same in every process that migrates this database. */
const ADVISORY_LOCK_KEY = 7_245_001;
const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_PATTERN.exec(file);
    if (!match) throw new MigrationError(`migration file ${file} does not match NNNN_name.sql`);
    const sql = (await readFile(new URL(file, dir), 'utf8')).replace(/\r\n/g, '\n');
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version)) {
      throw new MigrationError(`two migration files share version ${match[1]}`);
    }
    migrations.push({
      version,
      name: match[2]!,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  return migrations;
}

/**
 * Applies every pending migration, each in its own transaction, under an advisory lock so that
 * several processes starting at once migrate exactly once. Refuses to run when an applied file
 * was edited or the database is newer than this build.
 */
export async function migrate(
  store: RelationalStore,
  migrations?: readonly Migration[],
): Promise<{ applied: Migration[] }> {
  const all = migrations ?? (await loadMigrations());
  return store.withSession(async (session) => {
    await session.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
    let failed = false;
    try {
      await session.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const done = await session.query<{ version: number; checksum: string }>(
        'SELECT version, checksum FROM schema_migrations ORDER BY version',
      );
      const known = new Map(all.map((m) => [m.version, m]));
      for (const row of done) {
        const m = known.get(row.version);
        if (!m) {
          throw new MigrationError(
            `the database has migration ${row.version}, which this build does not know: it is newer than this code`,
          );
        }
        if (m.checksum !== row.checksum) {
          throw new MigrationError(
            `migration ${m.version}_${m.name} was edited after it was applied; add a new migration instead`,
          );
        }
      }
      const doneVersions = new Set(done.map((r) => r.version));
      const applied: Migration[] = [];
      for (const m of all) {
        if (doneVersions.has(m.version)) continue;
        try {
          await session.exec(
            `BEGIN;\n${m.sql}\n;\nINSERT INTO schema_migrations (version, name, checksum) VALUES (${m.version}, '${m.name}', '${m.checksum}');\nCOMMIT;`,
          );
        } catch (err) {
          await session.exec('ROLLBACK').catch(() => {});
          throw new MigrationError(
            `migration ${m.version}_${m.name} failed: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
        applied.push(m);
      }
      return { applied };
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      // If the work failed, its error is the one worth reporting; the adapter then discards the
      // session, which releases the lock too.
      await session.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_KEY]).catch((err: unknown) => {
        if (!failed) throw err;
      });
    }
  });
}

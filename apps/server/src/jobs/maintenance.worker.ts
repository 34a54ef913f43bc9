import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Executor } from '../db/executor.js';
import type { JobHandler } from './runner.js';

/** Published outbox rows are kept this long for inspection and replay, then deleted. */
export const OUTBOX_RETENTION_MS = 7 * 86_400_000;
/** Dead letters wait this long for someone to look at them. */
export const DEAD_LETTER_RETENTION_MS = 30 * 86_400_000;
const BATCH = 5_000;

async function deleteBatch(
  db: Executor,
  table: 'outbox' | 'queue_jobs',
  column: 'published_at' | 'dead_at',
  ageMs: number,
) {
  const cutoff = sql<Date>`now() - ${ageMs}::double precision * interval '1 millisecond'`;
  const result = await db
    .deleteFrom(table)
    .where('id', 'in', (eb) => eb.selectFrom(table).select('id').where(column, '<', cutoff).limit(BATCH))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export function pruneOutboxJob(db: Executor, log: Logger): JobHandler<'outbox.prune'> {
  return async (_payload, { signal }) => {
    let outbox = 0;
    let dead = 0;
    for (let n = BATCH; n === BATCH && !signal.aborted; outbox += n) {
      n = await deleteBatch(db, 'outbox', 'published_at', OUTBOX_RETENTION_MS);
    }
    for (let n = BATCH; n === BATCH && !signal.aborted; dead += n) {
      n = await deleteBatch(db, 'queue_jobs', 'dead_at', DEAD_LETTER_RETENTION_MS);
    }
    // Tick claims only matter for the slot they name; a week of them is plenty for debugging.
    const ticks = await db
      .deleteFrom('scheduled_ticks')
      .where(
        'slot',
        '<',
        sql<Date>`now() - ${OUTBOX_RETENTION_MS}::double precision * interval '1 millisecond'`,
      )
      .executeTakeFirst();
    if (outbox + dead > 0)
      log.info(
        { outbox, deadLetters: dead, ticks: Number(ticks.numDeletedRows) },
        'pruned old outbox rows and dead letters',
      );
  };
}

import type { Logger } from 'pino';
import type { Executor } from '../db/executor.js';
import type { JobHandler } from '../jobs/runner.js';
import { pruneSessions } from './sessions.repo.js';
import { SESSION_RETENTION_MS } from './sessions.service.js';

const BATCH = 5_000;

/** Hourly: forget sessions that ended a week ago. Re-running it deletes nothing twice. */
export function pruneSessionsJob(db: Executor, log: Logger): JobHandler<'accounts.prune-sessions'> {
  return async (_payload, { signal }) => {
    let total = 0;
    for (let deleted = BATCH; deleted > 0 && !signal.aborted; total += deleted) {
      deleted = await pruneSessions(db, SESSION_RETENTION_MS, BATCH);
    }
    if (total > 0) log.info({ deleted: total }, 'pruned ended sessions');
  };
}

import type { Logger } from 'pino';
import type { Executor } from '../db/executor.js';
import type { JobHandler } from '../jobs/runner.js';
import { recomputeExplore } from './explore.js';
import { recomputeTrending } from './trending.js';

/**
 * Recomputes explore's ranking and the trending hashtags. Tests call it directly instead of
 * waiting for the tick. Re-running is harmless: it writes one more generation.
 */
export async function recomputeDiscovery(db: Executor) {
  const explore = await recomputeExplore(db);
  const trending = await recomputeTrending(db);
  return { explore, trending };
}

/** On every `maintenance.frequent` tick (five minutes): fresh enough for "recent" and "trending". */
export function rankDiscoveryJob(db: Executor, log: Logger): JobHandler<'discovery.rank'> {
  return async () => {
    const result = await recomputeDiscovery(db);
    log.debug(result, 'discovery ranked');
  };
}

import fc from 'fast-check';

/** Once a world has failed, shrinking may take this long; later candidates then pass at once. */
const SHRINK_BUDGET_MS = 60_000;

/**
 * Checks `runs` random worlds with fast-check; `seed` and `path` (each test reads them from its
 * own knobs, e.g. VISIBILITY_SEED / VISIBILITY_PATH) replay a failure fast-check reported. Each
 * world talks to a real app, so shrinking is bounded in time rather than left to find the
 * smallest world.
 */
export async function checkWorlds<W>(
  worlds: fc.Arbitrary<W>,
  check: (world: W) => Promise<void>,
  options: { runs: number; seed: number | undefined; path: string | undefined },
): Promise<void> {
  let failedAt: number | null = null;
  await fc.assert(
    fc.asyncProperty(worlds, async (world) => {
      if (failedAt !== null && Date.now() - failedAt > SHRINK_BUDGET_MS) return;
      try {
        await check(world);
      } catch (err) {
        failedAt ??= Date.now();
        throw err;
      }
    }),
    {
      numRuns: options.runs,
      ...(options.seed !== undefined && { seed: options.seed }),
      ...(options.path !== undefined && { path: options.path }),
    },
  );
}

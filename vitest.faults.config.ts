import { defineConfig } from 'vitest/config';

/**
 * The fault tests (apps/server/test/faults): they SIGKILL workers, restart RabbitMQ and flush
 * Redis, which every other suite shares, so they run alone, one file and one test at a time,
 * after the main suite (`npm test` runs this config second).
 */
export default defineConfig({
  test: {
    include: ['apps/server/test/faults/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    // Processes start, 30,000 timelines fill, a broker restarts: minutes, not seconds.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // A test that flakes is a bug to fix, not to retry.
    retry: 0,
    reporters: ['default'],
  },
});

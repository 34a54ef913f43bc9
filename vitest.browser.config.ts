import { defineConfig } from 'vitest/config';

/**
 * The browser suites (apps/web/test/*.browser.test.ts): Debian's Chromium against whole server
 * processes. They run after the main suite (`npm test` runs this config second), two files at a
 * time, so Chromium and the CPU-heavy model and corpus suites do not starve each other on a
 * 2-core machine, where UI waits would time out for no reason of their own.
 */
export default defineConfig({
  test: {
    include: ['apps/web/test/**/*.browser.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // A test that flakes is a bug to fix, not to retry.
    retry: 0,
    reporters: ['default'],
  },
});

import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['apps/*/test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    // Fault tests restart and flush shared services: their own serial stage (vitest.faults.config.ts).
    // Browser suites run Chromium against whole servers: their own stage (vitest.browser.config.ts).
    exclude: [...configDefaults.exclude, 'apps/server/test/faults/**', 'apps/web/test/**/*.browser.test.ts'],
    pool: 'forks',
    // Files run in parallel; each one owns its databases and key prefixes, so they never meet.
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // A test that flakes is a bug to fix, not to retry.
    retry: 0,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});

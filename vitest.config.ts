import { defineConfig } from 'vitest/config';

// One vitest run over every package and the cross-package tests. Tests import the packages by
// name, so they exercise the compiled dist/ that workers load (`npm test` runs `tsc -b` first).
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    // 2 cores: two test files at a time; cross-worker tests spawn threads of their own.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});

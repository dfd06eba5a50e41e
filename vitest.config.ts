import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // two cores here and in CI: more workers only contend for PGlite's WASM start-up
    maxWorkers: 2,
  },
});

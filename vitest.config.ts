import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// where suites record what they skipped for want of Postgres, MariaDB or Chromium
// (test/support/requires.ts); the global setup empties it first and prints the one-line summary last
const SKIP_DIR = join(tmpdir(), `order-doctor-skips-${process.pid}`);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // two cores here and in CI: more workers only contend for PGlite's WASM start-up
    maxWorkers: 2,
    env: { OD_SKIP_DIR: SKIP_DIR },
    globalSetup: ['test/support/skip-summary.ts'],
  },
});

/**
 * What a suite needs beyond Node: a real Postgres, the MariaDB the dujiaoka suites run on, or
 * Chromium. The tests that guard the money (the order-row lock, SKIP LOCKED, the slot-uniqueness
 * index) only run on real servers, so a missing one must never pass quietly:
 * - under `CI=true` a missing server fails the file (and so the run);
 * - otherwise the suite is skipped and the skip recorded (a marker file in `OD_SKIP_DIR`, made by
 *   test/support/skip-summary.ts), and the run ends with one line naming what was skipped and how
 *   to run it.
 *
 * @example
 * const PG = await requires('postgres');
 * describe.skipIf(!PG)('exactly once on real Postgres', () => { ... });
 */
import { existsSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import mysql from 'mysql2/promise';

export type Need = 'postgres' | 'mariadb' | 'chromium';

/** The real Postgres the suites make their databases on (none: PGlite, and the .pg suites skip). */
export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
/** The MariaDB (or MySQL) server the dujiaoka suites make their shops on. */
export const SHOP_SERVER_URL = process.env.TEST_SHOP_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/';
/** Debian's Chromium, driven by playwright-core. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** How each need is met, for the summary line and the CI failure. */
export const HOW_TO_RUN: Record<Need, { name: string; how: string }> = {
  postgres: { name: 'Postgres', how: 'set DATABASE_URL=postgres://USER@HOST:5432/postgres' },
  mariadb: { name: 'MariaDB', how: 'start it on 127.0.0.1:3306, or set TEST_SHOP_DATABASE_URL' },
  chromium: { name: 'Chromium', how: 'apt-get install -y chromium, or set CHROMIUM_PATH' },
};

async function mariadbReachable(): Promise<boolean> {
  try {
    const c = await mysql.createConnection({ uri: SHOP_SERVER_URL, connectTimeout: 2000 });
    await c.end();
    return true;
  } catch {
    return false;
  }
}

const probes: Record<Need, () => boolean | Promise<boolean>> = {
  postgres: () => Boolean(POSTGRES_URL),
  mariadb: mariadbReachable,
  chromium: () => existsSync(CHROMIUM),
};
const known = new Map<Need, Promise<boolean>>();

function available(need: Need): Promise<boolean> {
  let p = known.get(need);
  if (!p) {
    p = Promise.resolve(probes[need]());
    known.set(need, p);
  }
  return p;
}

/** The test file being collected (vitest's own notion of it), relative to the project. */
function currentTestFile(): string {
  let path: string | undefined;
  try {
    path = expect.getState().testPath;
  } catch {
    path = undefined;
  }
  return path ? relative(process.cwd(), path) : 'unknown';
}

function recordSkip(need: Need, file: string): void {
  const dir = process.env.OD_SKIP_DIR;
  if (!dir) return; // run outside the configured project: nothing to summarise into
  // one marker per file and need, however often the file asks
  const name = `${need}-${createHash('sha1').update(file).digest('hex').slice(0, 16)}.json`;
  try {
    writeFileSync(join(dir, name), JSON.stringify({ need, file }));
  } catch {
    // a summary that misses one skip is better than a suite that fails over it
  }
}

/**
 * Whether everything in `needs` is here. Missing under `CI=true`: throws (the file fails).
 * Missing otherwise: false, and the skip is recorded for the end-of-run line.
 */
export async function requires(...needs: Need[]): Promise<boolean> {
  const file = currentTestFile();
  const missing: Need[] = [];
  for (const need of needs) if (!(await available(need))) missing.push(need);
  if (missing.length === 0) return true;
  const what = missing.map((n) => `${HOW_TO_RUN[n].name} (${HOW_TO_RUN[n].how})`).join(' and ');
  if (process.env.CI === 'true') {
    throw new Error(`CI=true and ${file} needs ${what}: the tests that guard the money must not be skipped`);
  }
  for (const need of missing) recordSkip(need, file);
  return false;
}

/**
 * The driver of every shop's crash suite: the child process (crash-child.ts, shop-independent:
 * configured by the environment like order-doctor itself) run to a kill point, and the rows of our
 * own database a crash and its recovery write. Each shop's crash.test.ts brings its stuck order and
 * what the shop's own rows look like untouched and delivered once.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect } from 'vitest';
import { asc, eq } from 'drizzle-orm';
import type { Env } from '../../../src/config.ts';
import { auditLog, diagnoses, mailOutbox, shopDeliveries } from '../../../src/db/schema.ts';
import { recoverDeliveries } from '../../../src/engine/recover.ts';
import type { Services } from '../../../src/services.ts';
import type { Database } from '../../../src/db/client.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../../support/db.ts';
import type { DroppableShop, Harness } from './harness.ts';

const RUN_TS = fileURLToPath(new URL('../../../bin/run-ts.js', import.meta.url));
const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

/** Where the child dies (prepared, shop_committed) or waits for a line on stdin (hold): crash-child.ts. */
export type Kill = 'prepared' | 'shop_committed' | 'hold';

export interface ChildRun {
  /** the configuration this process uses too: the same shop, gateways and card-key secret */
  env: Env;
  /** order-doctor's own database, shared with the child */
  databaseUrl: string | undefined;
  orderNo: string;
  now: Date;
  actor?: 'sweep' | 'customer';
  /** the buyer's 查询密码, for a customer's check */
  secret?: string;
}

/** The child at `at`: its output, its exit, and a wait for a line it prints. */
export function crashChild(at: Kill, run: ChildRun) {
  const proc = spawn(process.execPath, [RUN_TS, CHILD], {
    env: {
      PATH: process.env.PATH, ...run.env, DATABASE_URL: run.databaseUrl, CRASH_AT: at, CRASH_NOW: run.now.toISOString(),
      CRASH_ORDER: run.orderNo, CRASH_ACTOR: run.actor ?? 'sweep', ...(run.secret === undefined ? {} : { CRASH_SECRET: run.secret }),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  proc.stdout.on('data', (d) => {
    stdout += String(d);
    for (const w of waiters) { const m = stdout.match(w.re); if (m) w.resolve(m); }
  });
  proc.stderr.on('data', (d) => { stderr += String(d); });
  const exited = new Promise<NodeJS.Signals | number | null>((r) => proc.on('exit', (code, signal) => r(signal ?? code)));
  return {
    proc, exited,
    output: () => `stdout: ${stdout}\nstderr: ${stderr}`,
    /** the first match of `re` on the child's stdout; fails if the child exits first */
    waitFor: (re: RegExp) => Promise.race([
      new Promise<RegExpMatchArray>((resolve) => {
        const m = stdout.match(re);
        if (m) resolve(m); else waiters.push({ re, resolve });
      }),
      exited.then((how) => { throw new Error(`child exited (${how}) before ${re}: ${stdout} ${stderr}`); }),
    ]),
  };
}

/** Runs the child to its kill point and checks it died there, by SIGKILL. */
export async function killedAt(at: 'prepared' | 'shop_committed', run: ChildRun): Promise<void> {
  const c = crashChild(at, run);
  c.proc.stdin.end();
  const how = await c.exited;
  expect(how, c.output()).toBe('SIGKILL');
}

/** Recovery with no grace period, quiet. */
export const recoverNow = (s: Services) => recoverDeliveries(s, { graceMs: 0, log: () => {} });

/** What a crash and its recovery write in our own database, read through the services `svc` gives at the time. */
export function ourRows(svc: () => Services, orderNo: string) {
  const db = () => svc().database.db;
  const journal = () => db().select().from(shopDeliveries).orderBy(asc(shopDeliveries.preparedAt), asc(shopDeliveries.id));
  const audits = (action: string) => db().select().from(auditLog).where(eq(auditLog.action, action)).orderBy(asc(auditLog.id));
  const diagnosisRows = () => db().select().from(diagnoses).where(eq(diagnoses.orderNo, orderNo));
  const mail = () => db().select().from(mailOutbox);
  return { journal, audits, diagnosisRows, mail };
}

/**
 * Starts recovery, a minute on, against a delivery the child holds in flight and shows it waiting
 * on the shop's row lock: not settled, the entry still prepared. Returns the recovery in an object
 * (returning the promise itself would wait for it).
 */
export async function recoveryWaits(s: Services, clock: { advance(ms: number): void }, journal: () => Promise<{ state: string }[]>) {
  clock.advance(60_000);
  let settled = false;
  const recovery = recoverNow(s).finally(() => { settled = true; });
  await new Promise((r) => setTimeout(r, 700));
  expect(settled).toBe(false);
  expect((await journal()).map((e) => e.state)).toEqual(['prepared']);
  return { recovery };
}

/**
 * A crash suite's shop and databases: order-doctor's on a real Postgres (the child shares it; an
 * in-memory PGlite cannot be shared), the shop's harness beside it, and one configuration for this
 * process and the child: the same shop, gateways and card-key secret, mail on for recovery's email.
 */
export function crashSuite<H extends Harness<DroppableShop>>(harness: (database: Database) => Promise<H>) {
  let tdb: TestDatabase | undefined;
  let h: H | undefined;
  let env: Env | undefined;
  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 10);
    h = await harness(tdb.database);
    env = h.env({ CHECKER_TIMEOUT_MS: '15000', SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'shop@example.com', PUBLIC_URL: 'https://shop.example.com/check' });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await tdb?.drop();
  });
  const made = () => {
    if (!tdb || !h || !env) throw new Error('the crash suite is made in beforeAll');
    return { tdb, h, env };
  };
  return {
    get h() {
      return made().h;
    },
    get env() {
      return made().env;
    },
    /** the child's run on `orderNo` as of `now`, in this suite's configuration */
    run(orderNo: string, now: Date, opts: { actor?: 'sweep' | 'customer'; secret?: string } = {}): ChildRun {
      const { tdb: d, env: e } = made();
      return { env: e, databaseUrl: d.url, orderNo, now, ...opts };
    },
  };
}

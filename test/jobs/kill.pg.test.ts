/**
 * A sweeper killed mid-batch (a real child process, SIGKILL) and another one finishing the work:
 * the dead one's claims are left alone until their lease runs out, then picked up; in the end every
 * order holds exactly its keys, nothing issued twice, nothing lost.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, isNotNull, isNull, sql } from 'drizzle-orm';
import { auditLog, issuedKeys, orders, stockKeys, sweepQueue, sweepRuns } from '../../src/db/schema.ts';
import { newMasterKey } from '../../src/crypto/secret-box.ts';
import type { Services } from '../../src/services.ts';
import { runSweep } from '../../src/jobs/sweep.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { stuckWorld, sweepServices, urlOf } from './support.ts';

const PG = await requires('postgres');

const N = 300;
const LEASE_SECONDS = 15;
const CLI = fileURLToPath(new URL('../../bin/order-doctor.js', import.meta.url));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!PG)('a sweeper killed mid-batch', () => {
  let tdb: TestDatabase;
  let svc: Services;
  let url: string;
  const cardKeySecret = newMasterKey();
  // generous checker timeouts: a loaded CI box must not turn a slow answer into UPSTREAM_UNAVAILABLE here
  const env = { SWEEP_LEASE_SECONDS: String(LEASE_SECONDS), SWEEP_RATE_LIMIT: '1000', SANDBOX_LATENCY_MS: '5', CHECKER_TIMEOUT_MS: '20000' };

  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 20);
    // the real clock: the child process runs on it too
    svc = await sweepServices(tdb.database, stuckWorld(new Date(), N), { clock: null, env, cardKeySecret });
    url = await urlOf(tdb.database, POSTGRES_URL!);
  }, 120_000);
  afterAll(async () => {
    await svc?.close();
    await tdb?.drop();
  });

  const count = async (q: Promise<{ n: number }[]>) => Number((await q)[0]!.n);
  const issued = () => count(svc.database.db.select({ n: sql<number>`count(*)::int` }).from(issuedKeys));

  it('leaves its claims to expire, and the next sweeper finishes the work with nothing twice and nothing lost', async () => {
    const child = spawn(process.execPath, [CLI, 'sweep', '--json'], {
      env: {
        PATH: process.env.PATH, DATABASE_URL: url, CARD_KEY_SECRET: cardKeySecret, SWEEP_LEASE_SECONDS: String(LEASE_SECONDS), SANDBOX: 'on',
        // slow enough to be caught in the middle: 300 orders at 40/s take ~7 s
        SWEEP_RATE_LIMIT: '40', SWEEP_CONCURRENCY: '8', SANDBOX_LATENCY_MS: '50', CHECKER_TIMEOUT_MS: '20000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += String(d); });
    const exited = new Promise<NodeJS.Signals | number | null>((r) => child.on('exit', (code, signal) => r(signal ?? code)));

    const deadline = Date.now() + 60_000;
    while ((await issued()) < 40) {
      if (Date.now() > deadline) throw new Error(`the child sweeper never got going: ${stderr}`);
      await sleep(50);
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const db = svc.database.db;
    const afterKill = await issued();
    expect(afterKill).toBeGreaterThanOrEqual(40);
    expect(afterKill).toBeLessThan(N); // really killed mid-run
    const [deadRun] = await db.select().from(sweepRuns);
    expect(deadRun!.status).toBe('running'); // it never got to record an end
    const orphaned = await db.select().from(sweepQueue).where(isNotNull(sweepQueue.leasedBy));
    expect(orphaned.length).toBeGreaterThan(0); // it died holding claims

    // straight away, the survivor does everything except what the dead one still holds
    const first = await runSweep(svc, { sweeperId: 'survivor', log: () => {} });
    const stillHeld = await db.select().from(sweepQueue).where(isNull(sweepQueue.doneAt));
    expect(stillHeld.map((r) => r.orderNo).sort()).toEqual(orphaned.map((r) => r.orderNo).sort());

    // once the leases have run out, the rest is picked up
    const expiry = Math.max(...orphaned.map((r) => r.leaseUntil!.getTime()));
    expect(Date.now()).toBeLessThan(expiry); // (the first survivor run must fit inside the lease)
    await sleep(expiry - Date.now() + 200);
    const second = await runSweep(svc, { sweeperId: 'survivor', log: () => {} });
    expect(second.picked).toBe(orphaned.length);
    expect(await db.select().from(sweepQueue).where(isNull(sweepQueue.doneAt))).toEqual([]); // nothing left to do
    expect(first.picked + second.picked).toBeGreaterThanOrEqual(N - afterKill);

    // every order holds exactly its one key; no stock key twice; one keys_issued audit per order
    const perOrder = await db.select({ id: orders.id, n: sql<number>`count(${issuedKeys.id})::int` })
      .from(orders).leftJoin(issuedKeys, eq(issuedKeys.orderId, orders.id)).groupBy(orders.id);
    expect(perOrder).toHaveLength(N);
    expect(perOrder.filter((r) => Number(r.n) !== 1)).toEqual([]);
    const keys = await db.select().from(issuedKeys);
    expect(new Set(keys.map((k) => k.stockKeyId)).size).toBe(N);
    expect(await count(db.select({ n: sql<number>`count(*)::int` }).from(stockKeys).where(eq(stockKeys.status, 'available')))).toBe(0);
    const audits = await db.select().from(auditLog).where(eq(auditLog.action, 'keys_issued'));
    expect(audits).toHaveLength(N);
    expect(new Set(audits.map((a) => a.orderNo)).size).toBe(N);
    const delivered = await count(db.select({ n: sql<number>`count(*)::int` }).from(orders).where(eq(orders.status, 'delivered')));
    expect(delivered).toBe(N);
  }, 120_000);

  it('the CLI prints exactly one JSON summary line with --json (nothing left to do now)', async () => {
    const child = spawn(process.execPath, [CLI, 'sweep', '--json'], {
      env: { PATH: process.env.PATH, DATABASE_URL: url, CARD_KEY_SECRET: cardKeySecret },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += String(d); });
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0]!);
    expect(Object.keys(summary)).toEqual(['picked', 'byVerdict', 'byAction', 'errors', 'durationMs']);
    expect(summary.picked).toBe(0);
  }, 60_000);

  it('refuses a bad flag with a one-line error and exit 2', async () => {
    const child = spawn(process.execPath, [CLI, 'sweep', '--now'], { env: { PATH: process.env.PATH, DATABASE_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += String(d); });
    expect(await new Promise((r) => child.on('exit', r))).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/order-doctor: .*--now/);
  }, 60_000);
});

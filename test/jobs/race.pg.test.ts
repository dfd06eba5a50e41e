/**
 * Two sweepers racing over the same stuck orders on a real Postgres (separate connection pools,
 * separate sandboxes): the work is shared, no order is diagnosed twice, no key issued twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, isNull, sql, type SQL } from 'drizzle-orm';
import { auditLog, diagnoses, issuedKeys, sweepQueue } from '../../src/db/schema.ts';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { createServices, type Services } from '../../src/services.ts';
import { runSweep } from '../../src/jobs/sweep.ts';
import { queueCandidates } from '../../src/jobs/select.ts';
import { releaseClaims } from '../../src/jobs/claim.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { movableClock, stuckWorld, sweepServices, urlOf } from './support.ts';

const PG = await requires('postgres');

const N = 240;

describe.skipIf(!PG)('two sweepers racing on real Postgres', () => {
  let tdb: TestDatabase;
  let second: Database;
  let a: Services;
  let b: Services;
  const clock = movableClock('2026-11-22T10:00:00+08:00');

  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 20);
    const env = { SANDBOX_LATENCY_MS: '10', SWEEP_CONCURRENCY: '16', SWEEP_RATE_LIMIT: '2000', CHECKER_TIMEOUT_MS: '20000' };
    a = await sweepServices(tdb.database, stuckWorld(clock.now(), N), { clock, env });
    second = await openDatabase({ url: await urlOf(tdb.database, POSTGRES_URL!), maxConnections: 20 });
    b = await createServices(a.config, { database: second, migrated: true, now: clock.now });
  });
  afterAll(async () => {
    await b?.close();
    await second?.close();
    await a?.close();
    await tdb?.drop();
  });

  it('share the work: every order diagnosed once, by one of them, and delivered exactly once', async () => {
    const [ra, rb] = await Promise.all([
      runSweep(a, { sweeperId: 'sweeper-a', log: () => {} }),
      runSweep(b, { sweeperId: 'sweeper-b', log: () => {} }),
    ]);
    expect(ra.picked + rb.picked).toBe(N);
    expect(ra.picked).toBeGreaterThan(0);
    expect(rb.picked).toBeGreaterThan(0);
    expect((ra.byAction.reissued ?? 0) + (rb.byAction.reissued ?? 0)).toBe(N);

    const db = a.database.db;
    const perOrder = await db.select({ orderNo: diagnoses.orderNo, n: sql<number>`count(*)::int` })
      .from(diagnoses).where(eq(diagnoses.actorKind, 'sweep')).groupBy(diagnoses.orderNo);
    expect(perOrder).toHaveLength(N);
    expect(perOrder.filter((r) => Number(r.n) !== 1)).toEqual([]);

    const keys = await db.select().from(issuedKeys);
    expect(keys).toHaveLength(N);
    expect(new Set(keys.map((k) => k.orderId)).size).toBe(N);
    expect(new Set(keys.map((k) => k.stockKeyId)).size).toBe(N);
    const issued = await db.select().from(auditLog).where(eq(auditLog.action, 'keys_issued'));
    expect(new Set(issued.map((r) => r.orderNo)).size).toBe(issued.length);
    expect(issued).toHaveLength(N);
    expect(await db.select().from(sweepQueue).where(isNull(sweepQueue.doneAt))).toEqual([]); // nothing left to do
  });

  it('a third sweep afterwards finds nothing left to do', async () => {
    const r = await runSweep(b, { sweeperId: 'sweeper-c', log: () => {} });
    expect(r.picked).toBe(0);
  });

  it('a selection that began before another sweeper queued, delivered and closed an order cannot queue it again', async () => {
    // One more stuck order. Sweeper A queues, claims and closes it inside one transaction (the
    // whole of its work, compressed); sweeper B's selection starts meanwhile, sees the order as a
    // new candidate (A's row is not committed yet) and waits on A's row to insert it; A commits.
    // The closed order's row stays in the queue, done, so B's insert meets it and does nothing.
    // (When closing moved the row elsewhere, B inserted it again and it was swept twice.)
    const db = a.database.db;
    const [stuck] = await a.database.rows<{ order_no: string }>(sql`
      insert into orders (order_no, sku, quantity, amount_cents, channel, status, created_at, query_secret_hash)
      select 'K2026112299999', sku, 1, 10000, 'alipay', 'pending', ${new Date(clock.now().getTime() - 30 * 60_000).toISOString()}::timestamptz, 'x'
        from products limit 1
      returning order_no`);
    const orderNo = stuck!.order_no;
    const now = clock.now();
    let selection: Promise<number> | undefined;
    let bWaited = false;
    await db.transaction(async (tx) => {
      await tx.insert(sweepQueue).values({ orderNo, reason: 'undelivered', nextAt: now, enqueuedAt: now, leasedBy: 'sweeper-a', leaseUntil: new Date(now.getTime() + 60_000) });
      selection = queueCandidates(b, { now, horizonMs: a.config.sweepHorizonMs, limit: 100 });
      // B's statement is now waiting for this transaction (its insert conflicts with the row above)
      for (let i = 0; i < 250 && !bWaited; i++) {
        const [waiting] = await b.database.rows<{ n: number }>(sql`
          select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%insert into sweep_queue%'`);
        bWaited = Number(waiting!.n) > 0;
        if (!bWaited) await new Promise((r) => setTimeout(r, 20));
      }
      const inThisTransaction: Database = { ...a.database, rows: <T,>(q: SQL) => a.database.rows<T>(q, tx) };
      await releaseClaims(inThisTransaction, { sweeperId: 'sweeper-a', now, releases: [{ orderNo, verdict: 'PAID_NOT_DELIVERED', step: { kind: 'done' } }] });
    });
    expect(bWaited).toBe(true); // the interleaving really happened
    expect(await selection).toBe(0);
    const [row] = await db.select().from(sweepQueue).where(eq(sweepQueue.orderNo, orderNo));
    expect(row).toMatchObject({ doneAt: now, lastVerdict: 'PAID_NOT_DELIVERED', leasedBy: null });
    expect((await runSweep(b, { sweeperId: 'sweeper-d', log: () => {} })).picked).toBe(0);
  });
});

/**
 * What the sweep picks and when it looks again, on a fixed clock that the test moves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, isNotNull, isNull, sql } from 'drizzle-orm';
import { auditLog, issuedKeys, orders, stockKeys, sweepQueue, sweepRuns } from '../../src/db/schema.ts';
import { runSweep, type SweepItem } from '../../src/jobs/sweep.ts';
import { countDue } from '../../src/jobs/select.ts';
import { claimBatch, letGoClaims, releaseClaims, restockedSkus } from '../../src/jobs/claim.ts';
import { defer } from '../../src/actions/defer.ts';
import { lastSweepRun, sweepHealth } from '../../src/jobs/run-record.ts';
import { createApp } from '../../src/http/app.ts';
import { createAgent } from '../../src/engine/agents.ts';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { movableClock, order, paid, STEAM, stockKeys as keys, sweepServices } from './support.ts';

const PSN = { sku: 'PSN-HK-200', title: 'PlayStation 港服充值卡 200港币', priceCents: 10000, fulfilment: 'stock', deliveryWindowMinutes: 10 };

const world = {
  now: '2026-11-22T10:00:00+08:00',
  products: [STEAM, PSN],
  stock: [{ sku: 'STEAM-100', keys: keys(2) }],
  orders: [
    order('K2026112200A01', '2026-11-22T09:40:00+08:00'), // paid, notify lost, past its window
    order('K2026112200B01', '2026-11-22T09:55:00+08:00'), // still inside its delivery window
    order('K2026112200C01', '2026-11-22T09:00:00+08:00', {
      status: 'delivered', paidAt: '2026-11-22T09:00:30+08:00', keys: [{ secret: 'S100-HAVE-0001', status: 'delivered', replacement: false }],
    }),
    order('K2026112200D01', '2026-11-22T09:00:00+08:00', { status: 'closed' }), // closed by timeout, paid at 09:16
    order('K2026112100E01', '2026-11-21T08:00:00+08:00', { status: 'closed' }), // 26 h old: gateways gave up
    order('K2026112200F01', '2026-11-22T09:30:00+08:00'), // not paid
    order('K2026112200G01', '2026-11-22T09:30:00+08:00'), // gateway answers garbage
    order('K2026112200H01', '2026-11-22T09:30:00+08:00'), // trade closed: final
    order('K2026112200I01', '2026-11-22T09:30:00+08:00', { sku: 'PSN-HK-200' }), // paid, no stock
  ],
  gateway: Object.fromEntries([
    paid('K2026112200A01', '2026-11-22T09:41:00+08:00', 1),
    paid('K2026112200C01', '2026-11-22T09:00:30+08:00', 3),
    paid('K2026112200D01', '2026-11-22T09:16:00+08:00', 4),
    paid('K2026112100E01', '2026-11-21T08:10:00+08:00', 5),
    ['K2026112200F01', { state: 'unpaid' }],
    ['K2026112200G01', { state: 'malformed' }],
    ['K2026112200H01', { state: 'closed' }],
    paid('K2026112200I01', '2026-11-22T09:31:00+08:00', 9),
  ]),
};

/** What the first sweep finds and does; a dry run just before it suggests exactly the same. */
const FIRST_LOOK = {
  K2026112200A01: 'PAID_NOT_DELIVERED/reissued',
  K2026112200D01: 'PAID_NOT_DELIVERED/reissued',
  K2026112200F01: 'NOT_PAID/none',
  K2026112200G01: 'UPSTREAM_UNAVAILABLE/deferred',
  K2026112200H01: 'PAYMENT_CLOSED/none',
  K2026112200I01: 'OUT_OF_STOCK/escalated',
};

describe('sweep selection and backoff on a fixed clock', () => {
  let tdb: TestDatabase;
  let svc: Services;
  const clock = movableClock(world.now);
  const sweep = async (dryRun = false) => {
    const items: SweepItem[] = [];
    const summary = await runSweep(svc, { sweeperId: 'test', dryRun, onResult: (i) => items.push(i), log: () => {} });
    const lines = Object.fromEntries(items.map((i) => [i.orderNo, i.result ? `${i.result.verdict}/${dryRun ? i.result.suggested : i.result.action}` : `error ${i.error}`]));
    return { summary, lines };
  };
  /** the orders still to look at (closed ones stay in the table, done) */
  const queue = async () => Object.fromEntries(
    (await svc.database.db.select().from(sweepQueue).where(isNull(sweepQueue.doneAt))).map((q) => [q.orderNo, { reason: q.reason, attempts: q.attempts, nextAt: q.nextAt.toISOString(), leasedBy: q.leasedBy }]),
  );

  beforeAll(async () => {
    tdb = await testDatabase();
    svc = await sweepServices(tdb.database, world, { clock });
  });
  afterAll(async () => {
    await svc?.close();
    await tdb?.drop();
  });

  it('a dry run shows what would be picked and what it would do, and changes nothing', async () => {
    const { summary, lines } = await sweep(true);
    expect(lines).toEqual(FIRST_LOOK);
    expect(summary.picked).toBe(6);
    // the progress bar's total counts the same orders
    expect(await countDue(svc, { now: clock.now(), horizonMs: svc.config.sweepHorizonMs, restocked: await restockedSkus(svc) })).toBe(6);
    expect(await queue()).toEqual({});
    expect(await svc.database.db.select().from(issuedKeys)).toHaveLength(1); // only C's own key
    expect(await lastSweepRun(svc.database)).toBeNull(); // dry runs are not "the last sweep"
  });

  it('picks stuck, closed-but-maybe-paid and out-of-stock orders; leaves in-window, delivered and too-old ones alone', async () => {
    const { summary, lines } = await sweep();
    expect(lines).toEqual(FIRST_LOOK);
    expect(summary.byReason).toEqual({ undelivered: 5, closed_maybe_paid: 1 });
    expect(summary.byVerdict).toEqual({ PAID_NOT_DELIVERED: 2, NOT_PAID: 1, UPSTREAM_UNAVAILABLE: 1, PAYMENT_CLOSED: 1, OUT_OF_STOCK: 1 });
    expect(summary.byAction).toEqual({ reissued: 2, none: 2, deferred: 1, escalated: 1 });
    // the faulty gateway is one aggregated entry, named by channel and fault
    expect(Object.keys(summary.errors)).toHaveLength(1);
    expect(Object.keys(summary.errors)[0]).toMatch(/^alipay: payment: /);
    // retry verdicts wait by the backoff (first step 1 min); final ones left the queue
    expect(await queue()).toEqual({
      K2026112200F01: { reason: 'undelivered', attempts: 1, nextAt: '2026-11-22T02:01:00.000Z', leasedBy: null },
      // the deferral records why it was deferred
      K2026112200G01: { reason: 'payment: parse', attempts: 1, nextAt: '2026-11-22T02:01:00.000Z', leasedBy: null },
      K2026112200I01: { reason: 'out_of_stock', attempts: 1, nextAt: '2026-11-22T02:01:00.000Z', leasedBy: null },
    });
    const done = await svc.database.db.select().from(sweepQueue).where(isNotNull(sweepQueue.doneAt));
    expect(done.map((d) => `${d.orderNo}:${d.lastVerdict}`).sort()).toEqual([
      'K2026112200A01:PAID_NOT_DELIVERED', 'K2026112200D01:PAID_NOT_DELIVERED', 'K2026112200H01:PAYMENT_CLOSED',
    ]);
  });

  it('records the run: picked, verdicts, actions, errors, duration', async () => {
    const run = await lastSweepRun(svc.database);
    expect(run).toMatchObject({ status: 'finished', dryRun: false, picked: 6, byAction: { reissued: 2, none: 2, deferred: 1, escalated: 1 } });
    expect(run!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('/healthz shows the last run (to an agent)', async () => {
    const app = createApp(svc, { healthExtras: () => sweepHealth(svc.database) });
    const { token } = await createAgent(svc, 'ops');
    const res = await app.request('/healthz', { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { sweep: { lastRun: Record<string, unknown> } };
    expect(body.sweep.lastRun).toMatchObject({ picked: 6, byVerdict: { PAID_NOT_DELIVERED: 2 }, sweeperId: 'test' });
    expect(Object.keys(body.sweep.lastRun.errors as object)).toHaveLength(1);
  });

  it('a second sweep at the same moment finds nothing due', async () => {
    const { summary } = await sweep();
    expect(summary.picked).toBe(0);
  });

  it('looks again on the schedule: attempt 2 after 1 min, the next after 2 more; out-of-stock waits for stock', async () => {
    clock.set('2026-11-22T10:01:00+08:00');
    const first = await sweep();
    expect(Object.keys(first.lines).sort()).toEqual(['K2026112200F01', 'K2026112200G01']);
    expect((await queue()).K2026112200F01).toMatchObject({ attempts: 2, nextAt: '2026-11-22T02:03:00.000Z' });

    clock.set('2026-11-22T10:06:00+08:00'); // B's window has passed now; F and G are due again
    const second = await sweep();
    expect(second.lines).toEqual({
      K2026112200B01: 'NOT_PAID/none', K2026112200F01: 'NOT_PAID/none', K2026112200G01: 'UPSTREAM_UNAVAILABLE/deferred',
    });
    expect((await queue()).K2026112200F01).toMatchObject({ attempts: 3, nextAt: '2026-11-22T02:11:00.000Z' });
  });

  it('delivers the out-of-stock order once its product has stock again, and only then', async () => {
    const secret = 'PSN200-BACK-0001';
    await svc.database.db.insert(stockKeys).values({
      sku: 'PSN-HK-200', secretEnc: await svc.box.encrypt(secret), secretHash: await svc.box.keyHash(secret), addedAt: clock.now(),
    });
    clock.set('2026-11-22T10:06:30+08:00'); // I was due at 10:01 but had no stock; nothing else is due
    const { lines } = await sweep();
    expect(lines).toEqual({ K2026112200I01: 'PAID_NOT_DELIVERED/reissued' });
    expect((await queue()).K2026112200I01).toBeUndefined();
  });

  it('gives up at 25 h after creation, when the gateways have stopped notifying', async () => {
    clock.set('2026-11-23T10:30:00+08:00'); // F's and G's 25 h are up (created 09:30), B's at 10:55
    const { lines } = await sweep();
    expect(Object.keys(lines).sort()).toEqual(['K2026112200B01', 'K2026112200F01', 'K2026112200G01']);
    const q = await queue();
    expect(Object.keys(q)).toEqual(['K2026112200B01']); // B still has 25 min: next look by its backoff (attempt 2: 2 min)
    expect(q.K2026112200B01!.nextAt).toBe('2026-11-23T02:32:00.000Z');
    clock.set('2026-11-23T10:50:00+08:00');
    await sweep();
    // attempt 3 would be 5 min later, past the horizon: the last look lands exactly on it
    expect((await queue()).K2026112200B01!.nextAt).toBe('2026-11-23T02:55:00.000Z');
    clock.set('2026-11-23T10:55:00+08:00');
    await sweep();
    expect(await queue()).toEqual({});
  });

  it('an order the sweep closed starts over when a later check defers it again', async () => {
    const db = svc.database.db;
    const [closed] = await db.select().from(sweepQueue).where(eq(sweepQueue.orderNo, 'K2026112200H01'));
    expect(closed!.doneAt).not.toBeNull();
    const now = clock.now();
    await db.transaction((tx) => defer(tx, {
      orderNo: 'K2026112200H01', reason: 'payment: timeout', now, nextAt: new Date(now.getTime() + 60_000),
      actor: { kind: 'customer' }, diagnosisId: 'd-later', verdict: 'UPSTREAM_UNAVAILABLE', channel: 'alipay', sku: 'STEAM-100', orderCreatedAt: null,
    }));
    const [again] = await db.select().from(sweepQueue).where(eq(sweepQueue.orderNo, 'K2026112200H01'));
    expect(again).toMatchObject({ doneAt: null, attempts: 0, reason: 'payment: timeout', nextAt: new Date(now.getTime() + 60_000), enqueuedAt: now });
    await db.update(sweepQueue).set({ doneAt: closed!.doneAt, attempts: closed!.attempts, reason: closed!.reason, nextAt: closed!.nextAt, enqueuedAt: closed!.enqueuedAt })
      .where(eq(sweepQueue.orderNo, 'K2026112200H01'));
  });

  it('a check that defers an order a sweeper holds keeps the time it promised: the sweeper\'s release neither moves nor closes the row', async () => {
    const db = svc.database.db;
    const now = clock.now();
    const at = (min: number) => new Date(now.getTime() + min * 60_000);
    const promised = at(10);
    for (const [orderNo, step] of [['K2026112200Y01', { kind: 'retry', at: at(30) }], ['K2026112200Y02', { kind: 'done' }]] as const) {
      await db.insert(sweepQueue).values({ orderNo, reason: 'payment: timeout', attempts: 2, nextAt: at(-1), enqueuedAt: at(-20) });
      const claimed = await claimBatch(svc.database, { sweeperId: 'holder', now, leaseMs: 5 * 60_000, batch: 100, restocked: [] });
      expect(claimed.map((c) => c.orderNo)).toContain(orderNo);
      // a buyer's check, while the sweeper is still diagnosing: "we will re-check at 10:10"
      await db.transaction((tx) => defer(tx, {
        orderNo, reason: 'supplier: processing', now, nextAt: promised, actor: { kind: 'customer' }, diagnosisId: `d-${orderNo}`,
        verdict: 'DELIVERY_IN_PROGRESS', channel: 'alipay', sku: 'STEAM-100', orderCreatedAt: null,
      }));
      // the sweeper's own diagnosis ends: its schedule would say 10:30, or done
      await releaseClaims(svc.database, { sweeperId: 'holder', now, releases: [{ orderNo, verdict: 'PAYMENT_PENDING', step }] });
      const [row] = await db.select().from(sweepQueue).where(eq(sweepQueue.orderNo, orderNo));
      expect(row).toMatchObject({ nextAt: promised, doneAt: null, leasedBy: null, leaseUntil: null, reason: 'supplier: processing', attempts: 2 });
      // not due before the promised time, so no sweeper takes it again meanwhile
      expect((await claimBatch(svc.database, { sweeperId: 'other', now, leaseMs: 60_000, batch: 100, restocked: [] })).map((c) => c.orderNo)).not.toContain(orderNo);
      await letGoClaims(svc.database, { sweeperId: 'holder' });
      await letGoClaims(svc.database, { sweeperId: 'other' });
      await db.delete(sweepQueue).where(eq(sweepQueue.orderNo, orderNo));
    }
  });

  it('a sweep\'s own defer of the row it holds keeps the lease, so its release counts the attempt', async () => {
    const db = svc.database.db;
    const now = clock.now();
    const orderNo = 'K2026112200Y03';
    await db.insert(sweepQueue).values({ orderNo, reason: 'payment: timeout', attempts: 2, nextAt: new Date(now.getTime() - 60_000), enqueuedAt: now });
    await claimBatch(svc.database, { sweeperId: 'run-1', now, leaseMs: 5 * 60_000, batch: 100, restocked: [] });
    await db.transaction((tx) => defer(tx, {
      orderNo, reason: 'payment: timeout', now, nextAt: new Date(now.getTime() + 60_000), actor: { kind: 'sweep', id: 'run-1' }, diagnosisId: 'd-own',
      verdict: 'UPSTREAM_UNAVAILABLE', channel: 'alipay', sku: 'STEAM-100', orderCreatedAt: null,
    }));
    const later = new Date(now.getTime() + 4 * 60_000);
    await releaseClaims(svc.database, { sweeperId: 'run-1', now, releases: [{ orderNo, verdict: 'UPSTREAM_UNAVAILABLE', step: { kind: 'retry', at: later } }] });
    const [row] = await db.select().from(sweepQueue).where(eq(sweepQueue.orderNo, orderNo));
    expect(row).toMatchObject({ attempts: 3, nextAt: later, leasedBy: null, doneAt: null });
    await letGoClaims(svc.database, { sweeperId: 'run-1' });
    await db.delete(sweepQueue).where(eq(sweepQueue.orderNo, orderNo));
  });

  it('issued every key exactly once', async () => {
    const db = svc.database.db;
    const perOrder = await db.select({ orderId: issuedKeys.orderId, n: sql<number>`count(*)::int` }).from(issuedKeys)
      .where(eq(issuedKeys.status, 'delivered')).groupBy(issuedKeys.orderId);
    expect(perOrder.every((r) => Number(r.n) === 1)).toBe(true);
    expect(perOrder).toHaveLength(4); // A, C (own), D, I
    const audits = await db.select().from(auditLog).where(eq(auditLog.action, 'keys_issued'));
    expect(audits.map((a) => a.orderNo).sort()).toEqual(['K2026112200A01', 'K2026112200D01', 'K2026112200I01']);
    const [e] = await db.select().from(orders).where(eq(orders.orderNo, 'K2026112100E01'));
    expect(e!.status).toBe('closed');
    const runs = await db.select().from(sweepRuns);
    expect(runs.every((r) => r.status === 'finished')).toBe(true);
  });

  it('a run that stopped beating is marked abandoned by the next; a live one is shown running; old runs and closed orders go', async () => {
    const db = svc.database.db;
    const now = new Date('2026-11-23T11:00:00+08:00');
    clock.set(now.toISOString());
    const ago = (ms: number) => new Date(now.getTime() - ms);
    const tally = { picked: 7, byReason: {}, byVerdict: { NOT_PAID: 7 }, byAction: { none: 7 }, errors: {} };
    await db.insert(sweepRuns).values([
      // killed 10 min ago: far past the lease (2 min)
      { id: 'run-killed', sweeperId: 'host:1', status: 'running', startedAt: ago(900_000), heartbeatAt: ago(600_000), ...tally },
      // beat 3 s ago: alive
      { id: 'run-alive', sweeperId: 'host:2', status: 'running', startedAt: ago(60_000), heartbeatAt: ago(3_000), ...tally },
      { id: 'run-old', sweeperId: 'host:3', status: 'finished', startedAt: ago(31 * 86_400_000), finishedAt: ago(31 * 86_400_000) },
    ]);
    // an order closed 26 h ago: older than the 25 h horizon, nothing can select it again
    await db.insert(sweepQueue).values({ orderNo: 'K2026112100Z01', reason: 'undelivered', nextAt: ago(26 * 3_600_000), enqueuedAt: ago(27 * 3_600_000), doneAt: ago(26 * 3_600_000), lastVerdict: 'NOT_PAID' });
    const closedBefore = (await db.select().from(sweepQueue).where(isNotNull(sweepQueue.doneAt))).length;
    await sweep();
    const closedAfter = await db.select().from(sweepQueue).where(isNotNull(sweepQueue.doneAt));
    expect(closedAfter.map((r) => r.orderNo)).not.toContain('K2026112100Z01');
    expect(closedAfter).toHaveLength(closedBefore - 1); // the ones closed within the horizon stay
    const runs = Object.fromEntries((await db.select().from(sweepRuns)).map((r) => [r.id, r]));
    expect(runs['run-killed']).toMatchObject({ status: 'abandoned', finishedAt: ago(600_000), picked: 7 });
    expect(runs['run-alive']!.status).toBe('running');
    expect(runs['run-old']).toBeUndefined();

    const app = createApp(svc, { healthExtras: () => sweepHealth(svc.database) });
    const { token } = await createAgent(svc, 'ops');
    const res = await app.request('/healthz', { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { sweep: { running: { id: string; picked: number; heartbeatAt: string }[] } };
    expect(body.sweep.running).toEqual([expect.objectContaining({ id: 'run-alive', picked: 7, heartbeatAt: ago(3_000).toISOString() })]);
    await db.delete(sweepRuns).where(eq(sweepRuns.id, 'run-alive'));
  });
});

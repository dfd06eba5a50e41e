/**
 * The outcome report over a small world with known outcomes: three paid orders, two keys in stock.
 * Buyers check all three (two keys reissued, one out of stock and escalated), a sweep runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerCheck } from '../../src/engine/customer-check.ts';
import { runSweep } from '../../src/jobs/sweep.ts';
import { outcomeReport, type OutcomeReport } from '../../src/reports/outcomes.ts';
import { humanReport } from '../../src/cli/report.ts';
import { consoleReport, type ConsoleReport } from '../../src/reports/console-report.ts';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { paidOrdersWorld, servicesWithWorld } from '../support/services.ts';
import { NO_LOG_CONTEXT } from '../../src/observability/context.ts';

describe('outcome report', () => {
  let tdb: TestDatabase;
  let svc: Services;
  let report: OutcomeReport;
  let full: ConsoleReport;
  beforeAll(async () => {
    tdb = await testDatabase();
    svc = await servicesWithWorld(tdb.database, paidOrdersWorld({ orders: 3, stock: 2 })); // now 10:00, paid 09:41:10
    for (const n of [1, 2, 3]) {
      const r = await customerCheck(svc, { orderNo: `K202611220000${n}`, secret: '8462', ip: '10.0.0.1', logContext: NO_LOG_CONTEXT });
      if (!r.ok) throw new Error(r.error);
    }
    await runSweep(svc, { sweeperId: 'test', log: () => {} });
    const until = new Date(svc.now().getTime() + 1000);
    report = await outcomeReport(svc.database, { since: new Date(until.getTime() - 7 * 86_400_000), until });
    full = await consoleReport(svc.database, { since: new Date(report.since), until, preset: '7d', timeZone: 'Asia/Shanghai' });
  });
  afterAll(async () => {
    await svc?.close();
    await tdb?.drop();
  });

  it('counts diagnoses by who asked, verdict and action', () => {
    expect(report.diagnoses).toEqual({
      total: 3, orders: 3,
      byActor: { customer: 3 },
      byVerdict: { PAID_NOT_DELIVERED: 2, OUT_OF_STOCK: 1 },
      byAction: { reissued: 2, escalated: 1 },
    });
  });

  it('self-service: two of the three buyers needed no agent', () => {
    expect(report.selfService).toEqual({ ordersChecked: 3, closedWithoutAgent: 2, rate: 2 / 3 });
  });

  it('keys issued, by who asked, and the wait from payment (09:41:10) to key (10:00:00)', () => {
    expect(report.keys).toEqual({ issued: 2, orders: 2, byActor: { customer: 2 }, payToKeySeconds: { p50: 1130, p90: 1130, max: 1130 } });
  });

  it('tickets and the sweep', () => {
    expect(report.tickets).toEqual({ opened: 1, openNow: 1, overdueNow: 0 });
    // the out-of-stock order waits for stock: the sweep finds nothing due
    expect(report.sweep).toMatchObject({ runs: 1, lastRun: { picked: 0, errors: {} } });
  });

  it('reads as a few plain lines', () => {
    const text = humanReport(full, 'last 7d');
    expect(text).toContain('2 of 3 orders checked by buyers closed without an agent (66.7%)');
    expect(text).toContain('keys issued   2 to 2 orders (customer 2); payment to key p50 18 min 50 s, p90 18 min 50 s, max 18 min 50 s');
    expect(text).toContain('tickets       1 opened; 1 open now, 0 past their SLA');
  });

  it('an empty window reports zeros, not errors', async () => {
    const empty = await outcomeReport(svc.database, { since: new Date('2020-01-01'), until: new Date('2020-01-02') });
    expect(empty.diagnoses.total).toBe(0);
    expect(empty.selfService.rate).toBeNull();
    expect(empty.keys.payToKeySeconds).toBeNull();
  });
});

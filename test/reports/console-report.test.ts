/**
 * The console's outcome report over a small world with known outcomes, every number checked:
 *  - K..01, K..02 alipay, the shop still `pending` (callbacks lost), paid 09:41:10 and 09:50:00;
 *  - K..03 wechat, the shop knew (`paid`), paid 09:59:00;                     -> three keys reissued
 *  - K..04 wechat, `pending`, no stock left                                   -> OUT_OF_STOCK, ticket
 *  - K..05 alipay, never paid                                                 -> NOT_PAID
 * Buyers check all five at 10:00 (Beijing). Tickets made at known times give one SLA met, two
 * breached and one running; buyers answered "solved" twice on K..01 (one answer) and once on K..02,
 * "not solved" twice on K..04 (one answer) and, before answers had rows of their own, on K..05.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { audit } from '../../src/actions/audit.ts';
import { escalate } from '../../src/actions/escalate.ts';
import { customerCheck } from '../../src/engine/customer-check.ts';
import { consoleReport, type ConsoleReport } from '../../src/reports/console-report.ts';
import { reportCsv, csvCell } from '../../src/reports/csv.ts';
import { BUYER_NOT_SOLVED, BUYER_SOLVED } from '../../src/reports/feedback.ts';
import { outcomeReport } from '../../src/reports/outcomes.ts';
import { parsePeriod, type Period } from '../../src/reports/period.ts';
import { bucketStarts } from '../../src/reports/series.ts';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { servicesWithWorld } from '../support/services.ts';

const TZ = 'Asia/Shanghai';
const NOW = new Date('2026-11-22T10:00:00+08:00');
/** the report is asked a second after the checks (a window ends before `until`) */
const ASKED = new Date(NOW.getTime() + 1000);

function world() {
  const order = (n: number, channel: 'alipay' | 'wechat', status: 'pending' | 'paid', paidAt?: string) => ({
    orderNo: `K202611220000${n}`, sku: 'STEAM-100', quantity: 1, amountCents: 10000, channel, status,
    createdAt: '2026-11-22T09:40:00+08:00', ...(status === 'paid' ? { paidAt } : {}), querySecret: '8462', keys: [], supplier: null,
  });
  const paid = (paidAt: string, tradeNo: string) => ({ state: 'paid', amountCents: 10000, paidAt, tradeNo });
  return {
    now: '2026-11-22T10:00:00+08:00',
    products: [{ sku: 'STEAM-100', title: 'Steam 钱包充值卡 100元', priceCents: 10000, fulfilment: 'stock', deliveryWindowMinutes: 10 }],
    stock: [{ sku: 'STEAM-100', keys: ['S100-REPT-00001', 'S100-REPT-00002', 'S100-REPT-00003'] }],
    orders: [
      order(1, 'alipay', 'pending'),
      order(2, 'alipay', 'pending'),
      order(3, 'wechat', 'paid', '2026-11-22T09:59:00+08:00'),
      order(4, 'wechat', 'pending'),
      order(5, 'alipay', 'pending'),
    ],
    gateway: {
      K2026112200001: paid('2026-11-22T09:41:10+08:00', '2026112222001400000001'),
      K2026112200002: paid('2026-11-22T09:50:00+08:00', '2026112222001400000002'),
      K2026112200003: paid('2026-11-22T09:59:00+08:00', '4200002345202611200000000003'),
      K2026112200004: paid('2026-11-22T09:45:00+08:00', '4200002345202611200000000004'),
      K2026112200005: { state: 'unpaid' },
    },
  };
}

describe('console outcome report', () => {
  let tdb: TestDatabase;
  let svc: Services;
  let period: Period;
  let report: ConsoleReport;
  const diagnosisOf: Record<string, string> = {};

  beforeAll(async () => {
    tdb = await testDatabase();
    svc = await servicesWithWorld(tdb.database, world());
    for (const n of [1, 2, 3, 4, 5]) {
      const r = await customerCheck(svc, { orderNo: `K202611220000${n}`, secret: '8462', ip: '10.0.0.1' });
      if (!r.ok) throw new Error(r.error);
    }
    const ids = await svc.database.rows<{ order_no: string; id: string }>(sql`select order_no, id from diagnoses`);
    for (const d of ids) diagnosisOf[d.order_no] = d.id;

    // tickets at known times, deadlines set here (whatever terms escalate() gives a new ticket):
    // K..04's own ticket, opened at 10:00 and due 12:00, is running
    const db = svc.database.db;
    const setTicket = (orderNo: string, due: string, resolved?: string) => svc.database.rows(sql`
      update tickets set due_at = ${due}::timestamptz, resolved_at = ${resolved ?? null}::timestamptz,
             status = ${resolved ? 'resolved' : 'open'} where order_no = ${orderNo}`);
    const ticket = async (orderNo: string, opened: string, due: string, resolved?: string) => {
      await db.transaction((tx) => escalate(tx, {
        orderNo, reason: 'test', source: 'agent', now: new Date(opened), slaMinutes: 120, actor: { kind: 'system', id: 'test' }, diagnosisId: 'd-test',
      }));
      await setTicket(orderNo, due, resolved);
    };
    await setTicket('K2026112200004', '2026-11-22T12:00:00+08:00');
    await ticket('K2026112200091', '2026-11-22T07:00:00+08:00', '2026-11-22T09:00:00+08:00', '2026-11-22T08:30:00+08:00'); // met
    await ticket('K2026112200092', '2026-11-22T06:00:00+08:00', '2026-11-22T08:00:00+08:00', '2026-11-22T08:30:00+08:00'); // breached
    await ticket('K2026112200093', '2026-11-22T05:00:00+08:00', '2026-11-22T07:00:00+08:00'); // open past its deadline: breached
    await ticket('K2026112200094', '2026-10-01T05:00:00+08:00', '2026-10-01T07:00:00+08:00'); // outside every window below

    // buyers' answers, as the check page's feedback route records them: an audit row per answer,
    // and for "not solved" the ticket (reused here: K..04 has one)
    const buyer = { kind: 'customer' as const, id: '10.0.0.1' };
    for (const no of ['K2026112200001', 'K2026112200001', 'K2026112200002']) {
      await audit(db, { at: NOW, actor: buyer, action: BUYER_SOLVED, orderNo: no, diagnosisId: diagnosisOf[no], detail: {} });
    }
    for (let i = 0; i < 2; i++) {
      await db.transaction(async (tx) => {
        await audit(tx, { at: NOW, actor: buyer, action: BUYER_NOT_SOLVED, orderNo: 'K2026112200004', diagnosisId: diagnosisOf.K2026112200004!, detail: {} });
        await escalate(tx, {
          orderNo: 'K2026112200004', reason: BUYER_NOT_SOLVED, source: 'buyer', now: NOW, slaMinutes: 120, actor: buyer, diagnosisId: diagnosisOf.K2026112200004!,
        });
      });
    }
    // an answer from before the route wrote its own row: only its ticket's audit row says so
    await audit(db, { at: NOW, actor: buyer, action: 'ticket_opened', orderNo: 'K2026112200005', diagnosisId: diagnosisOf.K2026112200005, detail: { ticket: 'T-old', reason: BUYER_NOT_SOLVED } });

    const parsed = parsePeriod({ period: '7d' }, ASKED, TZ);
    if (!parsed.ok) throw new Error(parsed.error);
    period = parsed.period;
    report = await consoleReport(svc.database, period, ASKED);
  });
  afterAll(async () => {
    await svc?.close();
    await tdb?.drop();
  });

  it('holds order-doctor report\'s figures for the same window, unchanged (the same function)', async () => {
    const cli = await outcomeReport(svc.database, { since: period.since, until: period.until });
    const { period: _p, callbackFailures: _c, sla: _s, buyerAnswers: _b, series: _t, ...overlap } = report;
    expect(overlap).toEqual(cli);
    expect(report.since).toBe(new Date(ASKED.getTime() - 7 * 86_400_000).toISOString());
    expect(report.period).toEqual({ preset: '7d', timeZone: TZ });
  });

  it('verdicts and actions', () => {
    expect(report.diagnoses).toEqual({
      total: 5, orders: 5, byActor: { customer: 5 },
      byVerdict: { PAID_NOT_DELIVERED: 3, OUT_OF_STOCK: 1, NOT_PAID: 1 },
      byAction: { reissued: 3, escalated: 1, none: 1 },
    });
  });

  it('self-service: four of five buyers needed no agent (K..04 got a ticket)', () => {
    expect(report.selfService).toEqual({ ordersChecked: 5, closedWithoutAgent: 4, rate: 4 / 5 });
  });

  it('payment to key: 1130 s, 600 s, 60 s -> p50 600 s, p90 1024 s, slowest 1130 s', () => {
    expect(report.keys).toEqual({ issued: 3, orders: 3, byActor: { customer: 3 }, payToKeySeconds: { p50: 600, p90: 1024, max: 1130 } });
  });

  it('callback failures per gateway: alipay 2 of 2 missed, wechat 1 of 2 (the shop knew K..03 was paid); unpaid K..05 is not a payment', () => {
    expect(report.callbackFailures).toEqual([
      { channel: 'alipay', confirmed: 2, missed: 2, rate: 1 },
      { channel: 'wechat', confirmed: 2, missed: 1, rate: 0.5 },
    ]);
  });

  it('SLA met: 1 met, 2 breached, 1 running (the October ticket is outside the window); one group until tickets carry priority/assignee', () => {
    const row = { key: null, tickets: 4, met: 1, breached: 2, running: 1, rate: 1 / 3 };
    expect(report.sla).toEqual({ overall: row, byPriority: [row], byAgent: [row] });
  });

  it('buyers\' answers: one per diagnosis, however often pressed', () => {
    expect(report.buyerAnswers).toEqual({ solved: 2, notSolved: 2, rate: 0.5 });
  });

  it('the series: a point per Beijing day of the window, everything on 11-22', () => {
    expect(report.series.unit).toBe('day');
    expect(report.series.points.map((p) => p.label)).toEqual(
      ['2026-11-15', '2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22']);
    expect(report.series.points[0]).toEqual({ start: '2026-11-14T16:00:00.000Z', label: '2026-11-15', diagnoses: 0, autoFixed: 0, escalated: 0 });
    expect(report.series.points.at(-1)).toEqual({ start: '2026-11-21T16:00:00.000Z', label: '2026-11-22', diagnoses: 5, autoFixed: 3, escalated: 1 });
  });

  it('24 h: hourly points, the diagnoses in the 10:00 hour', async () => {
    const p = parsePeriod({ period: '24h' }, ASKED, TZ);
    if (!p.ok) throw new Error(p.error);
    const r = await consoleReport(svc.database, p.period, ASKED);
    expect(r.series.unit).toBe('hour');
    expect(r.series.points).toHaveLength(25); // 10:00 yesterday (the window starts at 10:00:01) to 10:00 today
    expect(r.series.points[0]!.label).toBe('2026-11-21 10:00');
    expect(r.series.points.at(-1)).toMatchObject({ label: '2026-11-22 10:00', diagnoses: 5 });
    expect(r.series.points.reduce((s, x) => s + x.diagnoses, 0)).toBe(5);
    // the tickets opened at 05:00-07:00 are inside 24 h too
    expect(r.sla.overall).toMatchObject({ tickets: 4, met: 1, breached: 2, running: 1 });
  });

  it('a from/to period in shop days: 11-21 has nothing, 11-22 everything', async () => {
    const day = async (d: string) => {
      const p = parsePeriod({ from: d, to: d }, ASKED, TZ);
      if (!p.ok) throw new Error(p.error);
      return consoleReport(svc.database, p.period, ASKED);
    };
    const before = await day('2026-11-21');
    expect(before.since).toBe('2026-11-20T16:00:00.000Z');
    expect(before.until).toBe('2026-11-21T16:00:00.000Z');
    expect(before.diagnoses.total).toBe(0);
    expect(before.callbackFailures).toEqual([]);
    expect(before.sla.overall).toEqual({ key: null, tickets: 0, met: 0, breached: 0, running: 0, rate: null });
    expect(before.buyerAnswers).toEqual({ solved: 0, notSolved: 0, rate: null });
    const today = await day('2026-11-22');
    expect(today.until).toBe(ASKED.toISOString()); // reaches past now: ends now
    expect(today.period).toEqual({ preset: null, from: '2026-11-22', to: '2026-11-22', timeZone: TZ });
    expect(today.diagnoses.total).toBe(5);
    expect(today.series.points.map((p) => p.label)).toHaveLength(11); // under 48 h: hourly, 00:00 to 10:00
  });

  it('the CSV: one figure a row, the same numbers as the JSON', () => {
    const lines = reportCsv(report).trimEnd().split('\r\n');
    expect(lines[0]).toBe('section,key,metric,value');
    for (const line of [
      'diagnoses,,total,5', 'verdict,PAID_NOT_DELIVERED,diagnoses,3', 'verdict,OUT_OF_STOCK,diagnoses,1', 'action,reissued,diagnoses,3',
      'self_service,,orders_checked,5', 'self_service,,closed_without_agent,4', 'self_service,,rate,0.8',
      'pay_to_key,,p50_seconds,600', 'pay_to_key,,p90_seconds,1024', 'pay_to_key,,max_seconds,1130',
      'callback_failures,alipay,confirmed,2', 'callback_failures,alipay,missed,2', 'callback_failures,alipay,rate,1',
      'callback_failures,wechat,confirmed,2', 'callback_failures,wechat,missed,1', 'callback_failures,wechat,rate,0.5',
      'sla,,tickets,4', 'sla,,met,1', 'sla,,breached,2', 'sla,,running,1', 'sla,,rate,0.333333',
      'sla_by_priority,,met,1', 'sla_by_agent,,breached,2',
      'buyer_answers,,solved,2', 'buyer_answers,,not_solved,2', 'buyer_answers,,rate,0.5',
      'series_day,2026-11-22,diagnoses,5', 'series_day,2026-11-22,auto_fixed,3', 'series_day,2026-11-15,diagnoses,0',
      'period,,time_zone,Asia/Shanghai', 'period,,preset,7d',
    ]) expect(lines).toContain(line);
    expect(lines.every((l) => l.split(',').length === 4)).toBe(true);
  });

  it('CSV cells: quoted when they must be, never a spreadsheet formula', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(null)).toBe('');
  });
});

describe('periods', () => {
  const ok = (q: Record<string, string>) => {
    const r = parsePeriod(q, NOW, TZ);
    if (!r.ok) throw new Error(r.error);
    return r.period;
  };
  const bad = (q: Record<string, string>) => {
    const r = parsePeriod(q, NOW, TZ);
    if (r.ok) throw new Error(`accepted ${JSON.stringify(q)}`);
    return r.error;
  };

  it('presets end now; nothing given is 7 days', () => {
    expect(ok({}).preset).toBe('7d');
    expect(NOW.getTime() - ok({ period: '24h' }).since.getTime()).toBe(86_400_000);
    expect(NOW.getTime() - ok({ period: '30d' }).since.getTime()).toBe(30 * 86_400_000);
  });

  it('from/to are whole days in the shop\'s zone, both included', () => {
    const p = ok({ from: '2026-11-01', to: '2026-11-10' });
    expect(p.since.toISOString()).toBe('2026-10-31T16:00:00.000Z');
    expect(p.until.toISOString()).toBe('2026-11-10T16:00:00.000Z');
    const ny = parsePeriod({ from: '2026-03-08', to: '2026-03-08' }, NOW, 'America/New_York');
    expect(ny.ok && ny.period.until.getTime() - ny.period.since.getTime()).toBe(23 * 3_600_000); // the DST day
  });

  it.each([
    [{ period: 'forever' }, /Unknown period “forever”/],
    [{ period: '7x' }, /choose 24h, 7d or 30d/],
    [{ from: '2026-11-01' }, /both a from and a to/],
    [{ to: '2026-11-01' }, /both a from and a to/],
    [{ from: '2026-02-30', to: '2026-03-01' }, /from date “2026-02-30” is not a date/],
    [{ from: '2026-11-01', to: 'yesterday' }, /to date “yesterday” is not a date/],
    [{ from: '11/01/2026', to: '2026-11-02' }, /expected YYYY-MM-DD/],
    [{ from: '2026-11-10', to: '2026-11-01' }, /after the to date/],
    [{ from: '2026-12-01', to: '2026-12-02' }, /starts in the future/],
    [{ from: '2024-01-01', to: '2026-11-01' }, /at most 366/],
    [{ from: '1999-01-01', to: '1999-01-02' }, /not a date/],
  ])('%j is refused: %s', (q, message) => {
    expect(bad(q)).toMatch(message);
  });

  it('hourly buckets start on the hour, in the shop\'s zone', () => {
    const b = bucketStarts({ since: new Date('2026-11-22T01:30:00Z'), until: new Date('2026-11-22T04:00:00Z') }, 'Asia/Kolkata');
    expect(b.labels).toEqual(['2026-11-22 07:00', '2026-11-22 08:00', '2026-11-22 09:00']);
  });
});

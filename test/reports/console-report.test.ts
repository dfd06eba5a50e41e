/**
 * The console's outcome report over a small world with known outcomes, every number checked:
 *  - K..01, K..02 alipay, the shop still `pending` (callbacks lost), paid 09:41:10 and 09:50:00;
 *  - K..03 wechat, the shop knew (`paid`), paid 09:59:00;                     -> three keys reissued
 *  - K..04 wechat, `pending`, no stock left                                   -> OUT_OF_STOCK, ticket
 *  - K..05 alipay, never paid                                                 -> NOT_PAID
 * Buyers check all five at 10:00 (Beijing). Tickets of both priorities, two agents' and unassigned,
 * moved by the real ticket verbs on a fixed clock, give met, breached and running on both SLA clocks
 * (the table in the SLA test); buyers answered "solved" twice on K..01 (one answer) and once on K..02,
 * "not solved" twice on K..04 (one answer) and, before answers had rows of their own, on K..05.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { audit } from '../../src/actions/audit.ts';
import { escalate } from '../../src/actions/escalate.ts';
import { createAgentAccount } from '../../src/agents/accounts.ts';
import { customerCheck } from '../../src/engine/customer-check.ts';
import { consoleReport, type ConsoleReport } from '../../src/reports/console-report.ts';
import { reportCsv, csvCell } from '../../src/reports/csv.ts';
import { BUYER_NOT_SOLVED, BUYER_SOLVED } from '../../src/reports/feedback.ts';
import { outcomeReport } from '../../src/reports/outcomes.ts';
import { parsePeriod, type Period } from '../../src/reports/period.ts';
import { bucketStarts } from '../../src/reports/series.ts';
import type { Services } from '../../src/services.ts';
import { checkBreaches } from '../../src/tickets/breaches.ts';
import { assignTicket, changeState, triageTicket } from '../../src/tickets/lifecycle.ts';
import { addMessage } from '../../src/tickets/messages.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { servicesWithWorld } from '../support/services.ts';
import { NO_LOG_CONTEXT } from '../../src/observability/context.ts';

const TZ = 'Asia/Shanghai';
const NOW = new Date('2026-11-22T10:00:00+08:00');
/** the report is asked a second after the checks (a window ends before `until`) */
const ASKED = new Date(NOW.getTime() + 1000);
const at = (iso: string) => new Date(iso);

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
      const r = await customerCheck(svc, { orderNo: `K202611220000${n}`, secret: '8462', ip: '10.0.0.1', logContext: NO_LOG_CONTEXT });
      if (!r.ok) throw new Error(r.error);
    }
    const ids = await svc.database.rows<{ order_no: string; id: string }>(sql`select order_no, id from diagnoses`);
    for (const d of ids) diagnosisOf[d.order_no] = d.id;

    // tickets on the default SLA policy (normal: first response 15 min, resolution 2 h; urgent 5 /
    // 30 min), moved by the real ticket verbs at known times. K..04's own ticket (opened 10:00 by
    // the check, normal, unassigned) runs on both clocks.
    const db = svc.database.db;
    let clock = NOW;
    (svc as { now: () => Date }).now = () => new Date(clock); // addMessage reads the services' clock
    const system = { kind: 'system' as const, id: 'test' };
    const alice = await createAgentAccount(svc, { name: 'alice', role: 'agent', by: system });
    const bob = await createAgentAccount(svc, { name: 'bob', role: 'agent', by: system });
    const as = (a: { id: number }) => ({ kind: 'agent' as const, id: String(a.id) });
    const open = async (orderNo: string, opened: string, o: { urgent?: boolean; to?: { id: number } } = {}) => {
      const now = at(opened);
      const t = await db.transaction((tx) => escalate(tx, { orderNo, reason: 'test', source: 'agent', now, actor: system, diagnosisId: 'd-test' }));
      if (o.urgent) await triageTicket(db, { number: t.number, priority: 'urgent', category: 'delivery', actor: system, now });
      if (o.to) await assignTicket(db, { number: t.number, assigneeId: o.to.id, actor: system, now });
      return t.number;
    };
    const reply = async (number: string, a: { id: number; name: string }, when: string, then?: 'wait' | 'resolve') => {
      clock = at(when);
      await addMessage(svc, { number, kind: 'reply', body: 'On it.', agent: { id: a.id, name: a.name }, actor: as(a), ...(then ? { then } : {}) });
      clock = NOW;
    };
    const resolve = (number: string, when: string) => changeState(db, { number, event: 'resolve', actor: system, now: at(when) });

    const old = await open('K2026112200099', '2026-10-01T05:00:00+08:00'); // outside every window below (breached: not counted)
    const t2 = await open('K2026112200092', '2026-11-22T06:00:00+08:00', { to: bob });
    expect(await checkBreaches(db, at('2026-11-22T06:20:00+08:00'))).toHaveLength(3); // the sweep: T2's first response (due 06:15), the October ticket's two
    await reply(t2, bob, '2026-11-22T06:30:00+08:00'); // late: first response stays breached
    const t1 = await open('K2026112200091', '2026-11-22T07:00:00+08:00', { to: alice });
    await reply(t1, alice, '2026-11-22T07:10:00+08:00'); // first response met (due 07:15)
    const t3 = await open('K2026112200093', '2026-11-22T08:00:00+08:00', { urgent: true, to: alice });
    await reply(t3, alice, '2026-11-22T08:03:00+08:00', 'wait'); // met (due 08:05); then waiting on the buyer: resolution paused, running
    await resolve(t1, '2026-11-22T08:30:00+08:00'); // resolution met (due 09:00)
    await resolve(t2, '2026-11-22T08:30:00+08:00'); // resolution due 08:00: the breach is recorded as it resolves
    const t4 = await open('K2026112200094', '2026-11-22T09:00:00+08:00', { urgent: true, to: bob });
    await reply(t4, bob, '2026-11-22T09:20:00+08:00'); // first response due 09:05: the reply records the breach
    await resolve(t4, '2026-11-22T09:25:00+08:00'); // resolution met (due 09:30)
    const t5 = await open('K2026112200095', '2026-11-22T09:30:00+08:00');
    await resolve(t5, '2026-11-22T09:35:00+08:00'); // resolved with no reply: both clocks stopped in time
    expect(await checkBreaches(db, at('2026-11-22T09:45:00+08:00'))).toEqual([]); // nothing else is due (T3's clocks stand)
    expect(old).toMatch(/^T/);

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
          orderNo: 'K2026112200004', reason: BUYER_NOT_SOLVED, source: 'buyer', now: NOW, actor: buyer, diagnosisId: diagnosisOf.K2026112200004!,
        });
      });
    }
    // an answer from before the route wrote its own row: only its ticket's audit row says so
    await audit(db, { at: NOW, actor: buyer, action: 'ticket_opened', orderNo: 'K2026112200005', diagnosisId: diagnosisOf.K2026112200005, detail: { ticket: 'T-old', reason: BUYER_NOT_SOLVED } });

    const parsed = parsePeriod({ period: '7d' }, ASKED, TZ);
    if (!parsed.ok) throw new Error(parsed.error);
    period = parsed.period;
    report = await consoleReport(svc.database, period);
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

  it('SLA met per clock, overall, per priority and per agent, from the stored breaches (the October ticket is outside the window)', () => {
    const counts = (met: number, breached: number, running: number) => ({ met, breached, running, rate: met + breached ? met / (met + breached) : null });
    expect(report.sla).toEqual({
      // T1 met/met, T2 breached/breached, T3 met/running (waiting), T4 breached/met, T5 met/met, K..04 running/running
      overall: { key: null, tickets: 6, firstResponse: counts(3, 2, 1), resolution: counts(3, 1, 2) },
      byPriority: [
        { key: 'normal', tickets: 4, firstResponse: counts(2, 1, 1), resolution: counts(2, 1, 1) }, // T1, T2, T5, K..04
        { key: 'urgent', tickets: 2, firstResponse: counts(1, 1, 0), resolution: counts(1, 0, 1) }, // T3, T4
      ],
      byAgent: [
        { key: 'alice', tickets: 2, firstResponse: counts(2, 0, 0), resolution: counts(1, 0, 1) }, // T1, T3
        { key: 'bob', tickets: 2, firstResponse: counts(0, 2, 0), resolution: counts(1, 1, 0) }, // T2, T4
        { key: null, tickets: 2, firstResponse: counts(1, 0, 1), resolution: counts(1, 0, 1) }, // unassigned: T5, K..04
      ],
    });
    expect(report.sla.overall.firstResponse.rate).toBe(0.6);
    expect(report.sla.overall.resolution.rate).toBe(0.75);
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
    const r = await consoleReport(svc.database, p.period);
    expect(r.series.unit).toBe('hour');
    expect(r.series.points).toHaveLength(25); // 10:00 yesterday (the window starts at 10:00:01) to 10:00 today
    expect(r.series.points[0]!.label).toBe('2026-11-21 10:00');
    expect(r.series.points.at(-1)).toMatchObject({ label: '2026-11-22 10:00', diagnoses: 5 });
    expect(r.series.points.reduce((s, x) => s + x.diagnoses, 0)).toBe(5);
    // the tickets opened from 06:00 are inside 24 h too
    expect(r.sla).toEqual(report.sla);
  });

  it('a from/to period in shop days: 11-21 has nothing, 11-22 everything', async () => {
    const day = async (d: string) => {
      const p = parsePeriod({ from: d, to: d }, ASKED, TZ);
      if (!p.ok) throw new Error(p.error);
      return consoleReport(svc.database, p.period);
    };
    const before = await day('2026-11-21');
    expect(before.since).toBe('2026-11-20T16:00:00.000Z');
    expect(before.until).toBe('2026-11-21T16:00:00.000Z');
    expect(before.diagnoses.total).toBe(0);
    expect(before.callbackFailures).toEqual([]);
    expect(before.sla).toEqual({
      overall: { key: null, tickets: 0, firstResponse: { met: 0, breached: 0, running: 0, rate: null }, resolution: { met: 0, breached: 0, running: 0, rate: null } },
      byPriority: [], byAgent: [],
    });
    expect(before.buyerAnswers).toEqual({ solved: 0, notSolved: 0, rate: null });
    const today = await day('2026-11-22');
    expect(today.until).toBe(ASKED.toISOString()); // reaches past now: ends now
    expect(today.period).toEqual({ preset: null, from: '2026-11-22', to: '2026-11-22', timeZone: TZ });
    expect(today.diagnoses.total).toBe(5);
    expect(today.sla).toEqual(report.sla);
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
      'sla,,tickets,6', 'sla,,first_response_met,3', 'sla,,first_response_breached,2', 'sla,,first_response_running,1', 'sla,,first_response_rate,0.6',
      'sla,,resolution_met,3', 'sla,,resolution_breached,1', 'sla,,resolution_running,2', 'sla,,resolution_rate,0.75',
      'sla_by_priority,normal,tickets,4', 'sla_by_priority,normal,first_response_rate,0.666667', 'sla_by_priority,normal,resolution_running,1',
      'sla_by_priority,urgent,tickets,2', 'sla_by_priority,urgent,first_response_breached,1', 'sla_by_priority,urgent,resolution_met,1', 'sla_by_priority,urgent,resolution_running,1',
      'sla_by_agent,alice,first_response_met,2', 'sla_by_agent,alice,resolution_running,1', 'sla_by_agent,alice,resolution_rate,1',
      'sla_by_agent,bob,first_response_breached,2', 'sla_by_agent,bob,first_response_rate,0', 'sla_by_agent,bob,resolution_rate,0.5',
      'sla_by_agent,,tickets,2', 'sla_by_agent,,first_response_running,1', 'sla_by_agent,,resolution_met,1',
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

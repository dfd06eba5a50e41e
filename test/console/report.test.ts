/**
 * The outcome report in the console (issue 11 item 5): /agent/report, its CSV and JSON exports,
 * period validation (a clear 400, never a 500), signed-in agents only, the console's CSP. Over the
 * browser world: buyers check three orders and answer "solved" / "not solved" on the check page
 * (through its real feedback route), an agent diagnoses a fourth. Tickets on the default SLA policy,
 * moved by the real ticket verbs on the suite's clock, give both priorities, both agents and
 * unassigned, met / breached / running on both clocks:
 *  - A  the out-of-stock order's ticket (10:00, normal), the agent's: replied 10:00:30   -> met / running
 *  - B  09:00, urgent, the supervisor's: the sweep at 09:40 records both breaches, then a
 *       reply and waiting on the buyer                                                  -> breached / breached
 *  - C  09:10, normal, unassigned, resolved 09:20 with no reply                          -> met / met
 *  - D  09:50, normal, unassigned, untouched                                             -> running / running
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { consoleReport, type ConsoleReport } from '../../src/reports/console-report.ts';
import { reportCsv } from '../../src/reports/csv.ts';
import { outcomeReport } from '../../src/reports/outcomes.ts';
import { parsePeriod } from '../../src/reports/period.ts';
import { escalate } from '../../src/actions/escalate.ts';
import { checkBreaches } from '../../src/tickets/breaches.ts';
import { assignTicket, changeState, claimTicket, triageTicket } from '../../src/tickets/lifecycle.ts';
import { addMessage } from '../../src/tickets/messages.ts';
import { Browser, consoleSuite, ORDERS, postForm, signedIn } from './support.ts';

/** the keys `order-doctor report --json` prints (test/cli/cli.test.ts) */
const CLI_KEYS = ['since', 'until', 'diagnoses', 'selfService', 'keys', 'tickets', 'sweep'];

describe('the outcome report page', { timeout: 120_000 }, () => {
  const s = consoleSuite();
  let agent: Browser;

  beforeAll(async () => {
    const buyer = async (o: { no: string; secret: string }, answer?: 'yes' | 'no') => {
      const b = new Browser(s.app);
      expect((await b.lookup(o.no, o.secret)).status).toBe(303);
      if (answer) expect((await b.post('/feedback', { csrf: await b.csrf(), answer })).status).toBe(200);
    };
    await buyer(ORDERS.callbackLost, 'yes'); // wechat, shop pending: PAID_NOT_DELIVERED, key reissued
    await buyer(ORDERS.outOfStock, 'no'); // epay, shop pending: OUT_OF_STOCK, ticket (reused by "not solved")
    await buyer(ORDERS.inProgress); // epay, the shop knew it was paid: DELIVERY_IN_PROGRESS
    agent = await signedIn(s.app, s.tokens.agent);
    expect((await postForm(agent, `/agent/orders/${ORDERS.unpaid.no}/diagnose`)).status).toBe(303);

    const start = s.clock.now; // 10:00
    const db = s.svc.database.db;
    const system = { kind: 'system' as const, id: 'test' };
    const at = (hhmmss: string) => new Date(`2026-11-22T${hhmmss}+08:00`);
    const open = async (orderNo: string, when: string) =>
      (await db.transaction((tx) => escalate(tx, { orderNo, reason: 'test', source: 'agent', now: at(when), actor: system, diagnosisId: 'd-test' }))).number;
    const reply = async (number: string, who: 'agent' | 'supervisor', when: string, then?: 'wait') => {
      s.clock.now = at(when);
      const id = s.ids[who];
      await addMessage(s.svc, { number, kind: 'reply', body: 'On it.', agent: { id, name: `${who}-${who === 'agent' ? 1 : 2}` }, actor: { kind: 'agent', id: String(id) }, ...(then ? { then } : {}) });
    };
    const b = await open('K2026112290001', '09:00:00');
    await triageTicket(db, { number: b, priority: 'urgent', category: 'delivery', actor: system, now: at('09:00:00') });
    await assignTicket(db, { number: b, assigneeId: s.ids.supervisor, actor: system, now: at('09:00:00') });
    const c = await open('K2026112290002', '09:10:00');
    await changeState(db, { number: c, event: 'resolve', actor: system, now: at('09:20:00') });
    expect((await checkBreaches(db, at('09:40:00'))).map((x) => `${x.ticket} ${x.clock}`)).toEqual([`${b} first_response`, `${b} resolution`]);
    await reply(b, 'supervisor', '09:45:00', 'wait');
    await open('K2026112290003', '09:50:00');
    const [a] = await s.svc.database.rows<{ number: string }>(sql`select number from tickets where order_no = ${ORDERS.outOfStock.no}`);
    await claimTicket(db, { number: a!.number, agentId: s.ids.agent, actor: { kind: 'agent', id: String(s.ids.agent) }, now: at('10:00:10') });
    await reply(a!.number, 'agent', '10:00:30');
    s.clock.now = new Date(start.getTime() + 60_000);
  });

  async function json(query = ''): Promise<ConsoleReport> {
    const res = await agent.get(`/agent/report.json${query}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    return res.json() as Promise<ConsoleReport>;
  }

  it('JSON: every figure of the small world', async () => {
    const r = await json('?period=24h');
    expect(r.diagnoses).toEqual({
      total: 4, orders: 4, byActor: { customer: 3, agent: 1 },
      byVerdict: { PAID_NOT_DELIVERED: 1, OUT_OF_STOCK: 1, DELIVERY_IN_PROGRESS: 1, NOT_PAID: 1 },
      byAction: expect.objectContaining({ reissued: 1, escalated: 1 }),
    });
    expect(r.selfService).toEqual({ ordersChecked: 3, closedWithoutAgent: 2, rate: 2 / 3 });
    expect(r.keys).toMatchObject({ issued: 1, orders: 1, payToKeySeconds: { p50: 1165, p90: 1165, max: 1165 } }); // paid 09:40:35, key 10:00
    expect(r.callbackFailures).toEqual([
      { channel: 'epay', confirmed: 2, missed: 1, rate: 0.5 },
      { channel: 'wechat', confirmed: 1, missed: 1, rate: 1 },
    ]);
    expect(r.buyerAnswers).toEqual({ solved: 1, notSolved: 1, rate: 0.5 });
    const counts = (met: number, breached: number, running: number) => ({ met, breached, running, rate: met + breached ? met / (met + breached) : null });
    expect(r.sla).toEqual({
      overall: { key: null, tickets: 4, firstResponse: counts(2, 1, 1), resolution: counts(1, 1, 2) }, // A, B, C, D
      byPriority: [
        { key: 'normal', tickets: 3, firstResponse: counts(2, 0, 1), resolution: counts(1, 0, 2) }, // A, C, D
        { key: 'urgent', tickets: 1, firstResponse: counts(0, 1, 0), resolution: counts(0, 1, 0) }, // B
      ],
      byAgent: [
        { key: 'agent-1', tickets: 1, firstResponse: counts(1, 0, 0), resolution: counts(0, 0, 1) }, // A
        { key: 'supervisor-2', tickets: 1, firstResponse: counts(0, 1, 0), resolution: counts(0, 1, 0) }, // B
        { key: null, tickets: 2, firstResponse: counts(1, 0, 1), resolution: counts(1, 0, 1) }, // unassigned: C, D
      ],
    });
    expect(r.series.unit).toBe('hour');
    expect(r.series.points.at(-1)).toMatchObject({ label: '2026-11-22 10:00', diagnoses: 4, autoFixed: 1, escalated: 1 });
    expect(r.period).toEqual({ preset: '24h', timeZone: 'Asia/Shanghai' });
  });

  it('JSON: the same content as `order-doctor report --json` for the window, plus the page\'s own sections', async () => {
    const r = await json('?period=7d');
    const p = parsePeriod({ period: '7d' }, s.svc.now(), 'Asia/Shanghai');
    if (!p.ok) throw new Error(p.error);
    const cli = JSON.parse(JSON.stringify(await outcomeReport(s.svc.database, { since: p.period.since, until: p.period.until })));
    expect(Object.keys(cli)).toEqual(CLI_KEYS);
    for (const k of CLI_KEYS) expect(r[k as keyof ConsoleReport]).toEqual(cli[k]);
    expect(r).toEqual(JSON.parse(JSON.stringify(await consoleReport(s.svc.database, p.period))));
    // no period given: the CLI's default window, 7 days
    expect(await json()).toEqual(r);
  });

  it('CSV: the JSON\'s figures, one a row, as a download; ?format=csv is the same', async () => {
    const res = await agent.get('/agent/report.csv?period=24h');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="order-doctor-report-2026-11-21-2026-11-22\.csv"$/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();
    expect(text).toBe(reportCsv(await json('?period=24h')));
    for (const line of ['diagnoses,,total,4', 'callback_failures,epay,missed,1', 'callback_failures,wechat,rate,1', 'buyer_answers,,solved,1',
      'buyer_answers,,not_solved,1', 'pay_to_key,,p50_seconds,1165', 'self_service,,closed_without_agent,2',
      'sla,,tickets,4', 'sla,,first_response_met,2', 'sla,,first_response_breached,1', 'sla,,first_response_running,1', 'sla,,first_response_rate,0.666667',
      'sla,,resolution_met,1', 'sla,,resolution_breached,1', 'sla,,resolution_running,2', 'sla,,resolution_rate,0.5',
      'sla_by_priority,urgent,first_response_breached,1', 'sla_by_priority,normal,resolution_running,2',
      'sla_by_agent,agent-1,first_response_met,1', 'sla_by_agent,supervisor-2,resolution_breached,1', 'sla_by_agent,,tickets,2']) {
      expect(text.split('\r\n')).toContain(line);
    }
    expect(await (await agent.get('/agent/report?period=24h&format=csv')).text()).toBe(text);
    expect(await (await agent.get('/agent/report?period=24h&format=json')).json()).toEqual(await json('?period=24h'));
  });

  it('the page: figures, a chart (SVG with title and description) beside a table for each section, export links', async () => {
    const res = await agent.get('/agent/report?period=24h');
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).not.toMatch(/<script|style="|<style/);
    for (const chart of ['chart-series', 'chart-verdicts', 'chart-actions', 'chart-pay-to-key', 'chart-callbacks', 'chart-sla', 'chart-answers']) {
      expect(html).toMatch(new RegExp(`<svg[^>]*data-chart="${chart}"[^>]*role="img"[^>]*aria-labelledby="${chart}-title ${chart}-desc"`));
      expect(html).toContain(`<title id="${chart}-title">`);
      expect(html).toContain(`<desc id="${chart}-desc">`);
    }
    expect(html.match(/<figure class="report-figure">/g)).toHaveLength(7);
    expect(html.match(/<figure class="report-figure"><div class="chart-box">.*?<\/div><div class="table-box">(<div class="scroll"[^>]*>)?<table/gs)).toHaveLength(7);
    expect(html).toContain('<desc id="chart-callbacks-desc">epay: 1 of 2 (50.0%); wechat: 1 of 1 (100.0%).</desc>');
    expect(html).toContain('<desc id="chart-verdicts-desc">');
    expect(html).toMatch(/data-figure="self-service">2 of 3 \(66\.7%\) buyers/);
    expect(html).toContain('data-figure="pay-to-key">p50 19 min 25 s, p90 19 min 25 s<');
    expect(html).toContain('data-figure="answers">1 solved, 1 not solved (50.0% solved)<');
    expect(html).toContain('data-figure="sla">first response 66.7% (2 met, 1 breached, 1 running); resolution 50.0% (1 met, 1 breached, 2 running)<');
    expect(html).toContain('<desc id="chart-sla-desc">first response: met: 2; first response: breached: 1; first response: running: 1; resolution: met: 1; resolution: breached: 1; resolution: running: 2.</desc>');
    // per priority and per agent, both clocks: tickets, then met, breached, running, rate of each
    const row = (key: string) => [...html.matchAll(new RegExp(`<tr data-sla-row="${key}">(.*?)</tr>`, 'gs'))].map((m) => [...m[1]!.matchAll(/<t[hd][^>]*>([^<]*)</g)].map((c) => c[1]));
    expect(row('urgent')).toEqual([['urgent', '1', '0', '1', '0', '0.0%', '0', '1', '0', '0.0%']]);
    expect(row('normal')).toEqual([['normal', '3', '2', '0', '1', '100.0%', '1', '0', '2', '100.0%']]);
    expect(row('agent-1')).toEqual([['agent-1', '1', '1', '0', '0', '100.0%', '0', '0', '1', '-']]);
    expect(row('supervisor-2')).toEqual([['supervisor-2', '1', '0', '1', '0', '0.0%', '0', '1', '0', '0.0%']]);
    expect(row('unassigned')).toEqual([['unassigned', '2', '1', '0', '1', '100.0%', '1', '0', '1', '100.0%']]);
    expect(html).toContain('href="/agent/report.csv?period=24h"');
    expect(html).toContain('href="/agent/report.json?period=24h"');
    expect(html).toContain('aria-current="page"');
    // shown in the shop's time zone
    expect(html).toContain('2026-11-21 10:01 to 2026-11-22 10:01');
    // the console's navigation links to it
    expect(await (await agent.get('/agent')).text()).toContain('<a href="/agent/report">Report</a>');
  });

  it('a from/to period: shop days, shown back in the form; the exports keep it', async () => {
    const res = await agent.get('/agent/report?from=2026-11-22&to=2026-11-22');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('value="2026-11-22"');
    expect(html).toContain('href="/agent/report.csv?from=2026-11-22&amp;to=2026-11-22"');
    const r = await json('?from=2026-11-22&to=2026-11-22');
    expect(r.since).toBe('2026-11-21T16:00:00.000Z');
    expect(r.diagnoses.total).toBe(4);
    expect((await json('?from=2026-11-20&to=2026-11-21')).diagnoses.total).toBe(0);
  });

  it.each([
    ['?period=forever', /Unknown period “forever”/],
    ['?from=2026-11-01', /Give both a from and a to date/],
    ['?from=2026-13-01&to=2026-13-02', /from date “2026-13-01” is not a date/],
    ['?from=2026-11-10&to=2026-11-01', /after the to date/],
    ['?from=2027-01-01&to=2027-01-02', /starts in the future/],
    ['?from=2020-01-01&to=2026-11-01', /at most 366/],
    ['?from=%3Cscript%3Ealert(1)%3C%2Fscript%3E&to=x', /from date “&lt;script&gt;alert\(1\)&lt;\/sc” is not a date/],
    ['?format=xml', /Unknown format “xml”/],
    [`?period=${'9'.repeat(5000)}`, /Unknown period “9{20}”/],
  ])('bad input %s: a 400 page that says so, with the chooser', async (query, message) => {
    const res = await agent.get(`/agent/report${query}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(message);
    expect(html).toContain('role="alert"');
    expect(html).toContain('name="from"');
    expect(html).not.toContain('<script>');
  });

  it('bad input to the exports: problem+json (JSON) and a plain line (CSV), 400', async () => {
    const j = await agent.get('/agent/report.json?period=1y');
    expect(j.status).toBe(400);
    expect(j.headers.get('content-type')).toBe('application/problem+json');
    expect(await j.json()).toMatchObject({ code: 'invalid_request', status: 400, detail: expect.stringMatching(/Unknown period “1y”/) });
    const c = await agent.get('/agent/report.csv?from=2026-11-02&to=2026-11-01');
    expect(c.status).toBe(400);
    expect(await c.text()).toMatch(/after the to date/);
  });

  it('signed-in agents only: without a session, the sign-in page (401) and no figure', async () => {
    for (const path of ['/agent/report', '/agent/report.csv', '/agent/report.json', '/agent/report?format=json', '/agent/report?period=bad']) {
      const res = await new Browser(s.app).get(path);
      expect(res.status).toBe(401);
      const body = await res.text();
      expect(body).toContain('name="token"');
      expect(body).not.toMatch(/callback|diagnoses|selfService|section,key/i);
    }
  });
});

/**
 * Tickets on SLA clocks through the console (issue 11 item 3): a buyer's "not solved" opens a
 * ticket with its category and stored deadlines; the queue sorts by soonest due and filters; a first
 * reply stops the first-response clock, shows on the buyer's ticket page (never a note) and is
 * emailed through the outbox; waiting on the buyer pauses and the buyer's answer resumes, moving the
 * deadlines by the pause; breaches recorded once; the state machine's refusals; permissions (agent
 * vs supervisor: assigning others, the SLA policy); macros; re-diagnose; everything audited.
 */
import { describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { auditLog, diagnoses, mailOutbox, tickets } from '../../src/db/schema.ts';
import { escalate } from '../../src/actions/escalate.ts';
import { checkBreaches } from '../../src/tickets/breaches.ts';
import { loadPolicy } from '../../src/tickets/policy.ts';
import { dispatchMail } from '../../src/jobs/mail.ts';
import type { OutgoingMail } from '../../src/mail/transport.ts';
import { Browser, consoleSuite, ORDERS, postForm, signedIn, type ConsoleSuite } from '../console/support.ts';

const MIN = 60_000;

async function buyerNotSolved(s: ConsoleSuite, order: { no: string; secret: string }): Promise<{ buyer: Browser; number: string }> {
  const buyer = new Browser(s.app);
  expect((await buyer.lookup(order.no, order.secret)).status).toBe(303);
  expect((await buyer.post('/feedback', { csrf: await buyer.csrf(), answer: 'no' })).status).toBe(200);
  const [t] = await s.svc.database.db.select().from(tickets).where(eq(tickets.orderNo, order.no));
  return { buyer, number: t!.number };
}

const ticketRow = async (s: ConsoleSuite, number: string) => (await s.svc.database.db.select().from(tickets).where(eq(tickets.number, number)))[0]!;
const audits = async (s: ConsoleSuite, action: string) => s.svc.database.db.select().from(auditLog).where(eq(auditLog.action, action));

describe('tickets on SLA clocks', { timeout: 120_000 }, () => {
  const s = consoleSuite();

  it('"not solved" opens a ticket: category from the verdict, normal terms, both deadlines stored; the queue shows its clock', async () => {
    const opened = s.svc.now();
    const { number } = await buyerNotSolved(s, ORDERS.unpaid);
    const t = await ticketRow(s, number);
    expect(t).toMatchObject({ status: 'open', category: 'payment', priority: 'normal', firstResponseMinutes: 15, resolutionMinutes: 120, source: 'buyer' });
    expect(t.firstResponseDueAt).toEqual(new Date(opened.getTime() + 15 * MIN));
    expect(t.resolutionDueAt).toEqual(new Date(opened.getTime() + 120 * MIN));
    expect(t.dueAt).toEqual(t.firstResponseDueAt);
    const b = await signedIn(s.app, s.tokens.agent);
    const queue = await (await b.get('/agent/tickets')).text();
    expect(queue).toContain(number);
    expect(queue).toMatch(/data-clock="first_response" data-running="true">first response: 15 min left/);
  });

  it('a first reply stops the first-response clock; the buyer sees it on their ticket page, never the note; it is emailed once', async () => {
    const { buyer, number } = await buyerNotSolved(s, ORDERS.delivered);
    const mail = { smtpUrl: 'smtp://127.0.0.1:1', from: 'shop <support@shop.example>', includeKeys: false };
    (s.svc.config as { mail: typeof mail | null }).mail = mail;
    const b = await signedIn(s.app, s.tokens.agent);
    s.clock.advance(3 * MIN);
    try {
      const reply = await postForm(b, `/agent/tickets/${number}/reply`, { body: 'Your keys are on the check page.\nSorry!' });
      expect(reply.headers.get('location')).toBe(`/agent/tickets/${number}?note=replied`);
      expect((await postForm(b, `/agent/tickets/${number}/note`, { body: 'buyer sounded angry, INTERNAL-ONLY' })).status).toBe(303);
    } finally {
      (s.svc.config as { mail: typeof mail | null }).mail = null;
    }
    const t = await ticketRow(s, number);
    expect(t.firstRespondedAt).toEqual(s.svc.now());
    expect(t.firstResponseBreachedAt).toBeNull();
    expect(t.dueAt).toEqual(t.resolutionDueAt);
    const page = await (await b.get(`/agent/tickets/${number}`)).text();
    expect(page).toMatch(/data-clock="resolution" data-running="true">resolution: 1 h 57 min left/);
    expect(page).toContain('INTERNAL-ONLY');

    const seen = await (await buyer.get(`/ticket?no=${number}`)).text();
    expect(seen).toContain('Your keys are on the check page.\nSorry!');
    expect(seen).not.toContain('INTERNAL-ONLY');
    expect(await (await buyer.get('/order')).text()).toContain('Your keys are on the check page.');

    const queued = await s.svc.database.db.select().from(mailOutbox).where(eq(mailOutbox.kind, 'ticket_reply'));
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ orderNo: ORDERS.delivered.no, toAddress: 'demo1@example.com', status: 'pending' });
    const sent: OutgoingMail[] = [];
    const transport = { send: async (m: OutgoingMail) => { sent.push(m); return { kind: 'sent' as const, response: '250 ok' }; } };
    const deps = { database: s.svc.database, box: s.svc.box, config: { ...s.svc.config, mail }, now: s.svc.now, transport, log: () => {} };
    await dispatchMail(deps);
    await dispatchMail(deps);
    expect(sent.filter((m) => m.subject.includes(number))).toHaveLength(1);
    expect(sent[0]!.text).toContain('Your keys are on the check page.');
    expect(sent[0]!.text).not.toContain('INTERNAL-ONLY');
    const replied = await audits(s, 'ticket_replied');
    expect(replied.at(-1)).toMatchObject({ actorKind: 'agent', actorId: `${s.ids.agent}:agent-1`, orderNo: ORDERS.delivered.no });
  });

  it('waiting on the buyer pauses the clocks; their answer resumes them and both deadlines move by the pause', async () => {
    const { buyer, number } = await buyerNotSolved(s, ORDERS.delayed);
    const before = await ticketRow(s, number);
    const b = await signedIn(s.app, s.tokens.agent);
    s.clock.advance(5 * MIN);
    expect((await postForm(b, `/agent/tickets/${number}/state`, { event: 'wait' })).status).toBe(303);
    expect(await ticketRow(s, number)).toMatchObject({ status: 'waiting_on_buyer', clockStoppedAt: s.svc.now() });
    expect(await (await b.get(`/agent/tickets/${number}`)).text()).toContain('paused (waiting on buyer), 10 min left');
    s.clock.advance(40 * MIN);
    // nothing breaches while it waits, however long
    expect((await checkBreaches(s.svc.database.db, s.svc.now())).filter((x) => x.ticket === number)).toEqual([]);
    // the buyer comes back and answers ("still not solved"): the same ticket runs again
    expect((await buyer.lookup(ORDERS.delayed.no, ORDERS.delayed.secret)).status).toBe(303);
    expect(await ticketRow(s, number)).toMatchObject({ status: 'waiting_on_buyer' });
    await buyer.post('/feedback', { csrf: await buyer.csrf(), answer: 'no' });
    const after = await ticketRow(s, number);
    expect(after).toMatchObject({ status: 'open', clockStoppedAt: null, pausedMs: 40 * MIN });
    expect(after.firstResponseDueAt.getTime() - before.firstResponseDueAt.getTime()).toBe(40 * MIN);
    expect(after.resolutionDueAt.getTime() - before.resolutionDueAt.getTime()).toBe(40 * MIN);
    expect((await audits(s, 'ticket_buyer_replied')).map((a) => a.orderNo)).toContain(ORDERS.delayed.no);
  });

  it('a breach is recorded once, at its deadline, by the check; a late first reply records its own', async () => {
    const db = s.svc.database.db;
    const open = (orderNo: string) => db.transaction((tx) => escalate(tx, {
      orderNo, reason: 'OUT_OF_STOCK', source: 'auto', now: s.svc.now(), actor: { kind: 'sweep' }, diagnosisId: globalThis.crypto.randomUUID(),
    }));
    const a = await open(ORDERS.outOfStock.no);
    const b2 = await open(ORDERS.refunded.no);
    s.clock.advance(16 * MIN);
    const first = await checkBreaches(db, s.svc.now());
    const again = await checkBreaches(db, s.svc.now());
    expect(first.filter((x) => x.ticket === a.number)).toEqual([{ ticket: a.number, orderNo: ORDERS.outOfStock.no, clock: 'first_response', dueAt: new Date(a.dueAt) }]);
    expect(again).toEqual([]);
    const row = await ticketRow(s, a.number);
    expect(row.firstResponseBreachedAt).toEqual(new Date(a.dueAt));
    expect(row.category).toBe('stock');
    // b2 breached too; answered late, its breach stays recorded once and the reply is not blocked
    const agent = await signedIn(s.app, s.tokens.agent);
    expect((await postForm(agent, `/agent/tickets/${b2.number}/reply`, { body: 'Sorry for the wait.' })).status).toBe(303);
    const breaches = (await audits(s, 'sla_breached')).filter((x) => [a.number, b2.number].includes((x.detail as { ticket: string }).ticket));
    expect(breaches).toHaveLength(2);
    // the queue flags what is overdue
    const queue = await (await agent.get('/agent/tickets?risk=1')).text();
    expect(queue).toContain(a.number);
    expect(queue).toMatch(/overdue by 1 min/);
  });

  it('the state machine refuses what it does not allow, with a clear message; resolve and reopen are audited', async () => {
    const [t] = await s.svc.database.db.select().from(tickets).where(eq(tickets.orderNo, ORDERS.outOfStock.no));
    const b = await signedIn(s.app, s.tokens.agent);
    expect((await postForm(b, `/agent/tickets/${t!.number}/state`, { event: 'resolve' })).status).toBe(303);
    const twice = await postForm(b, `/agent/tickets/${t!.number}/state`, { event: 'resolve' });
    expect(twice.status).toBe(400);
    expect(await twice.text()).toContain('a ticket that is resolved cannot be asked to resolve');
    expect((await postForm(b, `/agent/tickets/${t!.number}/state`, { event: 'reopen' })).status).toBe(303);
    expect(await ticketRow(s, t!.number)).toMatchObject({ status: 'reopened', resolvedAt: null });
    expect((await postForm(b, `/agent/tickets/${t!.number}/state`, { event: 'bogus' })).status).toBe(400);
    expect((await audits(s, 'ticket_resolved')).at(-1)).toMatchObject({ actorId: `${s.ids.agent}:agent-1` });
    expect((await audits(s, 'ticket_reopened')).length).toBeGreaterThan(0);
  });

  it('permissions: an agent claims for self only and cannot touch the SLA policy; a supervisor assigns anyone and sets it', async () => {
    const [t] = await s.svc.database.db.select().from(tickets).where(eq(tickets.orderNo, ORDERS.unpaid.no));
    const other = await s.newAgent('agent');
    const agent = await signedIn(s.app, s.tokens.agent);
    const sup = await signedIn(s.app, s.tokens.supervisor);
    expect((await postForm(agent, `/agent/tickets/${t!.number}/assign`, { assignee: String(other.id) })).status).toBe(403);
    expect((await agent.get('/agent/sla')).status).toBe(403);
    expect((await postForm(agent, '/agent/sla', { urgent_first: '1' })).status).toBe(403);
    expect(await (await agent.get('/agent')).text()).not.toContain('href="/agent/sla"');

    expect((await postForm(agent, `/agent/tickets/${t!.number}/claim`)).status).toBe(303);
    expect((await ticketRow(s, t!.number)).assigneeId).toBe(s.ids.agent);
    const otherB = await signedIn(s.app, other.token);
    const taken = await postForm(otherB, `/agent/tickets/${t!.number}/claim`);
    expect(taken.status).toBe(403);
    expect(await taken.text()).toContain('assigned to someone else');
    expect((await postForm(sup, `/agent/tickets/${t!.number}/assign`, { assignee: String(other.id) })).status).toBe(303);
    expect((await ticketRow(s, t!.number)).assigneeId).toBe(other.id);
    expect((await audits(s, 'ticket_assigned')).at(-1)).toMatchObject({ actorId: `${s.ids.supervisor}:supervisor-2`, detail: { from: s.ids.agent, to: other.id } });
    // the assignee filter
    expect(await (await otherB.get('/agent/tickets?assignee=me')).text()).toContain(t!.number);
    expect(await (await agent.get('/agent/tickets?assignee=me')).text()).not.toContain(t!.number);

    const form = { urgent_first: '10', urgent_resolution: '60', normal_first: '30', normal_resolution: '240', normal_bh: 'on', tz: 'Asia/Shanghai' } as Record<string, string>;
    for (let i = 0; i < 5; i++) Object.assign(form, { [`d${i}_from`]: '09:00', [`d${i}_to`]: '18:00' });
    const saved = await postForm(sup, '/agent/sla', form);
    expect(saved.status).toBe(200);
    expect(await saved.text()).toContain('Policy saved');
    const policy = await loadPolicy(s.svc.database.db);
    expect(policy).toMatchObject({ urgent: { firstResponseMinutes: 10, resolutionMinutes: 60, onBusinessHours: false }, normal: { firstResponseMinutes: 30, onBusinessHours: true } });
    expect(policy.businessHours?.week[5]).toBeNull();
    expect((await audits(s, 'sla_policy_changed')).at(-1)).toMatchObject({ actorId: `${s.ids.supervisor}:supervisor-2` });
    const bad = await postForm(sup, '/agent/sla', { ...form, urgent_resolution: '5' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('resolution cannot be due before the first response');

    // urgent takes the new urgent terms (around the clock), from the ticket's opening
    expect((await postForm(agent, `/agent/tickets/${t!.number}/triage`, { priority: 'urgent', category: 'account' })).status).toBe(303);
    const urgent = await ticketRow(s, t!.number);
    expect(urgent).toMatchObject({ priority: 'urgent', category: 'account', firstResponseMinutes: 10, resolutionMinutes: 60, businessHours: null });
    expect(urgent.resolutionDueAt.getTime() - urgent.openedAt.getTime()).toBe(60 * MIN + urgent.pausedMs);
  });

  it('the queue sorts by soonest due and filters by state and category', async () => {
    const b = await signedIn(s.app, s.tokens.supervisor);
    const html = await (await b.get('/agent/tickets')).text();
    const order = [...html.matchAll(/data-ticket="(T[^"]+)"/g)].map((m) => m[1]!);
    const rows = await s.svc.database.db.select().from(tickets);
    const active = rows.filter((r) => r.status !== 'resolved');
    const running = active.filter((r) => !r.clockStoppedAt).sort((x, y) => x.dueAt.getTime() - y.dueAt.getTime() || x.id - y.id).map((r) => r.number);
    expect(order.slice(0, running.length)).toEqual(running);
    const stock = await (await b.get('/agent/tickets?state=all&category=stock')).text();
    expect([...stock.matchAll(/data-ticket="(T[^"]+)"/g)].map((m) => m[1]).sort()).toEqual(rows.filter((r) => r.category === 'stock').map((r) => r.number).sort());
    const reopened = await (await b.get('/agent/tickets?state=reopened')).text();
    expect([...reopened.matchAll(/data-ticket="(T[^"]+)"/g)].map((m) => m[1])).toEqual(rows.filter((r) => r.status === 'reopened').map((r) => r.number));
  });

  it('macros put the order\'s facts in the reply; re-diagnose runs from the ticket with one click', async () => {
    const [t] = await s.svc.database.db.select().from(tickets).where(eq(tickets.orderNo, ORDERS.outOfStock.no));
    const b = await signedIn(s.app, s.tokens.agent);
    const page = await (await b.get(`/agent/tickets/${t!.number}?macro=checking_payment`)).text();
    expect(page).toMatch(new RegExp(`<textarea id="reply" name="body"[^>]*>Hello, we are checking the payment of order ${ORDERS.outOfStock.no} \\(¥[\\d.]+\\)`));
    expect(page).toContain(`We will reply on ticket ${t!.number}`);
    const count = async () => (await s.svc.database.db.select().from(diagnoses).where(and(eq(diagnoses.orderNo, ORDERS.outOfStock.no), eq(diagnoses.actorKind, 'agent')))).length;
    const n = await count();
    const res = await postForm(b, `/agent/tickets/${t!.number}/diagnose`);
    expect(res.headers.get('location')).toBe(`/agent/tickets/${t!.number}?note=diagnosed`);
    expect(await count()).toBe(n + 1);
    expect(await (await b.get(res.headers.get('location')!)).text()).toContain('data-verdict="OUT_OF_STOCK"');
  });
});

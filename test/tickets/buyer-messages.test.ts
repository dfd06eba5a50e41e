/**
 * The buyer writes on their ticket page (issue 11, free-text buyer replies): the message reaches the
 * agent's ticket view and the queue ("the buyer wrote"); a ticket waiting on the buyer goes back to
 * open with its clocks resumed (the pause stored); a resolved one reopens within 7 days and not
 * after; CSRF, the buyer's own order only, length, the per-ticket limits (also under a burst of
 * concurrent posts), escaping on both pages. On real Postgres when DATABASE_URL is set.
 */
import { describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { auditLog, ticketMessages, tickets } from '../../src/db/schema.ts';
import { BUYER_MESSAGE_LIMITS, BUYER_MESSAGE_MAX, REOPEN_WINDOW_MS } from '../../src/tickets/buyer-messages.ts';
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
const buyerMessages = async (s: ConsoleSuite, number: string) => {
  const t = await ticketRow(s, number);
  return s.svc.database.db.select().from(ticketMessages).where(and(eq(ticketMessages.ticketId, t.id), eq(ticketMessages.kind, 'buyer')));
};
const write = async (buyer: Browser, number: string, body: string, lang = '') =>
  buyer.post(`/ticket/reply?no=${number}${lang ? `&lang=${lang}` : ''}`, { csrf: await buyer.csrf(), body });
const queueRow = (html: string, number: string) => new RegExp(`<tr[^>]*data-ticket="${number}"[^>]*>`).exec(html)?.[0] ?? '';

describe('the buyer writes on their ticket', { timeout: 120_000 }, () => {
  const s = consoleSuite();

  it('waiting on the buyer: their message resumes the clocks, the agent sees it escaped, the queue flags it until answered', async () => {
    const { buyer, number } = await buyerNotSolved(s, ORDERS.refunded);
    const agent = await signedIn(s.app, s.tokens.agent);
    expect((await postForm(agent, `/agent/tickets/${number}/reply`, { body: 'Which account did you pay from?', then: 'wait' })).status).toBe(303);
    const waiting = await ticketRow(s, number);
    expect(waiting).toMatchObject({ status: 'waiting_on_buyer', clockStoppedAt: s.svc.now() });
    // the page offers the form, with the CSRF field
    const page = await (await buyer.get(`/ticket?no=${number}&lang=en`)).text();
    expect(page).toContain(`action="/ticket/reply?no=${number}&amp;lang=en"`);
    expect(page).toContain('name="csrf"');

    s.clock.advance(10 * MIN);
    const text = 'Paid from 138****0000 <script>alert(1)</script>\nthanks';
    const res = await write(buyer, number, text, 'en');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/ticket?no=${number}&sent=1&lang=en`);
    const after = await ticketRow(s, number);
    expect(after).toMatchObject({ status: 'open', clockStoppedAt: null, pausedMs: waiting.pausedMs + 10 * MIN });
    expect(after.resolutionDueAt.getTime()).toBe(waiting.resolutionDueAt.getTime() + 10 * MIN);
    expect(after.dueAt).toEqual(after.resolutionDueAt);

    const seen = await (await buyer.get(res.headers.get('location')!)).text();
    expect(seen).toContain('Sent. Support will answer on this ticket.');
    expect(seen).toContain('data-reply="buyer"');
    expect(seen).toContain('Paid from 138****0000 &lt;script&gt;alert(1)&lt;/script&gt;\nthanks');
    expect(seen).not.toContain('<script>alert(1)');
    const view = await (await agent.get(`/agent/tickets/${number}`)).text();
    expect(view).toContain('From the buyer (their ticket page)');
    expect(view).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(view).not.toContain('<script>alert(1)');

    expect(queueRow(await (await agent.get('/agent/tickets')).text(), number)).toContain('data-buyer-waiting="true"');
    expect(await (await agent.get('/agent/tickets?buyer=1')).text()).toContain(number);
    expect((await postForm(agent, `/agent/tickets/${number}/reply`, { body: 'Thanks, checking with the gateway.' })).status).toBe(303);
    expect(queueRow(await (await agent.get('/agent/tickets')).text(), number)).toContain('data-buyer-waiting="false"');
    expect(await (await agent.get('/agent/tickets?buyer=1')).text()).not.toContain(`data-ticket="${number}"`);

    const audited = await s.svc.database.db.select().from(auditLog).where(and(eq(auditLog.orderNo, ORDERS.refunded.no), eq(auditLog.action, 'ticket_buyer_message')));
    expect(audited).toHaveLength(1);
    expect(audited[0]!.actorKind).toBe('customer');
    expect(JSON.stringify(audited[0]!.detail)).not.toContain('138****');
  });

  it('refused and nothing stored: no CSRF, another origin, no session, another order\'s buyer, empty, too long, control characters', async () => {
    const { buyer, number } = await buyerNotSolved(s, ORDERS.delayed);
    expect((await buyer.post(`/ticket/reply?no=${number}`, { body: 'hello there' })).status).toBe(403);
    expect((await buyer.post(`/ticket/reply?no=${number}`, { csrf: await buyer.csrf(), body: 'hello there' }, { origin: 'https://evil.example' })).status).toBe(403);
    const stranger = new Browser(s.app);
    expect((await write(stranger, number, 'hello there')).status).toBe(401);
    const other = new Browser(s.app);
    expect((await other.lookup(ORDERS.unpaid.no, ORDERS.unpaid.secret)).status).toBe(303);
    const notTheirs = await write(other, number, 'hello there');
    expect(notTheirs.status).toBe(404);
    expect(await notTheirs.text()).not.toContain(ORDERS.delayed.no);
    expect((await write(buyer, number, '   ')).status).toBe(400);
    const long = await write(buyer, number, '长'.repeat(BUYER_MESSAGE_MAX + 1));
    expect(long.status).toBe(400);
    expect(await long.text()).toContain(`请填写 1 到 ${BUYER_MESSAGE_MAX} 字的留言。`);
    expect((await write(buyer, number, 'bell\u0007here')).status).toBe(400);
    expect((await write(buyer, 'TNOPE-1', 'hello there')).status).toBe(404);
    expect((await buyer.get(`/ticket/reply?no=${number}`)).status).toBe(405);
    expect(await buyerMessages(s, number)).toHaveLength(0);
    // the longest message in Chinese fits the form's body limit
    expect((await write(buyer, number, '长'.repeat(BUYER_MESSAGE_MAX))).status).toBe(303);
  });

  it('a burst of concurrent posts stores exactly the limit; the rest are told to wait (429, Retry-After)', async () => {
    const { buyer, number } = await buyerNotSolved(s, ORDERS.inProgress);
    const csrf = await buyer.csrf();
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => buyer.post(`/ticket/reply?no=${number}`, { csrf, body: `message ${i}` })));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(BUYER_MESSAGE_LIMITS.burst).fill(303), ...Array(8 - BUYER_MESSAGE_LIMITS.burst).fill(429)]);
    expect(answers.find((r) => r.status === 429)!.headers.get('retry-after')).toBe(String(BUYER_MESSAGE_LIMITS.burstMs / 1000));
    expect(await buyerMessages(s, number)).toHaveLength(BUYER_MESSAGE_LIMITS.burst);
    s.clock.advance(BUYER_MESSAGE_LIMITS.burstMs + 1000);
    // the buyer's page session lasts 15 min: check again, then write again
    expect((await buyer.lookup(ORDERS.inProgress.no, ORDERS.inProgress.secret)).status).toBe(303);
    expect((await write(buyer, number, 'one more')).status).toBe(303);
  });

  it('a resolved ticket reopens within 7 days of its resolution, and takes no message after', async () => {
    const { buyer, number } = await buyerNotSolved(s, ORDERS.delivered);
    const agent = await signedIn(s.app, s.tokens.agent);
    expect((await postForm(agent, `/agent/tickets/${number}/state`, { event: 'resolve' })).status).toBe(303);
    s.clock.advance(2 * 24 * 60 * MIN);
    expect((await buyer.lookup(ORDERS.delivered.no, ORDERS.delivered.secret)).status).toBe(303);
    const res = await write(buyer, number, 'Still no key, sorry to bother');
    expect(res.headers.get('location')).toBe(`/ticket?no=${number}&sent=reopened`);
    expect(await ticketRow(s, number)).toMatchObject({ status: 'reopened', clockStoppedAt: null, resolvedAt: null });
    expect(await (await buyer.get(res.headers.get('location')!)).text()).toContain('已发送，工单已重新打开');

    // the agent's console session idled out over the two days: signed in again
    expect((await postForm(await signedIn(s.app, s.tokens.agent), `/agent/tickets/${number}/state`, { event: 'resolve' })).status).toBe(303);
    s.clock.advance(REOPEN_WINDOW_MS + MIN);
    expect((await buyer.lookup(ORDERS.delivered.no, ORDERS.delivered.secret)).status).toBe(303);
    const page = await (await buyer.get(`/ticket?no=${number}`)).text();
    expect(page).not.toContain('name="body"');
    const late = await write(buyer, number, 'Hello again after a long time');
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('超过 7 天');
    expect(await ticketRow(s, number)).toMatchObject({ status: 'resolved' });
    expect(await buyerMessages(s, number)).toHaveLength(1);
  });

  it('written on a resolved ticket while the order has another one open: the message goes to the open one', async () => {
    const { buyer, number } = await buyerNotSolved(s, ORDERS.outOfStock);
    const agent = await signedIn(s.app, s.tokens.agent);
    expect((await postForm(agent, `/agent/tickets/${number}/state`, { event: 'resolve' })).status).toBe(303);
    s.clock.advance(60 * MIN);
    // checking again escalates the still out-of-stock order: a new ticket
    expect((await buyer.lookup(ORDERS.outOfStock.no, ORDERS.outOfStock.secret)).status).toBe(303);
    const [active] = await s.svc.database.db.select().from(tickets).where(and(eq(tickets.orderNo, ORDERS.outOfStock.no), eq(tickets.status, 'open')));
    expect(active!.number).not.toBe(number);
    const res = await write(buyer, number, 'Any news on the stock?');
    expect(res.headers.get('location')).toBe(`/ticket?no=${active!.number}&sent=1`);
    expect(await buyerMessages(s, active!.number)).toHaveLength(1);
    expect(await ticketRow(s, number)).toMatchObject({ status: 'resolved' });
  });
});

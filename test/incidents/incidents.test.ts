/**
 * Incidents through the console (issue 11 item 4): open tickets grouped by cause at
 * /agent/incidents; a bulk re-diagnosis whose preview writes nothing but its dry-run diagnosis rows;
 * confirmed once per order even by two supervisors at the same instant (on real Postgres when
 * DATABASE_URL is set, PGlite otherwise), with the fixed orders' tickets resolved; one message that
 * reaches every buyer's ticket page and is emailed once each; permissions; everything audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, inArray, ne } from 'drizzle-orm';
import { auditLog, consoleApplies, diagnoses, issuedKeys, mailOutbox, ticketMessages, tickets } from '../../src/db/schema.ts';
import { escalate } from '../../src/actions/escalate.ts';
import { agentDiagnose } from '../../src/agents/apply.ts';
import { createAgentAccount, type AgentAccount } from '../../src/agents/accounts.ts';
import { authenticateAgent } from '../../src/engine/agents.ts';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { paidOrdersWorld, servicesWithWorld } from '../support/services.ts';
import { Browser, consoleApp, postForm, signedIn, type ConsoleApp } from '../console/support.ts';
import { NO_LOG_CONTEXT } from '../../src/observability/context.ts';

const SECRET = '8462';
/** three wechat orders paid, never delivered (stock is there): one lost-callback incident */
const LOST = ['K2026112200001', 'K2026112200002', 'K2026112200003'];
/** two orders of a product with no stock left: one out-of-stock incident */
const STOCKOUT = ['K2026112200011', 'K2026112200012'];
/** alone on its cause: never an incident */
const LONE = 'K2026112200021';
const LOST_KEY = 'PAID_NOT_DELIVERED.channel.wechat';
const STOCK_KEY = 'OUT_OF_STOCK.sku.QB-50';
const url = (key: string) => `/agent/incidents/${encodeURIComponent(key)}`;

function world() {
  const w = paidOrdersWorld({ orders: 3, stock: 5, channel: 'wechat' });
  const extra = (orderNo: string, sku: string, paid: boolean) => ({
    orderNo, sku, quantity: 1, amountCents: 5000, channel: 'alipay', status: 'pending', createdAt: '2026-11-22T09:30:00+08:00',
    querySecret: SECRET, keys: [], supplier: null,
  });
  const orders = [...w.orders, ...STOCKOUT.map((no) => extra(no, 'QB-50', true)), extra(LONE, 'QB-50', false)]
    .map((o, i) => ({ ...o, contact: `buyer${i}@example.com` }));
  const gateway: Record<string, unknown> = { ...w.gateway };
  STOCKOUT.forEach((no, i) => { gateway[no] = { state: 'paid', amountCents: 5000, paidAt: '2026-11-22T09:30:30+08:00', tradeNo: `202611222200140009${i}` }; });
  gateway[LONE] = { state: 'closed', amountCents: 5000 };
  return {
    ...w, orders, gateway,
    products: [...w.products, { sku: 'QB-50', title: 'Q币 50', priceCents: 5000, fulfilment: 'stock', deliveryWindowMinutes: 10 }],
  };
}

describe('incidents', { timeout: 180_000 }, () => {
  let tdb: TestDatabase;
  let svc: Services;
  let app: ConsoleApp;
  const tokens: Record<'agent' | 'sup1' | 'sup2', string> = { agent: '', sup1: '', sup2: '' };
  let opener: AgentAccount;

  beforeAll(async () => {
    tdb = await testDatabase();
    svc = await servicesWithWorld(tdb.database, world());
    app = consoleApp(svc);
    for (const [k, role] of [['agent', 'agent'], ['sup1', 'supervisor'], ['sup2', 'supervisor']] as const) {
      tokens[k] = (await createAgentAccount(svc, { name: `inc-${k}`, role, by: { kind: 'system', id: 'test' } })).token;
    }
    opener = (await authenticateAgent(svc, tokens.agent))!;
    // a ticket on each order, opened by an agent from a diagnosis (which stays the order's latest)
    for (const no of [...LOST, ...STOCKOUT, LONE]) {
      const d = await agentDiagnose(svc, opener, no, NO_LOG_CONTEXT);
      await svc.database.db.transaction((tx) => escalate(tx, { orderNo: no, reason: d.verdict, source: 'agent', now: svc.now(), actor: { kind: 'agent', id: 'x' }, diagnosisId: d.id }));
    }
  }, 120_000);
  afterAll(async () => {
    await svc?.close();
    await tdb?.drop();
  });

  const db = () => svc.database.db;
  const audits = async (action: string) => db().select().from(auditLog).where(eq(auditLog.action, action));
  const counts = async () => ({
    applied: (await db().select().from(diagnoses).where(ne(diagnoses.action, 'none'))).length,
    keys: (await db().select().from(issuedKeys)).length,
    audit: (await db().select().from(auditLog)).length,
    applies: (await db().select().from(consoleApplies)).length,
    resolved: (await db().select().from(tickets).where(eq(tickets.status, 'resolved'))).length,
  });

  it('groups open tickets by cause from 2: the list says the cause in words, the count and the orders; one incident shows its tickets', async () => {
    const b = await signedIn(app, tokens.agent);
    const home = await (await b.get('/agent')).text();
    expect(home).toContain('href="/agent/incidents"');
    const list = await (await b.get('/agent/incidents')).text();
    expect(list).toContain('Incidents (2)');
    expect(list).toContain(`data-incident="${LOST_KEY}"`);
    expect(list).toContain('Paid on wechat but no key delivered');
    expect(list).toContain('QB-50 is out of stock');
    expect(list).not.toContain(LONE);
    for (const no of [...LOST, ...STOCKOUT]) expect(list).toContain(no);
    const one = await (await b.get(url(STOCK_KEY))).text();
    for (const no of STOCKOUT) expect(one).toContain(no);
    expect(one).toContain('data-verdict="OUT_OF_STOCK"');
    expect(one).not.toContain(LOST[0]);
    expect((await b.get(url('NOT_PAID.channel.alipay'))).status).toBe(404);
  });

  it('the preview diagnoses each order without applying: dry-run diagnosis rows only, no key, no audit, no ticket change', async () => {
    const before = await counts();
    const dryRows = (await db().select().from(diagnoses)).length;
    const b = await signedIn(app, tokens.agent);
    const afterSignIn = await counts();
    const res = await postForm(b, `${url(LOST_KEY)}/preview`);
    expect(res.status).toBe(200);
    const html = await res.text();
    for (const no of LOST) expect(html).toContain(`issue 1 key from stock to order ${no}`);
    // the agent sees what would happen but confirming is a supervisor's
    expect(html).not.toContain('name="pairs"');
    expect(await counts()).toEqual({ ...before, audit: afterSignIn.audit });
    expect((await db().select().from(diagnoses)).length).toBe(dryRows + LOST.length);
  });

  it('permissions: an agent cannot confirm a bulk apply nor message every buyer (403), nothing done', async () => {
    const b = await signedIn(app, tokens.agent);
    const before = await counts();
    const d = (await db().select().from(diagnoses).where(eq(diagnoses.orderNo, LOST[0]!)))[0]!;
    expect((await postForm(b, `${url(LOST_KEY)}/apply`, { pairs: `${LOST[0]}:${d.id}` })).status).toBe(403);
    expect((await postForm(b, `${url(STOCK_KEY)}/message`, { body: 'hi', once: globalThis.crypto.randomUUID() })).status).toBe(403);
    expect(await (await b.get(url(STOCK_KEY))).text()).not.toContain(`${url(STOCK_KEY)}/message`);
    expect(await counts()).toEqual(before);
    // and a form without this browser's CSRF token is refused before anything
    const sup = await signedIn(app, tokens.sup1);
    const forged = await sup.post(`${url(LOST_KEY)}/apply`, { csrf: 'nope', pairs: `${LOST[0]}:${d.id}` });
    expect(forged.status).toBe(403);
  });

  it('two supervisors confirm the same preview at the same instant: each order applied once, its ticket resolved', async () => {
    const [s1, s2] = await Promise.all([signedIn(app, tokens.sup1), signedIn(app, tokens.sup2)]);
    const preview = await (await postForm(s1, `${url(LOST_KEY)}/preview`)).text();
    const pairs = /name="pairs" value="([^"]+)"/.exec(preview)![1]!;
    expect(pairs.split(' ')).toHaveLength(3);
    const keysBefore = (await db().select().from(issuedKeys)).length;
    const [r1, r2] = await Promise.all([postForm(s1, `${url(LOST_KEY)}/apply`, { pairs }), postForm(s2, `${url(LOST_KEY)}/apply`, { pairs })]);
    expect([r1.status, r2.status]).toEqual([200, 200]);
    const pages = [await r1.text(), await r2.text()];
    const outcomes = pages.flatMap((p) => [...p.matchAll(/data-outcome="(\w+)"/g)].map((m) => m[1]));
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'used')).toHaveLength(3);
    expect((await db().select().from(issuedKeys)).length - keysBefore).toBe(3);
    const applied = (await audits('agent_applied')).filter((a) => LOST.includes(a.orderNo!));
    expect(applied).toHaveLength(3);
    const keysIssued = (await audits('keys_issued')).filter((a) => LOST.includes(a.orderNo!));
    expect(keysIssued).toHaveLength(3);
    const t = await db().select().from(tickets).where(inArray(tickets.orderNo, LOST));
    expect(t.map((x) => x.status)).toEqual(['resolved', 'resolved', 'resolved']);
    expect((await audits('ticket_resolved')).filter((a) => LOST.includes(a.orderNo!))).toHaveLength(3);
    const bulk = await audits('incident_bulk_applied');
    expect(bulk).toHaveLength(2);
    // on real Postgres the two runs interleave: between them, three keys, each order applied by one
    expect(bulk.reduce((n, a) => n + (a.detail as { keysIssued: number }).keysIssued, 0)).toBe(3);
    expect(bulk.reduce((n, a) => n + (a.detail as { applied: number }).applied, 0)).toBe(3);
    expect(new Set(bulk.map((a) => a.actorId))).toHaveProperty('size', 2);
    // the incident is over: its tickets are resolved
    expect((await s1.get(url(LOST_KEY))).status).toBe(404);
  });

  it('a bulk re-diagnosis that finds nothing to apply says so per order', async () => {
    const s1 = await signedIn(app, tokens.sup1);
    const html = await (await postForm(s1, `${url(STOCK_KEY)}/preview`)).text();
    for (const no of STOCKOUT) expect(html).toContain(`data-order="${no}" data-applies="true"`);
    expect(html).toContain('open a ticket (or add to the open one)');
  });

  it('one message reaches every buyer: a reply on each ticket, on each buyer page, emailed once; audited per ticket and once for the incident', async () => {
    const mail = { smtpUrl: 'smtp://127.0.0.1:1', from: 'shop <support@shop.example>', includeKeys: false };
    (svc.config as { mail: typeof mail | null }).mail = mail;
    const sup = await signedIn(app, tokens.sup1);
    const page = await (await sup.get(url(STOCK_KEY))).text();
    const once = /name="once" value="([^"]+)"/.exec(page)![1]!;
    const body = 'QB-50 is restocked within the hour; your key follows automatically.';
    try {
      const [a, b] = await Promise.all([
        postForm(sup, `${url(STOCK_KEY)}/message`, { body, once }),
        postForm(sup, `${url(STOCK_KEY)}/message`, { body, once }),
      ]);
      const texts = [await a.text(), await b.text()];
      expect(texts.some((t) => t.includes('Sent on 2 tickets'))).toBe(true);
      expect(texts.some((t) => t.includes('sent already'))).toBe(true);
    } finally {
      (svc.config as { mail: typeof mail | null }).mail = null;
    }
    const t = await db().select().from(tickets).where(and(inArray(tickets.orderNo, STOCKOUT), ne(tickets.status, 'resolved')));
    expect(t).toHaveLength(2);
    const msgs = await db().select().from(ticketMessages).where(inArray(ticketMessages.ticketId, t.map((x) => x.id)));
    expect(msgs.map((m) => [m.kind, m.body])).toEqual([['reply', body], ['reply', body]]);
    expect((await db().select().from(mailOutbox).where(inArray(mailOutbox.orderNo, STOCKOUT)))).toHaveLength(2);
    expect((await audits('ticket_replied')).filter((r) => STOCKOUT.includes(r.orderNo!))).toHaveLength(2);
    const inc = await audits('incident_messaged');
    expect(inc).toHaveLength(1);
    expect(inc[0]).toMatchObject({ actorKind: 'agent', detail: { incident: STOCK_KEY, mailQueued: 2 } });
    for (const no of STOCKOUT) {
      const buyer = new Browser(app);
      expect((await buyer.lookup(no, SECRET)).status).toBe(303);
      const [row] = await db().select().from(tickets).where(and(eq(tickets.orderNo, no), ne(tickets.status, 'resolved')));
      expect(await (await buyer.get(`/ticket?no=${row!.number}`)).text()).toContain(body);
    }
  });
});

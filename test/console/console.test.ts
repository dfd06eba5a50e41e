/**
 * Find and fix (issue 11 item 2) through the console's routes: search by order number, the
 * gateway's transaction number and the buyer's contact; one click diagnoses and shows the verdict,
 * the suggested action and each checker's evidence; the confirmation names what will happen and
 * carries its diagnosis; applying does it once however often it is clicked; a stale confirmation
 * re-diagnoses instead; keys masked unless revealed (audited); everything audited with who.
 */
import { describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { auditLog, diagnoses, issuedKeys, orders } from '../../src/db/schema.ts';
import { CONFIRM_TTL_MS } from '../../src/agents/apply.ts';
import { consoleSuite, ORDERS, postForm, signedIn } from './support.ts';

const SHOP_TRADE_NO = '2026112222001000000000090001'; // K2026112210001's Alipay transaction

describe('console: find and fix', { timeout: 120_000 }, () => {
  const s = consoleSuite();

  const keysOf = async (orderNo: string) => {
    const [o] = await s.svc.database.db.select().from(orders).where(eq(orders.orderNo, orderNo));
    return s.svc.database.db.select().from(issuedKeys).where(and(eq(issuedKeys.orderId, o!.id), eq(issuedKeys.status, 'delivered')));
  };
  const diagnoseFrom = async (b: Awaited<ReturnType<typeof signedIn>>, orderNo: string) => {
    const res = await postForm(b, `/agent/orders/${orderNo}/diagnose`);
    expect(res.status).toBe(303);
    const to = res.headers.get('location')!;
    return { to, id: new URL(to, 'http://x').searchParams.get('d')! };
  };

  it('search by order number, transaction number and buyer contact; unknown gets none', async () => {
    const b = await signedIn(s.app, s.tokens.agent);
    const search = async (q: string) => (await postForm(b, '/agent/search', { q })).text();
    expect(await search(ORDERS.delivered.no)).toMatch(/K2026112210001<\/a><\/td><td>order number/);
    // the shop never learnt K...002's WeChat transaction number: found through the gateway
    const byTrade = await search('4200002345202611200000090002');
    expect(byTrade).toMatch(/K2026112210002<\/a><\/td><td>transaction number/);
    expect(await search(SHOP_TRADE_NO)).toMatch(/K2026112210001<\/a><\/td><td>transaction number/);
    expect(await search(' DEMO1@Example.com ')).toMatch(/K2026112210001<\/a><\/td><td>buyer contact/);
    expect(await search('13800138001')).toMatch(/K2026112210002<\/a><\/td><td>buyer contact/);
    expect(await search('nobody@example.com')).toContain('No order matches');
    const audited = await s.svc.database.db.select().from(auditLog).where(eq(auditLog.action, 'agent_searched'));
    expect(audited).toHaveLength(6);
    expect(audited[0]).toMatchObject({ actorKind: 'agent', actorId: `${s.ids.agent}:agent-1` });
  });

  it('one click diagnoses: verdict, suggested action, evidence with the signed exchange; nothing applied', async () => {
    const b = await signedIn(s.app, s.tokens.agent);
    const { to, id } = await diagnoseFrom(b, ORDERS.callbackLost.no);
    const html = await (await b.get(to)).text();
    expect(html).toContain('data-verdict="PAID_NOT_DELIVERED"');
    expect(html).toContain(`data-diagnosis="${id}"`);
    expect(html).toContain(`issue 1 key from stock to order ${ORDERS.callbackLost.no}`);
    expect(html).toContain('data-checker="payment"');
    expect(html).toMatch(/signature verified/);
    expect(html).toMatch(/Call 1: (GET|POST) http/);
    expect(html).toContain('data-checker="issuance"');
    expect(html).toContain('Timeline');
    expect(await keysOf(ORDERS.callbackLost.no)).toHaveLength(0);
    const [row] = await s.svc.database.db.select().from(diagnoses).where(eq(diagnoses.id, id));
    expect(row).toMatchObject({ actorKind: 'agent', actorId: `${s.ids.agent}:agent-1`, action: 'none', suggested: 'reissued' });
  });

  it('apply: the confirmation names it and carries the diagnosis; done once however often it is clicked', async () => {
    const no = ORDERS.callbackLostEpay.no;
    const b = await signedIn(s.app, s.tokens.agent);
    const { id } = await diagnoseFrom(b, no);
    const confirm = await b.get(`/agent/orders/${no}/confirm?d=${id}`);
    const html = await confirm.text();
    expect(html).toContain(`This will issue 1 key from stock to order ${no}.`);
    expect(html).toContain(`name="diagnosis" value="${id}"`);
    const clicks = [];
    for (let i = 0; i < 3; i++) clicks.push(await postForm(b, `/agent/orders/${no}/apply`, { diagnosis: id }));
    expect(clicks[0]!.headers.get('location')).toMatch(/note=applied$/);
    expect(clicks[1]!.headers.get('location')).toMatch(/note=used$/);
    expect(clicks[2]!.headers.get('location')).toMatch(/note=used$/);
    expect(await keysOf(no)).toHaveLength(1);
    const page = await (await b.get(clicks[0]!.headers.get('location')!)).text();
    expect(page).toContain('Done by this diagnosis: reissued');
    expect(page).toContain('Keys held (1)');
    const issued = await s.svc.database.db.select().from(auditLog).where(and(eq(auditLog.orderNo, no), eq(auditLog.action, 'keys_issued')));
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({ actorKind: 'agent', actorId: `${s.ids.agent}:agent-1` });
    const applied = await s.svc.database.db.select().from(auditLog).where(and(eq(auditLog.orderNo, no), eq(auditLog.action, 'agent_applied')));
    expect(applied).toHaveLength(1);
    expect(applied[0]!.detail).toMatchObject({ confirmed: id, verdict: 'PAID_NOT_DELIVERED', action: 'reissued', keysIssued: 1 });
  });

  it('a stale confirmation (over 10 minutes old) re-diagnoses and applies nothing', async () => {
    const no = ORDERS.voided.no;
    const b = await signedIn(s.app, s.tokens.supervisor);
    const { id } = await diagnoseFrom(b, no);
    const before = (await keysOf(no)).length;
    s.clock.advance(CONFIRM_TTL_MS + 1000);
    const res = await postForm(b, `/agent/orders/${no}/apply`, { diagnosis: id });
    expect(res.headers.get('location')).toMatch(/note=stale_expired$/);
    const fresh = new URL(res.headers.get('location')!, 'http://x').searchParams.get('d');
    expect(fresh).not.toBe(id);
    expect((await keysOf(no)).length).toBe(before);
    expect(await (await b.get(res.headers.get('location')!)).text()).toContain('nothing was applied');
  });

  it('a confirmation the world moved past (a later check acted) re-diagnoses: DELIVERED, nothing applied', async () => {
    const no = ORDERS.callbackLost.no;
    const a = await signedIn(s.app, s.tokens.agent);
    const sup = await signedIn(s.app, s.tokens.supervisor);
    const first = await diagnoseFrom(a, no);
    s.clock.advance(1000);
    const second = await diagnoseFrom(sup, no);
    s.clock.advance(1000);
    expect((await postForm(sup, `/agent/orders/${no}/apply`, { diagnosis: second.id })).headers.get('location')).toMatch(/note=applied$/);
    const late = await postForm(a, `/agent/orders/${no}/apply`, { diagnosis: first.id });
    expect(late.headers.get('location')).toMatch(/note=stale_changed$/);
    expect(await (await a.get(late.headers.get('location')!)).text()).toContain('data-verdict="DELIVERED"');
    expect(await keysOf(no)).toHaveLength(1);
  });

  it('keys are masked; a reveal shows one key and is audited with the agent', async () => {
    const no = ORDERS.delivered.no;
    const b = await signedIn(s.app, s.tokens.agent);
    const page = await (await b.get(`/agent/orders/${no}`)).text();
    const masked = /id="key-1">([^<]+)</.exec(page)![1]!;
    expect(masked).toContain('*');
    const shown = await postForm(b, `/agent/orders/${no}/reveal`, { slot: '1' });
    expect(shown.status).toBe(200);
    expect(shown.headers.get('cache-control')).toBe('no-store');
    const secret = /id="key-1">([^<]+)</.exec(await shown.text())![1]!;
    expect(secret).not.toContain('*');
    expect(secret.slice(-2)).toBe(masked.slice(-2));
    const reveals = await s.svc.database.db.select().from(auditLog).where(and(eq(auditLog.orderNo, no), eq(auditLog.action, 'keys_revealed')));
    expect(reveals).toHaveLength(1);
    expect(reveals[0]).toMatchObject({ actorKind: 'agent', actorId: `${s.ids.agent}:agent-1`, detail: { slots: [1], via: 'console' } });
    expect(JSON.stringify(reveals)).not.toContain(secret);
    // the reveal is on the order's page from now on, for whoever looks next
    expect(await (await b.get(`/agent/orders/${no}`)).text()).toContain('Key reveals (1)');
    expect((await postForm(b, `/agent/orders/${no}/reveal`, { slot: '9' })).status).toBe(404);
  });

  it('the order page shows every earlier diagnosis and ticket, whoever made them', async () => {
    const no = ORDERS.outOfStock.no;
    const b = await signedIn(s.app, s.tokens.agent);
    const { id } = await diagnoseFrom(b, no);
    const confirm = await (await b.get(`/agent/orders/${no}/confirm?d=${id}`)).text();
    expect(confirm).toContain(`open a ticket (or add to the open one) for order ${no}: OUT_OF_STOCK, and queue it`);
    await postForm(b, `/agent/orders/${no}/apply`, { diagnosis: id });
    const html = await (await b.get(`/agent/orders/${no}`)).text();
    expect(html).toContain('Diagnoses (2)');
    expect(html).toMatch(/Tickets \(1\)[\s\S]*OUT_OF_STOCK/);
    expect(html).toContain('ticket opened');
    // the home page lists it among the open tickets
    expect(await (await b.get('/agent')).text()).toContain(no);
  });
});

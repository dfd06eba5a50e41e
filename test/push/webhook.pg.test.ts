/**
 * A pushed order, checked by its buyer and delivered, end to end on real Postgres: the webhook
 * reaches a real local HTTP server, signed as the README says, with an event id that stays the
 * same across the retries after the receiver failed; a delivery that rolled back leaves none;
 * racing checks of one order make one event; racing dispatchers send it once; a day of failures
 * ends `failed`; an agent resends from the console.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { requires } from '../support/requires.ts';
import { auditLog, sandboxAnswers, webhookOutbox } from '../../src/db/schema.ts';
import { dispatchWebhooks } from '../../src/jobs/webhooks.ts';
import { createAgentAccount } from '../../src/agents/accounts.ts';
import { Browser } from '../pages/support.ts';
import { anOrder, pushSuite, SECRET } from './support.ts';
import { startReceiver } from './receiver.ts';
import { verifyWebhook } from './client.ts';

const PG = await requires('postgres');
const receiver = await startReceiver();
afterAll(() => receiver.close());

describe.skipIf(!PG)('webhooks of pushed orders, on real Postgres', () => {
  const s = pushSuite(() => ({ SHOP_WEBHOOK_URL: receiver.url }), { postgres: true });
  const dispatch = () => dispatchWebhooks({ ...s.svc, log: () => {} });
  const nowSeconds = () => Math.floor(s.clock.now.getTime() / 1000);

  /** a paid order pushed by the shop, with the gateway (the sandbox) saying it was paid */
  async function paidOrder(orderNo: string, tradeNo: string) {
    const r = await s.client.putOrder(orderNo, anOrder({ status: 'paid', paidAt: '2026-11-22T09:41:10+08:00', tradeNo }));
    expect(r.status).toBe(200);
    await s.svc.database.db.insert(sandboxAnswers).values({
      orderNo, kind: 'gateway', tradeNo, answer: { state: 'paid', amountCents: 10000, paidAt: '2026-11-22T09:41:10+08:00', tradeNo },
    });
  }
  const check = async (orderNo: string) => {
    const res = await fetch(`${s.baseUrl}/api/v1/orders/${orderNo}/check`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret: '8462' }),
    });
    return { status: res.status, json: await res.json() as { action: string; keys?: { secret: string }[] } };
  };
  const events = (orderNo: string) => s.svc.database.db.select().from(webhookOutbox).where(eq(webhookOutbox.orderNo, orderNo));

  it('the buyer checks a pushed order, gets the pushed stock, and the shop hears of it by a signed webhook, retried after a 500', async () => {
    const stock = await s.client.pushStock('STEAM-100', { keys: ['S100-PUSH-0001', 'S100-PUSH-0002', 'S100-PUSH-0003'], product: { title: 'Steam 100' } });
    expect(stock.json.added).toBe(3);
    await paidOrder('A202611220101', '2026112222001400101');
    const c = await check('A202611220101');
    expect(c.status).toBe(200);
    const shown = c.json.keys?.map((k) => k.secret);
    expect(shown).toHaveLength(1);
    expect(shown![0]).toMatch(/^S100-PUSH-000[123]$/);
    const [queued] = await events('A202611220101');
    expect(queued).toMatchObject({ status: 'pending', attempts: 0, type: 'keys.delivered' });
    // the outbox never holds a key in clear
    expect(JSON.stringify(queued)).not.toContain('S100-PUSH');

    receiver.script.push(500);
    expect(await dispatch()).toEqual({ delivered: 0, retried: 1, failed: 0 });
    const [afterFail] = await events('A202611220101');
    expect(afterFail).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 500 });
    expect(await dispatch()).toEqual({ delivered: 0, retried: 0, failed: 0 }); // not due yet
    s.clock.advance(31_000);
    expect(await dispatch()).toEqual({ delivered: 1, retried: 0, failed: 0 });

    const got = receiver.received.filter((r) => r.body.includes('A202611220101'));
    expect(got).toHaveLength(2);
    for (const r of got) {
      expect(r.path).toBe('/hooks/order-doctor');
      expect(verifyWebhook(SECRET, r, nowSeconds())).toBe(true);
      expect(verifyWebhook('another-secret-0123456789abcdef0123456789', r, nowSeconds())).toBe(false);
    }
    const bodies = got.map((r) => JSON.parse(r.body));
    expect(bodies[0].id).toBe(queued!.eventId);
    expect(bodies[1].id).toBe(bodies[0].id);
    expect(got[1]!.headers['order-doctor-event-id']).toBe(bodies[0].id);
    expect(bodies[1]).toMatchObject({
      type: 'keys.delivered',
      data: { orderNo: 'A202611220101', sku: 'STEAM-100', quantity: 1, count: 1, replacements: 0, keys: shown },
    });
    const [done] = await events('A202611220101');
    expect(done).toMatchObject({ status: 'delivered', attempts: 2, lastStatus: 200 });
  });

  it('a delivery that rolls back leaves no webhook (and no key)', async () => {
    await paidOrder('A202611220102', '2026112222001400102');
    const before = await s.census();
    const view = await s.svc.shop.findByOrderNo('A202611220102');
    await expect(s.svc.database.db.transaction(async (tx) => {
      const out = await s.svc.shop.deliver(
        { order: view!.order, product: view!.product, mode: 'reissue', given: [], now: s.clock.now, diagnosisId: 'diag-rolled-back' },
        { tx, journal: { prepare: async () => {} } },
      );
      expect(out.kind).toBe('issued');
      expect((await tx.select().from(webhookOutbox).where(eq(webhookOutbox.orderNo, 'A202611220102'))).length).toBe(1);
      throw new Error('the diagnosis failed after the delivery');
    })).rejects.toThrow('the diagnosis failed');
    expect(await s.census()).toEqual(before);
    expect(await events('A202611220102')).toEqual([]);
  });

  it('eight racing checks of one order deliver once and queue one event; three racing dispatchers send it once', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => check('A202611220102')));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const rows = await events('A202611220102');
    expect(rows).toHaveLength(1);
    const [keys] = await s.svc.database.rows<{ n: number }>(sql`
      select count(*)::int as n from issued_keys k join orders o on o.id = k.order_id where o.order_no = 'A202611220102'`);
    expect(keys!.n).toBe(1);
    const before = receiver.received.length;
    const sums = await Promise.all([dispatch(), dispatch(), dispatch()]);
    expect(sums.reduce((n, x) => n + x.delivered, 0)).toBe(1);
    const sent = receiver.received.slice(before).map((r) => JSON.parse(r.body));
    expect(sent.map((e) => e.id)).toEqual([rows[0]!.eventId]);
    // the key the buyer was shown (stock goes out in the import's order, not the push's)
    const shown = results.find((r) => r.json.keys?.length)!.json.keys!.map((k) => k.secret);
    expect(shown).toHaveLength(1);
    expect(sent[0].data.keys).toEqual(shown);
  });

  it('a receiver that keeps failing is tried on the backoff for a day, then the event is failed', async () => {
    await paidOrder('A202611220103', '2026112222001400103');
    expect((await check('A202611220103')).status).toBe(200);
    const start = s.clock.now.getTime();
    receiver.fallback = 503;
    try {
      for (let i = 0; i < 40; i++) {
        const [row] = await events('A202611220103');
        if (row!.status === 'failed') break;
        s.clock.now = new Date(Math.max(s.clock.now.getTime(), row!.nextAt.getTime()));
        await dispatch();
      }
    } finally {
      receiver.fallback = 200;
    }
    const [row] = await events('A202611220103');
    expect(row).toMatchObject({ status: 'failed', lastStatus: 503 });
    expect(row!.attempts).toBeGreaterThanOrEqual(8);
    // the last attempt within the day, none after
    expect(s.clock.now.getTime() - start).toBeLessThanOrEqual(24 * 3_600_000);
    // ops see it: the outbox depth gauge counts it as failed
    const metrics = await (await fetch(`${s.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^webhook_outbox_depth\{status="failed"\} 1$/m);
    const tries = receiver.received.filter((r) => r.body.includes('A202611220103'));
    expect(new Set(tries.map((r) => JSON.parse(r.body).id)).size).toBe(1);
  });

  it('an agent resends a failed event from the console (CSRF-checked, audited): the same id goes out again', async () => {
    const [failed] = await events('A202611220103');
    const agent = await createAgentAccount(s.svc, { name: 'resender', role: 'agent', by: { kind: 'system', id: 'test' } });
    const b = new Browser(s.app);
    await b.get('/agent');
    expect((await b.post('/agent/sign-in', { csrf: b.cookies.get('od_csrf')!, token: agent.token })).status).toBe(303);
    const list = await b.get('/agent/webhooks');
    expect(list.status).toBe(200);
    const html = await list.text();
    expect(html).toContain(failed!.eventId);
    expect(html).toContain('failed');
    expect(html).not.toContain('S100-PUSH');
    // the console's menu leads there when the shop listens for webhooks
    expect(html).toContain('<a href="/agent/webhooks">Webhooks</a>');

    const forged = await b.post(`/agent/webhooks/${failed!.id}/resend`, { csrf: 'forged' });
    expect(forged.status).toBe(403);
    expect((await events('A202611220103'))[0]!.status).toBe('failed');

    const resent = await b.post(`/agent/webhooks/${failed!.id}/resend`, { csrf: b.cookies.get('od_csrf')! });
    expect(resent.status).toBe(200);
    expect((await events('A202611220103'))[0]).toMatchObject({ status: 'pending', attempts: 0 });
    const audits = await s.svc.database.db.select().from(auditLog).where(eq(auditLog.action, 'webhook_resent'));
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actorKind: 'agent', orderNo: 'A202611220103', detail: { eventId: failed!.eventId } });

    const before = receiver.received.length;
    expect(await dispatch()).toMatchObject({ delivered: 1 });
    const again = receiver.received.slice(before).map((r) => JSON.parse(r.body));
    expect(again.map((e) => e.id)).toEqual([failed!.eventId]);
    expect(verifyWebhook(SECRET, receiver.received.at(-1)!, nowSeconds())).toBe(true);
  });
});

/**
 * A pushing shop that pays each order under a number of its own at the gateway (a payment
 * attempt's out_trade_no, not the order number): the gateway is asked by that number, a buyer who
 * has only that number finds the order, two orders cannot share it, and once keys were issued on
 * the strength of one payment number it cannot be swapped for another.
 */
import { describe, expect, it } from 'vitest';
import { sandboxAnswers } from '../../src/db/schema.ts';
import { anOrder, pushSuite } from './support.ts';

const s = pushSuite();
const PAID = { state: 'paid', amountCents: 10000, paidAt: '2026-11-22T09:41:10+08:00', tradeNo: '2026112222001400301' };

async function check(asked: string) {
  const res = await fetch(`${s.baseUrl}/api/v1/orders/${asked}/check`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret: '8462' }),
  });
  return { status: res.status, json: await res.json() as { verdict: string; action: string; orderNo?: string; keys?: { secret: string }[] } };
}

describe('push API: the number the gateway knows the payment by', () => {
  it('asks the gateway by the pushed gateway number and delivers on its answer', async () => {
    expect((await s.client.pushStock('STEAM-100', { keys: ['GW-KEY-0001', 'GW-KEY-0002'], product: { title: 'Steam 100' } })).status).toBe(200);
    const put = await s.client.putOrder('A202611220301', anOrder({ status: 'paid', gatewayOrderNo: 'PAY-A202611220301-2' }));
    expect(put.status).toBe(200);
    expect(put.json as object).toMatchObject({ gatewayOrderNo: 'PAY-A202611220301-2', keysHeld: 0 });
    // the sandbox gateway knows the payment only by the gateway number, as a real one would
    await s.svc.database.db.insert(sandboxAnswers).values({ orderNo: 'A202611220301', kind: 'gateway', tradeNo: PAID.tradeNo, answer: PAID });

    const c = await check('A202611220301');
    expect(c.status).toBe(200);
    expect(c.json).toMatchObject({ verdict: 'PAID_NOT_DELIVERED', action: 'reissued' });
    // one of the pushed keys (an import's keys go out in the order of their hashes, not the push's)
    const shown = c.json.keys?.map((k) => k.secret) ?? [];
    expect(shown).toHaveLength(1);
    expect(['GW-KEY-0001', 'GW-KEY-0002']).toContain(shown[0]);
  });

  it('finds the order by its gateway number', async () => {
    const c = await check('PAY-A202611220301-2');
    expect(c.status).toBe(200);
    expect(c.json).toMatchObject({ verdict: 'DELIVERED' });
  });

  it('without the gateway number the same gateway finds no payment: the number asked is the pushed one', async () => {
    await s.client.putOrder('A202611220302', anOrder({ status: 'paid' }));
    // the answer book names the order, but the gateway knows it by a number the shop did not push
    await s.svc.database.db.insert(sandboxAnswers).values({ orderNo: 'A202611220302', kind: 'gateway', tradeNo: '2026112222001400302', answer: { ...PAID, tradeNo: '2026112222001400302' } });
    expect((await check('A202611220302')).json.action).toBe('reissued');
    const put = await s.client.putOrder('A202611220303', anOrder({ status: 'paid', gatewayOrderNo: 'PAY-NOT-AT-GATEWAY' }));
    expect(put.status).toBe(200);
    const c = await check('A202611220303');
    expect(c.json.action).not.toBe('reissued');
  });

  it('refuses a gateway number another order has, and a new one once keys were issued, writing nothing', async () => {
    const before = await s.census();
    const dump = await s.ordersDump();
    const taken = await s.client.putOrder('A202611220304', anOrder({ gatewayOrderNo: 'PAY-A202611220301-2' }));
    expect(taken.status).toBe(409);
    expect((taken.json as { detail: string }).detail).toMatch(/gatewayOrderNo: another order already has/);
    const swapped = await s.client.putOrder('A202611220301', anOrder({ status: 'paid', gatewayOrderNo: 'PAY-A202611220301-3' }));
    expect(swapped.status).toBe(409);
    expect((swapped.json as { detail: string }).detail).toMatch(/gatewayOrderNo: the order holds keys/);
    expect(await s.census()).toEqual(before);
    expect(await s.ordersDump()).toEqual(dump);
  });
});

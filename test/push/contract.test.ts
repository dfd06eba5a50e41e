/**
 * The push API's contract, through a client written from the README only (client.ts), over a real
 * loopback connection: signature, the 5-minute window, replays, idempotent retries, and bad input
 * answered with a clear 4xx problem that wrote nothing.
 */
import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { anOrder, pushSuite, SECRET } from './support.ts';
import { PushClient, signRequest } from './client.ts';

const s = pushSuite();

async function expectNothingWritten(before: Record<string, number>, dump: unknown[]) {
  expect(await s.census()).toEqual(before);
  expect(await s.ordersDump()).toEqual(dump);
}

describe('push API: orders', () => {
  it('creates an order, and the same push again (signed anew) changes nothing and answers the same', async () => {
    const first = await s.client.putOrder('A202611220001', anOrder());
    expect(first.status).toBe(200);
    expect(first.json).toEqual({
      orderNo: 'A202611220001', sku: 'STEAM-100', quantity: 1, amountFen: 10000, channel: 'alipay',
      status: 'pending', tradeNo: null, gatewayOrderNo: null, paidAt: null, keysHeld: 0,
    });
    const before = await s.census();
    s.clock.advance(2000);
    const retry = await s.client.putOrder('A202611220001', anOrder());
    expect(retry.status).toBe(200);
    expect(retry.json).toEqual(first.json);
    // a retry is not a change: not even an audit row
    expect(await s.census()).toEqual(before);
  });

  it('stores the query secret only as a hash that the buyer check accepts', async () => {
    const [row] = await s.svc.database.rows<{ query_secret_hash: string }>(sql`select query_secret_hash from orders where order_no = 'A202611220001'`);
    expect(row!.query_secret_hash).not.toContain('8462');
    const check = await fetch(`${s.baseUrl}/api/v1/orders/A202611220001/check`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret: '8462' }),
    });
    expect(check.status).toBe(200);
    const wrong = await fetch(`${s.baseUrl}/api/v1/orders/A202611220001/check`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret: '0000' }),
    });
    expect(wrong.status).toBe(404);
  });

  it('refuses the exact same signed request a second time (409 replayed), and an old one replayed after an update changes nothing', async () => {
    const v1 = s.client.sign('PUT', '/api/v1/shop/orders/A202611220002', anOrder());
    expect((await s.client.send(v1)).status).toBe(200);
    s.clock.advance(1000);
    const v2 = await s.client.putOrder('A202611220002', anOrder({ status: 'paid', paidAt: '2026-11-22T09:41:10+08:00', tradeNo: '2026112222001400002' }));
    expect(v2.json.status).toBe('paid');
    const before = await s.census();
    const dump = await s.ordersDump();
    const replay = await s.client.send(v1);
    expect(replay.status).toBe(409);
    expect(replay.type).toMatch(/^application\/problem\+json/);
    expect(replay.json.code).toBe('replayed');
    await expectNothingWritten(before, dump);
  });

  it('refuses a timestamp more than 300 s off either way, and takes one just inside', async () => {
    const before = await s.census();
    const dump = await s.ordersDump();
    for (const skew of [-301, 301, -3600]) {
      const r = await s.client.send(s.client.sign('PUT', '/api/v1/shop/orders/A202611220003', anOrder(), skew));
      expect(r.status).toBe(401);
      expect(r.json.code).toBe('signature_invalid');
      expect(r.json.detail).toMatch(/300 s/);
    }
    await expectNothingWritten(before, dump);
    const inside = await s.client.send(s.client.sign('PUT', '/api/v1/shop/orders/A202611220003', anOrder(), 290));
    expect(inside.status).toBe(200);
  });

  it('refuses unsigned, wrongly keyed and re-aimed requests with 401, writing nothing', async () => {
    const before = await s.census();
    const dump = await s.ordersDump();
    const path = '/api/v1/shop/orders/A202611220009';
    const body = JSON.stringify(anOrder());
    const unsigned = await fetch(`${s.baseUrl}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);
    expect((await unsigned.json()).code).toBe('signature_invalid');

    const wrongKey = new PushClient(s.baseUrl, 'another-secret-0123456789abcdef0123456789', () => s.clock.now);
    expect((await wrongKey.putOrder('A202611220009', anOrder())).status).toBe(401);

    // signed for one order, sent to another; signed as PUT, sent as POST to the stock route
    const signed = s.client.sign('PUT', '/api/v1/shop/orders/A202611220008', anOrder());
    expect((await s.client.send({ ...signed, path })).status).toBe(401);
    // a body changed after signing
    expect((await s.client.send({ ...signed, body: JSON.stringify(anOrder({ amountFen: 1 })) })).status).toBe(401);
    const garbled = await s.client.send(signed, { 'order-doctor-signature': 'sha256=abc' });
    expect(garbled.status).toBe(401);
    await expectNothingWritten(before, dump);
  });

  it('answers bad bodies with a clear 4xx problem, writing nothing', async () => {
    const before = await s.census();
    const dump = await s.ordersDump();
    const path = '/api/v1/shop/orders/A202611220010';
    const send = (body: string, headers: Record<string, string> = {}) => s.client.send(s.client.sign('PUT', path, body), headers);

    const badJson = await send('{"product": ');
    expect(badJson.status).toBe(400);
    expect(badJson.json.code).toBe('invalid_request');

    const decimal = await send(JSON.stringify(anOrder({ amountFen: 100.5 })));
    expect(decimal.status).toBe(400);
    expect(decimal.json.detail).toMatch(/amountFen/);

    const unknownField = await send(JSON.stringify(anOrder({ price: 1 })));
    expect(unknownField.status).toBe(400);

    const badChannel = await send(JSON.stringify(anOrder({ channel: 'bitcoin' })));
    expect(badChannel.status).toBe(400);
    expect(badChannel.json.detail).toMatch(/channel/);

    const noSecret = await send(JSON.stringify(anOrder({ querySecret: undefined })));
    expect(noSecret.status).toBe(422);
    expect(noSecret.json.detail).toMatch(/querySecret/);

    const tooManyKeys = await send(JSON.stringify(anOrder({ keys: ['K-1', 'K-2'] })));
    expect(tooManyKeys.status).toBe(422);

    const notJson = await send(JSON.stringify(anOrder()), { 'content-type': 'text/plain' });
    expect(notJson.status).toBe(415);

    const badOrderNo = await s.client.send(s.client.sign('PUT', '/api/v1/shop/orders/A%20B', JSON.stringify(anOrder())));
    expect(badOrderNo.status).toBe(400);

    // over the limit: refused from Content-Length alone, before any signature is checked
    const huge = JSON.stringify(anOrder({ contact: 'x'.repeat(70 * 1024) }));
    const tooBig = await send(huge);
    expect(tooBig.status).toBe(413);
    expect(tooBig.json.code).toBe('payload_too_large');
    await expectNothingWritten(before, dump);
  });

  it('fixes the paid-for facts once the order holds keys: 409 conflict, nothing written', async () => {
    const delivered = await s.client.putOrder('A202611220004', anOrder({
      status: 'delivered', paidAt: '2026-11-22T09:41:10+08:00', tradeNo: '2026112222001400004', keys: ['SHOP-KEY-0004'],
    }));
    expect(delivered.status).toBe(200);
    expect(delivered.json.keysHeld).toBe(1);
    const before = await s.census();
    const dump = await s.ordersDump();
    for (const change of [{ amountFen: 1 }, { quantity: 2 }, { channel: 'usdt' }, { tradeNo: 'OTHER-NUMBER' }]) {
      s.clock.advance(1000);
      const r = await s.client.putOrder('A202611220004', anOrder({ status: 'delivered', ...change }));
      expect(r.status).toBe(409);
      expect(r.json.code).toBe('conflict');
    }
    // a key another order holds is refused too
    const stolen = await s.client.putOrder('A202611220005', anOrder({ keys: ['SHOP-KEY-0004'] }));
    expect(stolen.status).toBe(409);
    await expectNothingWritten(before, dump);
    // the shop's late retry of an older status is harmless: still delivered, keys kept
    const late = await s.client.putOrder('A202611220004', anOrder({ status: 'paid' }));
    expect(late.status).toBe(200);
    expect(late.json).toMatchObject({ status: 'delivered', keysHeld: 1, tradeNo: '2026112222001400004' });
  });

  it('the routes are in the OpenAPI document, and other methods get 405', async () => {
    const doc = await (await fetch(`${s.baseUrl}/api/openapi.json`)).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/shop/orders/{orderNo}', '/api/v1/shop/stock/{sku}']));
    const get = await fetch(`${s.baseUrl}/api/v1/shop/orders/A202611220001`);
    expect(get.status).toBe(405);
  });
});

describe('push API: stock', () => {
  it('adds keys, reports duplicates, creates the product when asked, and a retry adds nothing', async () => {
    const unknown = await s.client.pushStock('NEW-SKU', { keys: ['N-0001'] });
    expect(unknown.status).toBe(404);
    const first = await s.client.pushStock('NEW-SKU', { keys: ['N-0001', 'N-0002', 'N-0001'], product: { title: 'New card' } });
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ sku: 'NEW-SKU', received: 3, added: 2, alreadyPresent: [], duplicatesInBody: [2], wokenOrders: 0 });
    const before = await s.census();
    s.clock.advance(1000);
    const retry = await s.client.pushStock('NEW-SKU', { keys: ['N-0001', 'N-0002', 'N-0001'], product: { title: 'New card' } });
    expect(retry.json).toMatchObject({ added: 0, alreadyPresent: [0, 1], duplicatesInBody: [2] });
    // only the import's own audit row: no key twice
    expect(await s.census()).toEqual({ ...before, audit_log: before.audit_log! + 1 });
    const [row] = await s.svc.database.rows<{ n: number; plain: number }>(sql`
      select count(*)::int as n, count(*) filter (where secret_enc like '%N-000%')::int as plain from stock_keys where sku = 'NEW-SKU'`);
    expect(row).toEqual({ n: 2, plain: 0 });
  });

  it('refuses keys that are not one line, or a comment, writing nothing', async () => {
    const before = await s.census();
    for (const keys of [['A\nB'], ['#comment'], [], ['   ']]) {
      const r = await s.client.pushStock('NEW-SKU', { keys });
      expect(r.status).toBe(400);
    }
    expect(await s.census()).toEqual(before);
  });

  it('a request signed with a secret pushed as a query string or to another sku does not pass', async () => {
    const signed = s.client.sign('POST', '/api/v1/shop/stock/NEW-SKU', { keys: ['N-0003'] });
    expect((await s.client.send({ ...signed, path: '/api/v1/shop/stock/STEAM-100' })).status).toBe(401);
    expect(signRequest(SECRET, 'POST', '/x', '', 1).headers['order-doctor-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
  });
});

describe('push API without SHOP_PUSH_SECRET', () => {
  const off = pushSuite({ SHOP_PUSH_SECRET: undefined as unknown as string });
  it('the routes do not exist: 404, and they are not in the OpenAPI document', async () => {
    const r = await off.client.putOrder('A202611220001', anOrder());
    expect(r.status).toBe(404);
    const doc = await (await fetch(`${off.baseUrl}/api/openapi.json`)).json();
    expect(Object.keys(doc.paths).some((p) => p.includes('/shop/'))).toBe(false);
  });
});

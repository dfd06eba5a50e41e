/**
 * A dujiao-next shop served by the Worker, in its real runtime: `wrangler dev` runs src/worker.ts in
 * local workerd with SHOP=dujiao-next and two Hyperdrive bindings, HYPERDRIVE on order-doctor's own
 * fresh, migrated database and SHOP_HYPERDRIVE on a shop built with our DDL
 * (fixtures/dujiao-next/schema.sql). The shop's gateways are the sandbox's, served by this process
 * on loopback and configured in the Worker as order-doctor's own (SHOP_GATEWAYS=config), playing the
 * answer book of test/shops/dujiao-next/support.ts. Through the Worker: a buyer's check delivers
 * into the shop's own rows exactly as the Node path does (shapes.test.ts), once; the cron handler
 * sweeps the shop and fills a paid order whose callback was lost, and a new workerd (new isolates,
 * a new random Hyperdrive host) goes on from the same sweep cursor.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayAnswer } from '../../src/sandbox/types.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { harness, insertOrder, insertSecrets, PG, rows, type Harness } from '../shops/dujiao-next/support.ts';
import { checkOrder, startWranglerDev, wranglerInstalled, type WranglerDev } from './wrangler-dev.ts';

const WRANGLER = wranglerInstalled();
if (!WRANGLER) {
  if (process.env.CI === 'true') throw new Error('wrangler is not installed (npm ci installs it with its workerd)');
  console.warn('skipped test/worker/worker-dujiao-next.pg.test.ts: wrangler is not installed (npm ci)');
}

// the Worker reads the real clock: the orders are placed relative to it
const ago = (min: number) => new Date(Date.now() - min * 60_000);
const paid = (tradeNo: string): GatewayAnswer => ({ state: 'paid', amountCents: 10000, paidAt: ago(29).toISOString(), tradeNo });
const steam = { productId: 7, priceCents: 10000, title: 'Steam 钱包充值卡 100元' };

/** Paid, dujiao-next's fulfilment failed for want of keys (no fulfillment row), restocked since. */
const FAILED = { orderNo: 'DN202611220001', gatewayOrderNo: 'DNP202611220001A', tradeNo: '2026112222001400000001', secret: '8462' };
/** The callback was lost: pending_payment in the shop, paid at the gateway an hour ago. */
const LOST = { orderNo: 'DN202611220002', gatewayOrderNo: 'DNP202611220002A', tradeNo: '2026112222001400000002' };
/** The same, placed after the first sweep: the next sweep, in a new workerd, must read only this one. */
const LATER = { orderNo: 'DN202611220003', gatewayOrderNo: 'DNP202611220003A', tradeNo: '2026112222001400000003' };

describe.skipIf(!PG || !WRANGLER)('a dujiao-next shop served by the Worker in local workerd (SHOP_HYPERDRIVE)', () => {
  let tdb: TestDatabase;
  let h: Harness;
  let worker: WranglerDev;
  let vars: Record<string, string>;
  const keysIssued = async (orderNo: string) => (await tdb.database.rows<{ n: number }>(sql`
    select count(*)::int as n from audit_log where order_no = ${orderNo} and action = 'keys_issued'`))[0]!.n;

  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 4);
    h = await harness(tdb.database, () => new Date());
    await insertSecrets(h.shop, 7, ['K-P-A', 'K-P-B']);
    await insertOrder(h.shop, { orderNo: FAILED.orderNo, status: 'paid', parts: [steam], guestPassword: FAILED.secret, createdAt: ago(30), paidAt: ago(29),
      payments: [{ channel: 'alipay', status: 'success', gatewayOrderNo: FAILED.gatewayOrderNo, providerRef: FAILED.tradeNo }] });
    h.book.set(FAILED.gatewayOrderNo, 'alipay', 10000, paid(FAILED.tradeNo));
    await insertSecrets(h.shop, 8, ['K-SW-A']);
    await insertOrder(h.shop, { orderNo: LOST.orderNo, status: 'pending_payment', parts: [{ ...steam, productId: 8 }], createdAt: ago(60),
      payments: [{ channel: 'alipay', status: 'pending', gatewayOrderNo: LOST.gatewayOrderNo }] });
    h.book.set(LOST.gatewayOrderNo, 'alipay', 10000, paid(LOST.tradeNo));
    // the harness's environment minus the shop's URL, which the SHOP_HYPERDRIVE binding gives instead
    const { SHOP_DATABASE_URL: _bound, ...env } = h.env();
    vars = env as Record<string, string>;
    worker = await startWranglerDev({ databaseUrl: tdb.url!, shopDatabaseUrl: h.shop.url, vars });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await h?.close();
    await tdb?.drop();
  });

  it('delivers a paid order without fulfillment into the shop, as dujiao-next\'s own fulfilment would, and shows the buyer the key', async () => {
    const res = await checkOrder(worker, FAILED.orderNo, FAILED.secret);
    expect(res.status).toBe(200);
    const body = await res.json() as { verdict: string; action: string; keys: { secret: string }[] };
    expect(body).toMatchObject({ verdict: 'PAID_NOT_DELIVERED', action: 'reissued' });
    expect(body.keys.map((k) => k.secret)).toEqual(['K-P-A']);

    // the shop's rows: what shapes.test.ts expects of the Node path for this shape
    expect(await rows(h.shop, 'select status, paid_at is not null as paid from orders where order_no = $1', [FAILED.orderNo])).toEqual([{ status: 'completed', paid: true }]);
    expect(await rows(h.shop, 'select o.order_no, f.type, f.status, f.payload from fulfillments f join orders o on o.id = f.order_id'))
      .toEqual([{ order_no: FAILED.orderNo, type: 'auto', status: 'delivered', payload: 'K-P-A' }]);
    expect(await rows(h.shop, 'select c.secret, c.status, o.order_no from card_secrets c left join orders o on o.id = c.order_id where c.product_id = 7 order by c.secret')).toEqual([
      { secret: 'K-P-A', status: 'used', order_no: FAILED.orderNo },
      { secret: 'K-P-B', status: 'available', order_no: null },
    ]);
    expect(await rows(h.shop, "select count(*)::int as n from card_secrets where status = 'used' and (order_id is null or used_at is null or reserved_at is not null)")).toEqual([{ n: 0 }]);
    expect(await rows(h.shop, 'select p.status, p.provider_ref from payments p where p.gateway_order_no = $1', [FAILED.gatewayOrderNo]))
      .toEqual([{ status: 'success', provider_ref: FAILED.tradeNo }]);

    // ours: the delivery's journal entry committed, one audit row, and no key in either
    const journal = await tdb.database.rows<{ state: string; detail: unknown }>(sql`select state, detail from shop_deliveries where order_no = ${FAILED.orderNo}`);
    expect(journal.map((j) => j.state)).toEqual(['committed']);
    expect(await keysIssued(FAILED.orderNo)).toBe(1);
    const audit = await tdb.database.rows<{ detail: unknown }>(sql`select detail from audit_log where order_no = ${FAILED.orderNo} and action = 'keys_issued'`);
    expect(JSON.stringify([journal, audit])).not.toContain('K-P-');
    expect(worker.output()).not.toContain('K-P-A');
  });

  it('a second check (twice at once) finds it delivered in the shop\'s rows: the same key, nothing delivered again', async () => {
    const again = await Promise.all([checkOrder(worker, FAILED.orderNo, FAILED.secret), checkOrder(worker, FAILED.orderNo, FAILED.secret)]);
    for (const res of again) {
      expect(res.status).toBe(200);
      const body = await res.json() as { verdict: string; keys: { secret: string }[] };
      expect(body.verdict).toBe('DELIVERED');
      expect(body.keys.map((k) => k.secret)).toEqual(['K-P-A']);
    }
    expect(await rows(h.shop, 'select count(*)::int as n from fulfillments')).toEqual([{ n: 1 }]);
    expect(await rows(h.shop, "select count(*)::int as n from card_secrets where status = 'used'")).toEqual([{ n: 1 }]);
    expect(await keysIssued(FAILED.orderNo)).toBe(1);
  });

  it('refuses a wrong secret with problem+json, no key, nothing written', async () => {
    const res = await checkOrder(worker, LOST.orderNo, 'nope');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.text()).not.toContain('K-SW-');
    expect(await rows(h.shop, 'select status from orders where order_no = $1', [LOST.orderNo])).toEqual([{ status: 'pending_payment' }]);
  });

  it('sweeps the shop from the cron handler: its run record, and the order whose callback was lost delivered', async () => {
    const res = await fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent('* * * * *')}`);
    expect(res.status).toBe(200);
    const runs = await tdb.database.rows<{ sweeper_id: string; status: string; by_verdict: Record<string, number> }>(sql`select sweeper_id, status, by_verdict from sweep_runs`);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ sweeper_id: expect.stringMatching(/^workers:\* \* \* \* \*:/), status: 'finished' });
    expect(runs[0]!.by_verdict).toMatchObject({ PAID_NOT_DELIVERED: 1 });
    expect(await rows(h.shop, 'select o.status, f.payload, p.status as paid, p.provider_ref from orders o join fulfillments f on f.order_id = o.id join payments p on p.order_id = o.id where o.order_no = $1', [LOST.orderNo]))
      .toEqual([{ status: 'completed', payload: 'K-SW-A', paid: 'success', provider_ref: LOST.tradeNo }]);
    expect(await keysIssued(LOST.orderNo)).toBe(1);
    // the first order, delivered by the check, is left alone
    expect(await keysIssued(FAILED.orderNo)).toBe(1);
    expect(await rows(h.shop, 'select count(*)::int as n from fulfillments')).toEqual([{ n: 2 }]);
  });

  it('keeps one sweep cursor across isolates, though Hyperdrive names the shop\'s host anew in each', async () => {
    const cursors = () => tdb.database.rows<{ key: string; value: { lastId: number } }>(sql`select key, value from settings where key like 'shop-cursor:%'`);
    const shopDb = new URL(h.shop.url).pathname;
    expect(await cursors()).toEqual([{ key: `shop-cursor:dujiao-next:hyperdrive${shopDb}`, value: { lastId: 2 } }]);
    // a new workerd: new isolates, a new <random>.hyperdrive.local host in SHOP_HYPERDRIVE's connection string
    await worker.stop();
    await insertSecrets(h.shop, 8, ['K-SW-B']);
    await insertOrder(h.shop, { orderNo: LATER.orderNo, status: 'pending_payment', parts: [{ ...steam, productId: 8 }], createdAt: ago(50),
      payments: [{ channel: 'alipay', status: 'pending', gatewayOrderNo: LATER.gatewayOrderNo }] });
    h.book.set(LATER.gatewayOrderNo, 'alipay', 10000, paid(LATER.tradeNo));
    worker = await startWranglerDev({ databaseUrl: tdb.url!, shopDatabaseUrl: h.shop.url, vars });
    expect((await fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent('* * * * *')}`)).status).toBe(200);
    // the walk went on from where the first workerd left it: only the new order was read
    expect(await cursors()).toEqual([{ key: `shop-cursor:dujiao-next:hyperdrive${shopDb}`, value: { lastId: 3 } }]);
    const runs = await tdb.database.rows<{ picked: number }>(sql`select picked from sweep_runs order by started_at`);
    expect(runs.map((r) => r.picked)).toEqual([expect.any(Number), 1]);
    expect(await rows(h.shop, 'select o.status, f.payload from orders o join fulfillments f on f.order_id = o.id where o.order_no = $1', [LATER.orderNo]))
      .toEqual([{ status: 'completed', payload: 'K-SW-B' }]);
  }, 60_000);
});

/**
 * Opening and reading an acg-faka shop (real MariaDB): start-up refuses a wrong prefix or database
 * with one line naming what is missing, and an unreachable server with one line; orders are found
 * by their trade_no (and by nothing else: acg-faka keeps no gateway number); a buyer's orders by the
 * contact they gave, without case, newest first, on acg-faka's own contact index; the start notes
 * name the optional card index; held keys are the card rows sold to the order, never the apology.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { createServices } from '../../../src/services.ts';
import type { Services } from '../../../src/services.ts';
import { testDatabase } from '../../support/db.ts';
import { emptyShop, freshShop, insertCards, insertCommodity, insertOrder, MARIADB, PAY, shopEnv, suiteHarness, type Harness } from './support.ts';

const NOW = new Date('2026-11-22T10:00:00+08:00');
const ago = (min: number) => new Date(NOW.getTime() - min * 60_000);
const APOLOGY = '很抱歉，有人在你付款之前抢走了商品，请联系客服。';

describe.skipIf(!MARIADB)('acg-faka: opening the shop and finding orders', () => {
  const suite = suiteHarness(() => NOW);
  let h: Harness;
  let svc: Services;

  beforeEach(async () => {
    h = suite.h;
    await emptyShop(h);
    await insertCommodity(h.shop, { id: 7, name: 'Steam 钱包充值卡 100元', priceCents: 10000 });
    await insertCards(h.shop, 7, ['LK-1', 'LK-2']);
    await insertOrder(h.shop, { tradeNo: '111261122093000001', commodityId: 7, priceCents: 10000, payId: PAY.epayAlipay, status: 1, deliveryStatus: 1, secret: APOLOGY, contact: 'Buyer@Example.com', paidAt: ago(89), createdAt: ago(90) });
    await insertOrder(h.shop, { tradeNo: '111261122093000002', commodityId: 7, priceCents: 10000, payId: PAY.epayAlipay, status: 0, contact: 'buyer@example.com', createdAt: ago(30) });
    await insertOrder(h.shop, { tradeNo: '111261122093000003', commodityId: 7, priceCents: 10000, payId: PAY.usdt, status: 0, contact: 'other@example.com', createdAt: ago(20) });
    svc = await h.services();
  });

  it('finds an order by its trade_no, with its product, payment method and no key for the apology', async () => {
    const view = await svc.shop.find('111261122093000001');
    expect(view?.order).toMatchObject({ orderNo: '111261122093000001', sku: '7', quantity: 1, amountCents: 10000, channel: 'epay', status: 'paid', tradeNo: null, contact: 'Buyer@Example.com' });
    expect(view?.order.payment).toEqual({ ref: String(PAY.epayAlipay), name: '支付宝', handler: 'Epay' });
    expect(view?.product).toMatchObject({ title: 'Steam 钱包充值卡 100元', fulfilment: 'stock', maxReplacements: 0 });
    expect(view?.holdings).toEqual({ keys: [], stockAvailable: 1 });
    expect(await svc.shop.revealKeys(view!.order)).toEqual([]);
    expect((await svc.shop.find('111261122093000003'))?.order.channel).toBeNull();
    expect(await svc.shop.find('999999999999999999')).toBeUndefined();
  });

  it('a buyer\'s orders by contact, without case, newest first, within the limit', async () => {
    const hits = await svc.shop.findByContact(' BUYER@example.com ', 10);
    expect(hits.map((x) => [x.order.orderNo, x.order.status, x.productTitle])).toEqual([
      ['111261122093000002', 'pending', 'Steam 钱包充值卡 100元'],
      ['111261122093000001', 'paid', 'Steam 钱包充值卡 100元'],
    ]);
    expect(await svc.shop.findByContact('buyer@example.com', 1)).toHaveLength(1);
    expect(await svc.shop.findByContact('  ', 10)).toEqual([]);
    const [plan] = (await h.shop.pool.query(`explain select id from ${h.shop.t('order')} where contact = 'buyer@example.com'`)) as unknown as [{ key: string | null }[]];
    expect(plan[0]!.key).toBe('contact');
  });

  it('lists the payment methods (EPay askable, the rest not, no credentials) and names the optional card index', async () => {
    expect(await svc.shop.channels()).toEqual([
      { ref: '1', name: '余额', handler: '#system', channel: null, open: true },
      { ref: '2', name: '支付宝', handler: 'Epay', channel: 'epay', open: true },
      { ref: '3', name: '微信', handler: 'Epay', channel: 'epay', open: true },
      { ref: '4', name: 'USDT', handler: 'Epusdt', channel: null, open: true },
    ]);
    expect(svc.shop.notes.join('\n')).toMatch(/acg-faka on .*MariaDB/);
    expect(svc.shop.notes.join('\n')).toContain('CREATE INDEX idx_commodity_status ON `acg_card` (commodity_id, status)');
    expect(await svc.shop.inStock(['7', '8', 'x'])).toEqual(['7']);
  });

  it('a wrong table prefix stops start-up with one line naming the missing tables', async () => {
    const tdb = await testDatabase();
    try {
      const config = loadConfig({ ...shopEnv(h.shop, h.sandbox.baseUrl), SHOP_TABLE_PREFIX: 'faka_' });
      await expect(createServices(config, { database: tdb.database, migrated: true, now: () => NOW }))
        .rejects.toThrow(/^the shop's database od_af_\w+ is not an acg-faka database as expected: no table faka_order, table faka_commodity, table faka_card \(\+1 more\) \(wrong database, or SHOP_TABLE_PREFIX\?\)$/);
    } finally {
      await tdb.drop();
    }
  });

  it('a prefix the shop was installed with (not acg_) is read and written under that prefix', async () => {
    const other = await freshShop('faka_');
    const tdb = await testDatabase();
    try {
      await insertCommodity(other, { id: 3, name: 'Netflix', priceCents: 3000 });
      await insertOrder(other, { tradeNo: '222261122093000001', commodityId: 3, priceCents: 3000, payId: 2, status: 0, createdAt: ago(30) });
      const s = await createServices(loadConfig({ ...shopEnv(other, h.sandbox.baseUrl) }), { database: tdb.database, migrated: true, now: () => NOW });
      try {
        expect((await s.shop.find('222261122093000001'))?.product.title).toBe('Netflix');
      } finally {
        await s.close();
      }
    } finally {
      await tdb.drop();
      await other.drop();
    }
  });

  it('an unreachable server stops start-up with one line', async () => {
    const tdb = await testDatabase();
    try {
      const config = loadConfig({ ...shopEnv(h.shop, h.sandbox.baseUrl), SHOP_DATABASE_URL: 'mysql://root@127.0.0.1:1/acg' });
      await expect(createServices(config, { database: tdb.database, migrated: true, now: () => NOW }))
        .rejects.toThrow(/^cannot reach the shop's database at mysql:\/\/127\.0\.0\.1:1\/acg: .*ECONNREFUSED/);
    } finally {
      await tdb.drop();
    }
  });
});

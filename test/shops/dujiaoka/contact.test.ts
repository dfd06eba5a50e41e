/**
 * The shop port's search by buyer contact on a dujiaoka shop (real MariaDB): orders by their
 * `email`, without case (the column's collation), newest first, deleted orders left out, within
 * the limit; on dujiaoka's own email index.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Services } from '../../../src/services.ts';
import { emptyShop, insertGoods, insertOrder, MARIADB, PAY, suiteHarness, type Harness } from './support.ts';

const NOW = new Date('2026-11-22T10:00:00+08:00');
const ago = (min: number) => new Date(NOW.getTime() - min * 60_000);

describe.skipIf(!MARIADB)('dujiaoka: find orders by buyer contact', () => {
  const suite = suiteHarness(() => NOW);
  let h: Harness;
  let svc: Services;

  beforeEach(async () => {
    h = suite.h;
    await emptyShop(h);
    await insertGoods(h.shop, { id: 7, name: 'Steam 钱包充值卡 100元', priceCents: 10000 });
    await insertOrder(h.shop, { orderSn: 'MAIL000000000001', goodsId: 7, priceCents: 10000, payId: PAY.alipay, status: 4, info: 'K1', email: 'Buyer@Example.com', createdAt: ago(90) });
    await insertOrder(h.shop, { orderSn: 'MAIL000000000002', goodsId: 7, priceCents: 10000, payId: PAY.alipay, status: 1, email: 'buyer@example.com', createdAt: ago(30) });
    await insertOrder(h.shop, { orderSn: 'MAIL000000000003', goodsId: 7, priceCents: 10000, payId: PAY.alipay, status: 1, email: 'other@example.com', createdAt: ago(20) });
    await insertOrder(h.shop, { orderSn: 'MAIL000000000004', goodsId: 7, priceCents: 10000, payId: PAY.alipay, status: 1, email: 'buyer@example.com', createdAt: ago(10) });
    await h.shop.pool.query("update orders set deleted_at = now() where order_sn = 'MAIL000000000004'");
    svc = await h.services();
  });

  it('matches the email without case, newest first, leaving deleted orders out', async () => {
    const hits = await svc.shop.findByContact(' BUYER@example.com ', 10);
    expect(hits.map((x) => [x.order.orderNo, x.order.status, x.productTitle])).toEqual([
      ['MAIL000000000002', 'pending', 'Steam 钱包充值卡 100元'],
      ['MAIL000000000001', 'delivered', 'Steam 钱包充值卡 100元'],
    ]);
    expect(await svc.shop.findByContact('buyer@example.com', 1)).toHaveLength(1);
    expect(await svc.shop.findByContact('nobody@example.com', 10)).toEqual([]);
    expect(await svc.shop.findByContact('  ', 10)).toEqual([]);
  });

  it('uses dujiaoka\'s own email index', async () => {
    const [plan] = (await h.shop.pool.query("explain select id from orders where email = 'buyer@example.com'")) as unknown as [{ key: string | null }[]];
    expect(plan[0]!.key).toBe('idex_email');
  });
});

/**
 * The dujiaoka shop's MariaDB refusing, hung, and holding a lock: a buyer's check is a 503 (never a
 * 500, never a hang), nothing is written, and the same services answer once it is back.
 */
import { describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { customerCheck } from '../../../src/engine/customer-check.ts';
import { isDatabaseFault } from '../../../src/db/faults.ts';
import { NO_LOG_CONTEXT } from '../../../src/observability/context.ts';
import { expectRefusedAndHungShopAnswered, SHOP_DEADLINE_MS, shopBehindProxy, shopClient } from '../support/faults.ts';
import { emptyShop, insertCarmis, insertGoods, insertOrder, MARIADB, orderRow, PAY, rows, suiteHarness } from './support.ts';

const NOW = new Date('2026-11-22T10:00:00+08:00');
const ago = (min: number) => new Date(NOW.getTime() - min * 60_000);

describe.skipIf(!MARIADB)('dujiaoka: the shop\'s database refusing, hung or locked', () => {
  const suite = suiteHarness(() => NOW);

  it('refused: 503 with Retry-After at once; hung: 503 within the shop deadline; back: 200 on the same services', async () => {
    const h = suite.h;
    await emptyShop(h);
    await insertGoods(h.shop, { id: 7, name: 'Steam 100', priceCents: 10000, type: 2 }); // manual goods: the check only reads
    await insertOrder(h.shop, { orderSn: 'FAULT00000000001', goodsId: 7, type: 2, priceCents: 10000, payId: PAY.alipay, status: 2, searchPwd: '8462', createdAt: ago(3) });
    h.book.set('FAULT00000000001', 'alipay', 10000, { state: 'paid', amountCents: 10000, paidAt: ago(2).toISOString(), tradeNo: '2026112222001400077777' });
    const { env, proxy } = await shopBehindProxy(h.shop.url, 3306);
    const svc = await h.services(env);
    await expectRefusedAndHungShopAnswered(shopClient(svc, 'FAULT00000000001', '8462'), proxy, 'DELIVERY_IN_PROGRESS');
  });

  it('an order row the shop holds locked past the deadline: the delivery gives up (a database fault), writes nothing, and delivers once the lock is gone', async () => {
    const h = suite.h;
    await emptyShop(h);
    await insertGoods(h.shop, { id: 8, name: 'PSN 200', priceCents: 18400 });
    await insertCarmis(h.shop, 8, ['LOCK-KEY-0001']);
    await insertOrder(h.shop, { orderSn: 'LOCKED0000000001', goodsId: 8, priceCents: 18400, payId: PAY.alipay, status: 1, searchPwd: '8462', createdAt: ago(30) });
    h.book.set('LOCKED0000000001', 'alipay', 18400, { state: 'paid', amountCents: 18400, paidAt: ago(29).toISOString(), tradeNo: '2026112222001400088888' });
    const svc = await h.services({ SHOP_STATEMENT_TIMEOUT_MS: String(SHOP_DEADLINE_MS) });

    // the shop's own work holds the order row (an admin editing it, a slow callback)
    const holder = await mysql.createConnection({ uri: h.shop.url });
    try {
      await holder.query('begin');
      await holder.query("select * from orders where order_sn = 'LOCKED0000000001' for update");
      const started = performance.now();
      const failed = await customerCheck(svc, { orderNo: 'LOCKED0000000001', secret: '8462', logContext: NO_LOG_CONTEXT }).then(
        () => { throw new Error('the check went through a held lock'); },
        (err: unknown) => err,
      );
      expect(isDatabaseFault(failed), String(failed)).toBe(true);
      expect(performance.now() - started).toBeLessThan(SHOP_DEADLINE_MS + 2000);
      expect(await orderRow(h.shop, 'LOCKED0000000001')).toMatchObject({ status: 1, info: null });
      expect(await rows(h.shop, 'select count(*) as n from carmis where status = 2')).toEqual([{ n: 0 }]);
      await holder.query('rollback');
    } finally {
      await holder.end();
    }
    const out = await customerCheck(svc, { orderNo: 'LOCKED0000000001', secret: '8462', logContext: NO_LOG_CONTEXT });
    expect(out.ok && `${out.result.verdict}/${out.result.action}`).toBe('PAID_NOT_DELIVERED/reissued');
    expect(await orderRow(h.shop, 'LOCKED0000000001')).toMatchObject({ status: 4, info: 'LOCK-KEY-0001' });
  });
});

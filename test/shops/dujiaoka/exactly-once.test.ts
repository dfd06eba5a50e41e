/**
 * Exactly once on the real MariaDB: 50 racing checks of one dujiaoka order deliver one key, once,
 * with one audit row; 20 orders racing for 10 keys of one product take 10 different keys and the
 * rest become OUT_OF_STOCK, no key held by two orders. order-doctor's own database is the real
 * Postgres when DATABASE_URL is set (PGlite otherwise: the race is on the shop's side either way).
 */
import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { customerCheck } from '../../../src/engine/customer-check.ts';
import { diagnose } from '../../../src/engine/diagnose.ts';
import { auditLog, shopDeliveries } from '../../../src/db/schema.ts';
import { emptyShop, insertCarmis, insertGoods, insertOrder, MARIADB, orderRow, PAY, rows, suiteHarness } from './support.ts';
import { NO_LOG_CONTEXT } from '../../../src/observability/context.ts';

const NOW = new Date('2026-11-22T10:00:00+08:00');
const ago = (min: number) => new Date(NOW.getTime() - min * 60_000);

describe.skipIf(!MARIADB)('dujiaoka: exactly once under racing checks', () => {
  const suite = suiteHarness(() => NOW);

  it('50 concurrent checks of one order: one key delivered, once, one audit row, the sale counted once', async () => {
    const h = suite.h;
    await emptyShop(h);
    await insertGoods(h.shop, { id: 7, name: 'Steam 100', priceCents: 10000, salesVolume: 0 });
    await insertCarmis(h.shop, 7, Array.from({ length: 5 }, (_, i) => `RACE-KEY-${i}`));
    await insertOrder(h.shop, { orderSn: 'RACE000000000001', goodsId: 7, priceCents: 10000, payId: PAY.alipay, status: 1, searchPwd: '8462', createdAt: ago(30) });
    h.book.set('RACE000000000001', 'alipay', 10000, { state: 'paid', amountCents: 10000, paidAt: ago(29).toISOString(), tradeNo: '2026112222001400077777' });
    const svc = await h.services();

    const outs = await Promise.all(Array.from({ length: 50 }, () => customerCheck(svc, { orderNo: 'RACE000000000001', secret: '8462', logContext: NO_LOG_CONTEXT })));
    const verdicts = outs.map((o) => (o.ok ? `${o.result.verdict}/${o.result.action}` : o.error));
    expect(verdicts.filter((v) => v === 'PAID_NOT_DELIVERED/reissued')).toHaveLength(1);
    expect(verdicts.filter((v) => v !== 'PAID_NOT_DELIVERED/reissued').every((v) => v === 'DELIVERED/none')).toBe(true);

    expect(await orderRow(h.shop, 'RACE000000000001')).toMatchObject({ status: 4, info: 'RACE-KEY-0', trade_no: '2026112222001400077777' });
    expect(await rows(h.shop, 'select count(*) as n from carmis where status = 2')).toEqual([{ n: 1 }]);
    expect(await rows(h.shop, 'select sales_volume from goods where id = 7')).toEqual([{ sales_volume: 1 }]);
    expect(await svc.database.db.select().from(auditLog).where(eq(auditLog.action, 'keys_issued'))).toHaveLength(1);
    expect(await svc.database.db.select({ state: shopDeliveries.state }).from(shopDeliveries)).toEqual([{ state: 'committed' }]);
  });

  it('20 orders of one product racing for 10 keys: 10 delivered with 10 different keys, 10 out of stock, no key twice', async () => {
    const h = suite.h;
    await emptyShop(h);
    await insertGoods(h.shop, { id: 9, name: 'PSN 200', priceCents: 18400 });
    await insertCarmis(h.shop, 9, Array.from({ length: 10 }, (_, i) => `PSN-KEY-${String(i).padStart(2, '0')}`));
    const sns = Array.from({ length: 20 }, (_, i) => `MANY${String(i).padStart(12, '0')}`);
    for (const [i, sn] of sns.entries()) {
      await insertOrder(h.shop, { orderSn: sn, goodsId: 9, priceCents: 18400, payId: PAY.alipay, status: 6, searchPwd: 'p', createdAt: ago(30), tradeNo: `20261122220014000${String(i).padStart(5, '0')}` });
      h.book.set(sn, 'alipay', 18400, { state: 'paid', amountCents: 18400, paidAt: ago(29).toISOString(), tradeNo: `20261122220014000${String(i).padStart(5, '0')}` });
    }
    const svc = await h.services();
    const outs = await Promise.all(sns.map((sn) => diagnose(svc, { orderNo: sn, actor: { kind: 'sweep', id: 'race' }, apply: true, logContext: NO_LOG_CONTEXT })));
    const byAction = outs.reduce<Record<string, number>>((m, r) => ({ ...m, [r.verdict]: (m[r.verdict] ?? 0) + 1 }), {});
    expect(byAction).toEqual({ PAID_NOT_DELIVERED: 10, OUT_OF_STOCK: 10 });
    const delivered = await rows(h.shop, 'select info from orders where status = 4');
    expect(delivered).toHaveLength(10);
    expect(new Set(delivered.map((r) => r.info)).size).toBe(10);
    expect(await rows(h.shop, 'select count(*) as n from carmis where status = 1')).toEqual([{ n: 0 }]);
  });
});

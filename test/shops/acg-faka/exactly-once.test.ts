/**
 * Exactly once on the real MariaDB: 50 racing checks of one acg-faka order sell it one card, once,
 * with one audit row; 20 orders racing for 10 cards of one product take 10 different cards and the
 * rest become OUT_OF_STOCK, no card sold to two orders. order-doctor's own database is the real
 * Postgres when DATABASE_URL is set (PGlite otherwise: the race is on the shop's side either way).
 */
import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { customerCheck } from '../../../src/engine/customer-check.ts';
import { diagnose } from '../../../src/engine/diagnose.ts';
import { auditLog, shopDeliveries } from '../../../src/db/schema.ts';
import { emptyShop, insertCards, insertCommodity, insertOrder, MARIADB, orderRow, PAY, rows, suiteHarness } from './support.ts';
import { NO_LOG_CONTEXT } from '../../../src/observability/context.ts';

const NOW = new Date('2026-11-22T10:00:00+08:00');
const ago = (min: number) => new Date(NOW.getTime() - min * 60_000);
const paid = { state: 'paid' as const, amountCents: 10000, paidAt: ago(29).toISOString(), tradeNo: '2026112209300077777' };

describe.skipIf(!MARIADB)('acg-faka: exactly once under racing checks', () => {
  const suite = suiteHarness(() => NOW);

  it('50 concurrent checks of one order: one card sold to it, once, one audit row, one journal entry', async () => {
    const h = suite.h;
    await emptyShop(h);
    await insertCommodity(h.shop, { id: 7, name: 'Steam 100', priceCents: 10000 });
    await insertCards(h.shop, 7, Array.from({ length: 5 }, (_, i) => `RACE-KEY-${i}`));
    const id = await insertOrder(h.shop, { tradeNo: '100261122093000001', commodityId: 7, priceCents: 10000, payId: PAY.epayAlipay, status: 0, password: 'pw-8462', createdAt: ago(30) });
    h.book.set('100261122093000001', 'epay', 10000, paid);
    const svc = await h.services();

    const outs = await Promise.all(Array.from({ length: 50 }, () => customerCheck(svc, { orderNo: '100261122093000001', secret: 'pw-8462', logContext: NO_LOG_CONTEXT })));
    const verdicts = outs.map((o) => (o.ok ? `${o.result.verdict}/${o.result.action}` : o.error));
    expect(verdicts.filter((v) => v === 'PAID_NOT_DELIVERED/reissued')).toHaveLength(1);
    expect(verdicts.filter((v) => v !== 'PAID_NOT_DELIVERED/reissued').every((v) => v === 'DELIVERED/none')).toBe(true);

    expect(await orderRow(h.shop, '100261122093000001')).toMatchObject({ status: 1, delivery_status: 1, secret: 'RACE-KEY-0' });
    expect(await rows(h.shop, `select secret, order_id from ${h.shop.t('card')} where status = 1`)).toEqual([{ secret: 'RACE-KEY-0', order_id: id }]);
    expect(await svc.database.db.select().from(auditLog).where(eq(auditLog.action, 'keys_issued'))).toHaveLength(1);
    expect(await svc.database.db.select({ state: shopDeliveries.state }).from(shopDeliveries)).toEqual([{ state: 'committed' }]);
  });

  it('20 orders of one product racing for 10 cards (random order): 10 delivered with 10 different cards, 10 out of stock, no card twice', async () => {
    const h = suite.h;
    await emptyShop(h);
    await insertCommodity(h.shop, { id: 9, name: 'PSN 200', priceCents: 18400, autoMode: 1 });
    await insertCards(h.shop, 9, Array.from({ length: 10 }, (_, i) => `PSN-KEY-${String(i).padStart(2, '0')}`));
    const nos = Array.from({ length: 20 }, (_, i) => `2002611220930${String(i).padStart(5, '0')}`);
    for (const no of nos) {
      // the shortage shape: paid, "delivered" with the apology, no card
      await insertOrder(h.shop, { tradeNo: no, commodityId: 9, priceCents: 18400, payId: PAY.epayAlipay, status: 1, deliveryStatus: 1, secret: '很抱歉', paidAt: ago(29), createdAt: ago(30) });
      h.book.set(no, 'epay', 18400, { ...paid, amountCents: 18400 });
    }
    const svc = await h.services();
    const outs = await Promise.all(nos.map((no) => diagnose(svc, { orderNo: no, actor: { kind: 'sweep', id: 'race' }, apply: true, logContext: NO_LOG_CONTEXT })));
    const byVerdict = outs.reduce<Record<string, number>>((m, r) => ({ ...m, [r.verdict]: (m[r.verdict] ?? 0) + 1 }), {});
    expect(byVerdict).toEqual({ PAID_NOT_DELIVERED: 10, OUT_OF_STOCK: 10 });
    const delivered = await rows(h.shop, `select id, secret from ${h.shop.t('order')} where secret like 'PSN-KEY-%'`);
    expect(delivered).toHaveLength(10);
    expect(new Set(delivered.map((r) => r.secret)).size).toBe(10);
    // every card sold once, to the order whose secret names it
    const sold = await rows(h.shop, `select c.secret, c.order_id, o.secret as order_secret from ${h.shop.t('card')} c join ${h.shop.t('order')} o on o.id = c.order_id where c.status = 1`);
    expect(sold).toHaveLength(10);
    expect(sold.every((r) => r.secret === r.order_secret)).toBe(true);
    expect(await rows(h.shop, `select count(*) as n from ${h.shop.t('card')} where status = 0`)).toEqual([{ n: 0 }]);
  });

  it('orders of two races racing for their own cards, interleaved: each race\'s cards all go to its own orders, none "out of stock" early', async () => {
    const h = suite.h;
    await emptyShop(h);
    await insertCommodity(h.shop, { id: 5, name: 'App Store 礼品卡', priceCents: 10000 });
    for (let i = 0; i < 6; i++) {
      await insertCards(h.shop, 5, [`US-${i}`], { race: '美区' });
      await insertCards(h.shop, 5, [`HK-${i}`], { race: '港区' });
    }
    const orders = Array.from({ length: 12 }, (_, i) => ({ no: `3002611220930${String(i).padStart(5, '0')}`, race: i % 2 ? '港区' : '美区' }));
    for (const o of orders) {
      await insertOrder(h.shop, { tradeNo: o.no, commodityId: 5, priceCents: 10000, payId: PAY.epayAlipay, status: 0, race: o.race, createdAt: ago(30) });
      h.book.set(o.no, 'epay', 10000, paid);
    }
    const svc = await h.services();
    const outs = await Promise.all(orders.map((o) => diagnose(svc, { orderNo: o.no, actor: { kind: 'sweep', id: 'race' }, apply: true, logContext: NO_LOG_CONTEXT })));
    expect(outs.map((r) => r.verdict)).toEqual(Array(12).fill('PAID_NOT_DELIVERED'));
    const sold = await rows(h.shop, `select c.secret, o.race from ${h.shop.t('card')} c join ${h.shop.t('order')} o on o.id = c.order_id where c.status = 1`);
    expect(sold).toHaveLength(12);
    expect(sold.every((r) => String(r.secret).startsWith(r.race === '美区' ? 'US-' : 'HK-'))).toBe(true);
  });
});

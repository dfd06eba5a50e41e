/**
 * The sweep on an acg-faka shop installed with a non-default table prefix (`shop_`), on the real
 * MariaDB: it finds every stuck shape inside the 25 h window (and nothing else), walks the orders
 * from a cursor instead of re-reading them, delivers what the gateway proves was paid, waits for
 * manual products' windows, and fills the shortage once the owner restocks, telling the buyer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { runSweep } from '../../../src/jobs/sweep.ts';
import { mailOutbox, settings, sweepQueue } from '../../../src/db/schema.ts';
import type { Services } from '../../../src/services.ts';
import { testDatabase, type TestDatabase } from '../../support/db.ts';
import { movableClock } from '../../jobs/support.ts';
import { sweepOnce } from '../support/sweep.ts';
import { harness, insertCards, insertCommodity, insertOrder, MARIADB, orderRow, PAY, rows, type Harness, type OrderSpec } from './support.ts';

const START = new Date('2026-11-22T10:00:00+08:00');
const clock = movableClock(START);
const ago = (min: number) => new Date(clock.now().getTime() - min * 60_000);
const paid = (cents = 10000) => ({ state: 'paid' as const, amountCents: cents, paidAt: ago(40).toISOString(), tradeNo: '2026112209300012345' });
const APOLOGY = '很抱歉，有人在你付款之前抢走了商品，请联系客服。';
const no = (n: number) => `9002611220930${String(n).padStart(5, '0')}`;
const NO = { SHORTAGE: no(1), LOST: no(2), ABANDONED: no(3), DELIVERED: no(4), USDT: no(5), MANUAL: no(6), NOSTOCK: no(7), YOUNG: no(8), MANUALDONE: no(9) };

describe.skipIf(!MARIADB)('acg-faka: the sweep (table prefix shop_)', () => {
  let tdb: TestDatabase;
  let h: Harness;
  let svc: Services;
  const sweep = () => sweepOnce(svc);

  beforeAll(async () => {
    tdb = await testDatabase();
    h = await harness(tdb.database, clock.now, { prefix: 'shop_' });
    await insertCommodity(h.shop, { id: 7, name: 'Steam 100', priceCents: 10000 });
    await insertCommodity(h.shop, { id: 8, name: '代充 100', priceCents: 10000, deliveryWay: 1 });
    await insertCommodity(h.shop, { id: 9, name: 'PSN 200', priceCents: 10000 });
    await insertCards(h.shop, 7, ['SW-7-A', 'SW-7-B', 'SW-7-C', 'SW-7-D']);
    await insertCards(h.shop, 7, ['SW-7-OLD'], { status: 1 });
    // 300 orders from two days ago: outside the window, never looked at (nor their statuses)
    for (let i = 0; i < 300; i++) {
      await insertOrder(h.shop, { tradeNo: `8002611200000${String(i).padStart(5, '0')}`, commodityId: 7, priceCents: 10000, payId: PAY.epayAlipay, status: 0, createdAt: ago(2 * 24 * 60 - i) });
    }
    const o = (tradeNo: string, spec: Partial<OrderSpec>) =>
      insertOrder(h.shop, { tradeNo, commodityId: 7, priceCents: 10000, payId: PAY.epayAlipay, status: 0, contact: `b${tradeNo.slice(-2)}@example.com`, createdAt: ago(60), ...spec });
    await o(NO.SHORTAGE, { status: 1, deliveryStatus: 1, secret: APOLOGY, paidAt: ago(59) });
    h.book.set(NO.SHORTAGE, 'epay', 10000, paid());
    await o(NO.LOST, { status: 0 });
    h.book.set(NO.LOST, 'epay', 10000, paid());
    await o(NO.ABANDONED, { status: 0 });
    h.book.set(NO.ABANDONED, 'epay', 10000, { state: 'unpaid' });
    const delivered = await o(NO.DELIVERED, { status: 1, deliveryStatus: 1, secret: 'SW-7-OLD', paidAt: ago(59) });
    await h.shop.pool.query(`update ${h.shop.t('card')} set order_id = ? where secret = 'SW-7-OLD'`, [delivered]);
    await o(NO.USDT, { status: 0, payId: PAY.usdt });
    await o(NO.MANUAL, { status: 1, commodityId: 8, paidAt: ago(29), createdAt: ago(30) });
    h.book.set(NO.MANUAL, 'epay', 10000, paid());
    await o(NO.MANUALDONE, { status: 1, commodityId: 8, deliveryStatus: 1, secret: '已充值', paidAt: ago(29), createdAt: ago(30) });
    await o(NO.NOSTOCK, { status: 1, commodityId: 9, deliveryStatus: 1, secret: APOLOGY, paidAt: ago(59) });
    h.book.set(NO.NOSTOCK, 'epay', 10000, paid());
    await o(NO.YOUNG, { status: 0, createdAt: ago(2) });
    h.book.set(NO.YOUNG, 'epay', 10000, paid());
    svc = await h.services({ SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'shop@example.com', PUBLIC_URL: 'https://shop.example.com' });
  });
  afterAll(async () => {
    await h?.close();
    await tdb?.drop();
  });

  it('the first run finds each stuck shape in the window, and nothing else', async () => {
    const { byOrder } = await sweep();
    expect(byOrder).toEqual({
      [NO.SHORTAGE]: 'PAID_NOT_DELIVERED/reissued',
      [NO.LOST]: 'PAID_NOT_DELIVERED/reissued',
      [NO.ABANDONED]: 'NOT_PAID/none',
      [NO.NOSTOCK]: 'OUT_OF_STOCK/escalated',
    });
    // the two oldest cards, one each (which gets which depends on the sweep's concurrency)
    const lost = await orderRow(h.shop, NO.LOST);
    const shortage = await orderRow(h.shop, NO.SHORTAGE);
    expect(lost).toMatchObject({ status: 1, delivery_status: 1 });
    expect(shortage).toMatchObject({ status: 1, delivery_status: 1 });
    expect([lost.secret, shortage.secret].sort()).toEqual(['SW-7-A', 'SW-7-B']);
    // each buyer told by email (they were not watching), with a link, not the key
    const mail = await svc.database.db.select({ orderNo: mailOutbox.orderNo }).from(mailOutbox);
    expect(mail.map((m) => m.orderNo).sort()).toEqual([NO.SHORTAGE, NO.LOST].sort());
    // the manual order is queued for when its window has passed; the young one not yet looked at
    const [manual] = await svc.database.db.select().from(sweepQueue).where(eq(sweepQueue.orderNo, NO.MANUAL));
    expect(manual).toMatchObject({ reason: 'manual_overdue', attempts: 0, doneAt: null });
    expect(await svc.database.db.select().from(sweepQueue).where(eq(sweepQueue.orderNo, NO.YOUNG))).toEqual([]);
    expect(await svc.database.db.select().from(sweepQueue).where(eq(sweepQueue.orderNo, NO.MANUALDONE))).toEqual([]);
  });

  it('keeps a cursor: the next run reads only orders it has not looked at', async () => {
    const [cursor] = await svc.database.db.select().from(settings);
    expect(cursor!.key).toMatch(/^shop-cursor:acg-faka:.*\/shop_$/);
    const [young] = await rows(h.shop, `select id from ${h.shop.t('order')} where trade_no = ?`, [NO.YOUNG]);
    expect((cursor!.value as { lastId: number }).lastId).toBe(Number(young!.id) - 1); // stopped at the first order too young to judge
    clock.advance(10 * 60_000);
    const { byOrder } = await sweep();
    // the unpaid one stays queued and is asked again on its backoff (a payment can still turn up); nothing else is read again
    expect(byOrder).toEqual({ [NO.YOUNG]: 'PAID_NOT_DELIVERED/reissued', [NO.ABANDONED]: 'NOT_PAID/none' });
  });

  it('manual products: looked at once the owner\'s window has passed, delayed with a ticket, never issued', async () => {
    clock.advance(2 * 60 * 60_000);
    const { byOrder } = await sweep();
    expect(byOrder[NO.MANUAL]).toBe('DELIVERY_DELAYED/escalated');
    expect(await orderRow(h.shop, NO.MANUAL)).toMatchObject({ status: 1, delivery_status: 0 });
  });

  it('a restock fills the out-of-stock shortage on the next run, and the buyer is told', async () => {
    expect((await sweep()).byOrder[NO.NOSTOCK]).toBeUndefined(); // still no stock: not even looked at
    await insertCards(h.shop, 9, ['SW-9-RESTOCK']);
    const { byOrder } = await sweep();
    expect(byOrder[NO.NOSTOCK]).toBe('PAID_NOT_DELIVERED/reissued');
    expect(await orderRow(h.shop, NO.NOSTOCK)).toMatchObject({ status: 1, secret: 'SW-9-RESTOCK' });
    expect(await svc.database.db.select().from(mailOutbox).where(eq(mailOutbox.orderNo, NO.NOSTOCK))).toHaveLength(1);
  });

  it('a dry run reads and moves nothing', async () => {
    await insertOrder(h.shop, { tradeNo: no(10), commodityId: 7, priceCents: 10000, payId: PAY.epayAlipay, status: 1, deliveryStatus: 1, secret: APOLOGY, createdAt: ago(20) });
    const [c0] = await svc.database.db.select().from(settings);
    const dry = await runSweep(svc, { sweeperId: 'dry', dryRun: true, log: () => {} });
    expect(dry.picked).toBeGreaterThanOrEqual(1);
    const [c1] = await svc.database.db.select().from(settings);
    expect(c1!.value).toEqual(c0!.value);
    expect(await svc.database.db.select().from(sweepQueue).where(eq(sweepQueue.orderNo, no(10)))).toEqual([]);
    expect(await orderRow(h.shop, no(10))).toMatchObject({ status: 1, secret: APOLOGY });
  });
});

/**
 * The sweep on a dujiaoka shop, on the real MariaDB: it finds every stuck shape inside the 25 h
 * window (and nothing else), walks the shop's orders from a cursor instead of re-reading them on
 * every run, delivers what the gateway proves was paid, waits for manual goods' windows, and fills
 * an out-of-stock order once the owner restocks, telling the buyer by email.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { runSweep } from '../../../src/jobs/sweep.ts';
import { mailOutbox, settings, sweepQueue } from '../../../src/db/schema.ts';
import type { Services } from '../../../src/services.ts';
import { outcomeReport } from '../../../src/reports/outcomes.ts';
import { testDatabase, type TestDatabase } from '../../support/db.ts';
import { movableClock } from '../../jobs/support.ts';
import { sweepOnce } from '../support/sweep.ts';
import { harness, insertCarmis, insertGoods, insertOrder, MARIADB, orderRow, PAY, type Harness } from './support.ts';

const START = new Date('2026-11-22T10:00:00+08:00');
const clock = movableClock(START);
const ago = (min: number) => new Date(clock.now().getTime() - min * 60_000);
const paidAnswer = (n: number, cents = 10000) => ({ state: 'paid' as const, amountCents: cents, paidAt: ago(40).toISOString(), tradeNo: `20261122220014${String(n).padStart(8, '0')}` });

describe.skipIf(!MARIADB)('dujiaoka: the sweep', () => {
  let tdb: TestDatabase;
  let h: Harness;
  let svc: Services;
  const sweep = () => sweepOnce(svc);

  beforeAll(async () => {
    tdb = await testDatabase();
    h = await harness(tdb.database, clock.now);
    await insertGoods(h.shop, { id: 7, name: 'Steam 100', priceCents: 10000 });
    await insertGoods(h.shop, { id: 8, name: '代充 100', priceCents: 10000, type: 2 });
    await insertGoods(h.shop, { id: 9, name: 'PSN 200', priceCents: 10000 });
    await insertCarmis(h.shop, 7, ['SW-7-A', 'SW-7-B', 'SW-7-C', 'SW-7-D', 'SW-7-E']);
    // 300 orders from two days ago: outside the window, never looked at (nor their statuses)
    for (let i = 0; i < 300; i++) {
      await insertOrder(h.shop, { orderSn: `OLD${String(i).padStart(13, '0')}`, goodsId: 7, priceCents: 10000, payId: PAY.alipay, status: i % 2 ? 6 : -1, createdAt: ago(2 * 24 * 60 - i) });
    }
    const o = (sn: string, spec: Partial<Parameters<typeof insertOrder>[1]>) =>
      insertOrder(h.shop, { orderSn: sn, goodsId: 7, priceCents: 10000, payId: PAY.alipay, status: 1, email: `${sn.toLowerCase()}@example.com`, createdAt: ago(60), ...spec });
    await o('ABNORMAL00000001', { status: 6, info: '库存不足', tradeNo: paidAnswer(1).tradeNo });
    h.book.set('ABNORMAL00000001', 'alipay', 10000, paidAnswer(1));
    await o('LOSTNOTIFY000001', { status: 1 });
    h.book.set('LOSTNOTIFY000001', 'alipay', 10000, paidAnswer(2));
    await o('PAIDLATE00000001', { status: -1, payId: PAY.wechat });
    h.book.set('PAIDLATE00000001', 'wechat', 10000, paidAnswer(3));
    await o('ABANDONED0000001', { status: -1 });
    h.book.set('ABANDONED0000001', 'alipay', 10000, { state: 'closed' });
    await o('COMPLETED0000001', { status: 4, info: 'OLD-KEY-1' });
    await o('STRIPECART000001', { status: 1, payId: PAY.stripe });
    await o('MANUAL0000000001', { status: 2, type: 2, goodsId: 8, tradeNo: paidAnswer(4).tradeNo, createdAt: ago(30) });
    h.book.set('MANUAL0000000001', 'alipay', 10000, paidAnswer(4));
    await o('NOSTOCK000000001', { status: 6, goodsId: 9, info: '库存不足', tradeNo: paidAnswer(5).tradeNo });
    h.book.set('NOSTOCK000000001', 'alipay', 10000, paidAnswer(5));
    await o('TOOYOUNG00000001', { status: 1, createdAt: ago(2) });
    h.book.set('TOOYOUNG00000001', 'alipay', 10000, paidAnswer(6));
    svc = await h.services({ SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'shop@example.com', PUBLIC_URL: 'https://shop.example.com' });
  });
  afterAll(async () => {
    await h?.close();
    await tdb?.drop();
  });

  it('the first run finds each stuck shape in the window, and nothing else', async () => {
    const { byOrder } = await sweep();
    expect(byOrder).toEqual({
      ABNORMAL00000001: 'PAID_NOT_DELIVERED/reissued',
      LOSTNOTIFY000001: 'PAID_NOT_DELIVERED/reissued',
      PAIDLATE00000001: 'PAID_NOT_DELIVERED/reissued',
      ABANDONED0000001: 'PAYMENT_CLOSED/none',
      NOSTOCK000000001: 'OUT_OF_STOCK/escalated',
    });
    expect(await orderRow(h.shop, 'PAIDLATE00000001')).toMatchObject({ status: 4, trade_no: paidAnswer(3).tradeNo });
    // each buyer told by email (they were not watching), with a link, not the key
    const mail = await svc.database.db.select({ orderNo: mailOutbox.orderNo, to: mailOutbox.toAddress }).from(mailOutbox);
    expect(mail.map((m) => m.orderNo).sort()).toEqual(['ABNORMAL00000001', 'LOSTNOTIFY000001', 'PAIDLATE00000001']);
    // the manual order is queued for when its window has passed; the young one not yet looked at
    const [manual] = await svc.database.db.select().from(sweepQueue).where(eq(sweepQueue.orderNo, 'MANUAL0000000001'));
    expect(manual).toMatchObject({ reason: 'manual_overdue', attempts: 0, doneAt: null });
    expect(await svc.database.db.select().from(sweepQueue).where(eq(sweepQueue.orderNo, 'TOOYOUNG00000001'))).toEqual([]);
  });

  it('keeps a cursor: the next run reads only orders it has not looked at', async () => {
    const [cursor] = await svc.database.db.select().from(settings);
    expect(cursor!.key).toMatch(/^shop-cursor:dujiaoka:/);
    const before = (cursor!.value as { lastId: number }).lastId;
    const [young] = await h.shop.pool.query("select id from orders where order_sn = 'TOOYOUNG00000001'") as unknown as [{ id: number }[]];
    expect(before).toBe(young[0]!.id - 1); // stopped at the first order too young to judge
    clock.advance(10 * 60_000);
    const { byOrder } = await sweep();
    expect(byOrder).toEqual({ TOOYOUNG00000001: 'PAID_NOT_DELIVERED/reissued' });
  });

  it('manual goods: looked at once the owner\'s window has passed, delayed with a ticket, never issued', async () => {
    clock.advance(2 * 60 * 60_000);
    const { byOrder } = await sweep();
    expect(byOrder.MANUAL0000000001).toBe('DELIVERY_DELAYED/escalated');
    expect(await orderRow(h.shop, 'MANUAL0000000001')).toMatchObject({ status: 2, info: null });
  });

  it('a restock fills the out-of-stock order on the next run, and the buyer is told', async () => {
    expect((await sweep()).byOrder.NOSTOCK000000001).toBeUndefined(); // still no stock: not even looked at
    await insertCarmis(h.shop, 9, ['SW-9-RESTOCK']);
    const { byOrder } = await sweep();
    expect(byOrder.NOSTOCK000000001).toBe('PAID_NOT_DELIVERED/reissued');
    expect(await orderRow(h.shop, 'NOSTOCK000000001')).toMatchObject({ status: 4, info: 'SW-9-RESTOCK' });
    expect(await svc.database.db.select().from(mailOutbox).where(eq(mailOutbox.orderNo, 'NOSTOCK000000001'))).toHaveLength(1);
  });

  it('the outcome report counts the keys delivered into the shop, from order-doctor\'s own records', async () => {
    const report = await outcomeReport(svc.database, { since: START, until: new Date(clock.now().getTime() + 1) });
    expect(report.keys).toMatchObject({ issued: 5, orders: 5, byActor: { sweep: 5 } });
    expect(report.keys.payToKeySeconds?.p50).toBeGreaterThan(0);
  });

  it('a dry run reads and moves nothing', async () => {
    await insertOrder(h.shop, { orderSn: 'DRYRUN0000000001', goodsId: 7, priceCents: 10000, payId: PAY.alipay, status: 6, createdAt: ago(20) });
    const [c0] = await svc.database.db.select().from(settings);
    const dry = await runSweep(svc, { sweeperId: 'dry', dryRun: true, log: () => {} });
    expect(dry.picked).toBeGreaterThanOrEqual(1);
    const [c1] = await svc.database.db.select().from(settings);
    expect(c1!.value).toEqual(c0!.value);
    expect(await svc.database.db.select().from(sweepQueue).where(eq(sweepQueue.orderNo, 'DRYRUN0000000001'))).toEqual([]);
    expect(await orderRow(h.shop, 'DRYRUN0000000001')).toMatchObject({ status: 6 });
  });
});

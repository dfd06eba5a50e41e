/**
 * The sweep on a dujiao-next shop, on the real Postgres: it finds every stuck shape inside the
 * 25 h window (and nothing else), walks the shop's top-level orders from a cursor, delivers what
 * the gateway proves was paid (a failed fulfilment, a lost callback, a payment dujiao-next refused
 * after its timeout cancel), waits for manual goods' windows, and fills an out-of-stock order once
 * the owner restocks, telling the buyer by email.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { runSweep } from '../../../src/jobs/sweep.ts';
import { mailOutbox, settings, sweepQueue } from '../../../src/db/schema.ts';
import type { Services } from '../../../src/services.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../../support/db.ts';
import { movableClock } from '../../jobs/support.ts';
import { sweepOnce } from '../support/sweep.ts';
import { harness, insertOrder, insertSecrets, PG, rows, type Harness, type OrderSpec } from './support.ts';

const START = new Date('2026-11-22T10:00:00+08:00');
const clock = movableClock(START);
const ago = (min: number) => new Date(clock.now().getTime() - min * 60_000);
const paidAnswer = (n: number, cents = 10000) => ({ state: 'paid' as const, amountCents: cents, paidAt: ago(40).toISOString(), tradeNo: `20261122220014${String(n).padStart(8, '0')}` });
const steam = { productId: 7, priceCents: 10000 };

describe.skipIf(!PG)('dujiao-next: the sweep', () => {
  let tdb: TestDatabase;
  let h: Harness;
  let svc: Services;
  const sweep = async () => (await sweepOnce(svc)).byOrder;
  const status = async (orderNo: string) => (await rows<{ status: string }>(h.shop, 'select status from orders where order_no = $1', [orderNo]))[0]?.status;

  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!);
    h = await harness(tdb.database, clock.now);
    await insertSecrets(h.shop, 7, ['SW-7-A', 'SW-7-B', 'SW-7-C', 'SW-7-D', 'SW-7-E']);
    // 200 orders from two days ago: outside the window, never looked at
    for (let i = 0; i < 200; i++) {
      await insertOrder(h.shop, { orderNo: `OLD${String(i).padStart(10, '0')}`, status: i % 2 ? 'paid' : 'canceled', parts: [steam], createdAt: ago(2 * 24 * 60 - i),
        payments: [{ channel: 'alipay', status: 'pending', gatewayOrderNo: `POLD${i}` }] });
    }
    const o = (orderNo: string, spec: Partial<OrderSpec>, answer?: number | 'closed') => {
      if (answer === 'closed') h.book.set(`P${orderNo}`, 'alipay', 10000, { state: 'closed' });
      else if (answer !== undefined) h.book.set(`P${orderNo}`, spec.payments?.[0]?.channel === 'wechat' ? 'wechat' : 'alipay', 10000, paidAnswer(answer));
      return insertOrder(h.shop, {
        orderNo, status: 'pending_payment', parts: [steam], guestEmail: `${orderNo.toLowerCase()}@example.com`, createdAt: ago(60),
        payments: [{ channel: 'alipay', status: 'pending', gatewayOrderNo: `P${orderNo}` }], ...spec,
      });
    };
    await o('FAILEDFULFIL1', { status: 'paid', paidAt: ago(59), payments: [{ channel: 'alipay', status: 'success', gatewayOrderNo: 'PFAILEDFULFIL1', providerRef: paidAnswer(1).tradeNo }] }, 1);
    await o('LOSTCALLBACK1', {}, 2);
    await o('PAIDAFTERCXL1', { status: 'canceled', payments: [{ channel: 'wechat', status: 'pending', gatewayOrderNo: 'PPAIDAFTERCXL1' }] }, 3);
    await o('ABANDONED0001', { status: 'canceled' }, 'closed');
    await o('COMPLETED0001', { status: 'completed', paidAt: ago(59) });
    await h.shop.sql`insert into fulfillments (order_id, type, status, payload, delivered_at, created_at, updated_at)
      select id, 'auto', 'delivered', 'OLD-KEY-1', now(), now(), now() from orders where order_no = 'COMPLETED0001'`;
    await o('STRIPECART001', { payments: [{ channel: 'stripe', status: 'pending', gatewayOrderNo: 'PSTRIPECART001' }] });
    await o('MANUAL0000001', { status: 'fulfilling', parts: [{ ...steam, productId: 8, type: 'manual' }], createdAt: ago(30), paidAt: ago(29),
      payments: [{ channel: 'alipay', status: 'success', gatewayOrderNo: 'PMANUAL0000001', providerRef: paidAnswer(4).tradeNo }] }, 4);
    await o('NOSTOCK000001', { status: 'paid', parts: [{ ...steam, productId: 9 }], paidAt: ago(59),
      payments: [{ channel: 'alipay', status: 'success', gatewayOrderNo: 'PNOSTOCK000001', providerRef: paidAnswer(5).tradeNo }] }, 5);
    await o('TOOYOUNG00001', { createdAt: ago(2) }, 6);
    svc = await h.services({ SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'shop@example.com', PUBLIC_URL: 'https://shop.example.com' });
  }, 60_000);
  afterAll(async () => {
    await svc?.close();
    await h?.close();
    await tdb?.drop();
  });

  it('the first run finds each stuck shape in the window, and nothing else', async () => {
    expect(await sweep()).toEqual({
      FAILEDFULFIL1: 'PAID_NOT_DELIVERED/reissued',
      LOSTCALLBACK1: 'PAID_NOT_DELIVERED/reissued',
      PAIDAFTERCXL1: 'PAID_NOT_DELIVERED/reissued',
      ABANDONED0001: 'PAYMENT_CLOSED/none',
      NOSTOCK000001: 'OUT_OF_STOCK/escalated',
    });
    expect(await status('PAIDAFTERCXL1')).toBe('completed');
    expect(await status('ABANDONED0001')).toBe('canceled');
    const mail = await svc.database.db.select({ orderNo: mailOutbox.orderNo, to: mailOutbox.toAddress }).from(mailOutbox);
    expect(mail.map((m) => m.orderNo).sort()).toEqual(['FAILEDFULFIL1', 'LOSTCALLBACK1', 'PAIDAFTERCXL1']);
    expect(mail.find((m) => m.orderNo === 'LOSTCALLBACK1')?.to).toBe('lostcallback1@example.com');
    const [manual] = await svc.database.db.select().from(sweepQueue).where(eq(sweepQueue.orderNo, 'MANUAL0000001'));
    expect(manual).toMatchObject({ reason: 'manual_overdue', attempts: 0, doneAt: null });
    expect(await svc.database.db.select().from(sweepQueue).where(eq(sweepQueue.orderNo, 'TOOYOUNG00001'))).toEqual([]);
  });

  it('keeps a cursor: the next run reads only orders it has not looked at', async () => {
    const [cursor] = await svc.database.db.select().from(settings).where(eq(settings.key, `shop-cursor:dujiao-next:${new URL(h.shop.url).hostname}:5432${new URL(h.shop.url).pathname}`));
    const [young] = await rows<{ id: string }>(h.shop, "select id from orders where order_no = 'TOOYOUNG00001'");
    expect((cursor!.value as { lastId: number }).lastId).toBe(Number(young!.id) - 1);
    clock.advance(10 * 60_000);
    expect(await sweep()).toEqual({ TOOYOUNG00001: 'PAID_NOT_DELIVERED/reissued' });
  });

  it('manual goods: looked at once the owner\'s window has passed, delayed with a ticket, never issued', async () => {
    clock.advance(2 * 60 * 60_000);
    expect((await sweep()).MANUAL0000001).toBe('DELIVERY_DELAYED/escalated');
    expect(await status('MANUAL0000001')).toBe('fulfilling');
  });

  it('a restock fills the out-of-stock order on the next run, and the buyer is told', async () => {
    expect((await sweep()).NOSTOCK000001).toBeUndefined(); // still no stock: not even looked at
    await insertSecrets(h.shop, 9, ['SW-9-RESTOCK']);
    expect((await sweep()).NOSTOCK000001).toBe('PAID_NOT_DELIVERED/reissued');
    expect(await rows(h.shop, "select f.payload from fulfillments f join orders o on o.id = f.order_id where o.order_no = 'NOSTOCK000001'")).toEqual([{ payload: 'SW-9-RESTOCK' }]);
    expect(await svc.database.db.select().from(mailOutbox).where(eq(mailOutbox.orderNo, 'NOSTOCK000001'))).toHaveLength(1);
  });

  it('a dry run reads and moves nothing', async () => {
    await insertOrder(h.shop, { orderNo: 'DRYRUN0000001', status: 'paid', parts: [steam], createdAt: ago(20), paidAt: ago(19),
      payments: [{ channel: 'alipay', status: 'success', gatewayOrderNo: 'PDRYRUN0000001', providerRef: 'x' }] });
    const c0 = await svc.database.db.select().from(settings);
    const dry = await runSweep(svc, { sweeperId: 'dry', dryRun: true, log: () => {} });
    expect(dry.picked).toBeGreaterThanOrEqual(1);
    expect(await svc.database.db.select().from(settings)).toEqual(c0);
    expect(await svc.database.db.select().from(sweepQueue).where(eq(sweepQueue.orderNo, 'DRYRUN0000001'))).toEqual([]);
    expect(await status('DRYRUN0000001')).toBe('paid');
  });
});

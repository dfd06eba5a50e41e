/**
 * What stuck looks like in dujiaoka, one shape per case, on the real MariaDB: the verdict, what
 * order-doctor did, and the shop's rows afterwards, which must be exactly what dujiaoka's own
 * completion would have left (status 4, keys one per line in info, those carmis sold unless looped,
 * trade_no set, the sale counted once), and nothing at all where no key may be issued.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { customerCheck } from '../../../src/engine/customer-check.ts';
import { diagnose } from '../../../src/engine/diagnose.ts';
import { auditLog, mailOutbox, shopDeliveries, tickets } from '../../../src/db/schema.ts';
import type { GatewayAnswer } from '../../../src/sandbox/types.ts';
import type { Channel } from '../../../src/domain/verdicts.ts';
import type { Env } from '../../../src/config.ts';
import {
  emptyShop, insertCarmis, insertGoods, insertOrder, local, MARIADB, orderRow, PAY, rows, suiteHarness, type Harness, type OrderSpec,
} from './support.ts';
import { NO_LOG_CONTEXT } from '../../../src/observability/context.ts';

const NOW = new Date('2026-11-22T10:00:00+08:00');
const ago = (min: number) => new Date(NOW.getTime() - min * 60_000);
const paid = (trade: string, cents = 10000): GatewayAnswer => ({ state: 'paid', amountCents: cents, paidAt: ago(29).toISOString(), tradeNo: trade });

interface Shape {
  name: string;
  order: Omit<OrderSpec, 'orderSn' | 'goodsId' | 'priceCents' | 'createdAt'> & { createdAt?: Date; priceCents?: number };
  channel: Channel;
  answer?: GatewayAnswer;
  stock?: string[];
  loopStock?: string[];
  env?: Env;
  expect: { verdict: string; action: string };
  /** the order row afterwards (subset) */
  row?: Record<string, unknown>;
  /** goods.sales_volume afterwards (it starts at 10) */
  sales?: number;
  /** carmis statuses afterwards, by key */
  carmis?: Record<string, number>;
}

const SHAPES: Shape[] = [
  {
    name: 'abnormal (6): paid, too few keys at the time; restocked since -> delivered, the sale not counted again',
    order: { status: 6, payId: PAY.alipay, info: '库存不足', tradeNo: '2026112222001400000006' },
    channel: 'alipay', answer: paid('2026112222001400000006'), stock: ['K-6-A', 'K-6-B'],
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    row: { status: 4, info: 'K-6-A', trade_no: '2026112222001400000006', updated_at: local(NOW) },
    sales: 10, carmis: { 'K-6-A': 2, 'K-6-B': 1 },
  },
  {
    name: 'waiting (1), the notify was lost: delivered, trade_no recorded, the sale counted',
    order: { status: 1, payId: PAY.alipay },
    channel: 'alipay', answer: paid('2026112222001400000001'), stock: ['K-1-A'],
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    row: { status: 4, info: 'K-1-A', trade_no: '2026112222001400000001' },
    sales: 11, carmis: { 'K-1-A': 2 },
  },
  {
    name: 'expired (-1), paid after expiry over WeChat Pay v2 (the shop\'s own credentials): delivered, counted',
    order: { status: -1, payId: PAY.wechat, buyAmount: 2 },
    channel: 'wechat', answer: paid('4200002345202611228253501450', 20000), stock: ['K-X-A', 'K-X-B', 'K-X-C'],
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    row: { status: 4, info: 'K-X-A\nK-X-B', trade_no: '4200002345202611228253501450' },
    sales: 12, carmis: { 'K-X-A': 2, 'K-X-B': 2, 'K-X-C': 1 },
  },
  {
    name: 'completed (4) with fewer keys in info than bought: the missing one added, nothing counted again',
    order: { status: 4, payId: PAY.alipay, buyAmount: 2, info: 'K-OLD-1', tradeNo: '2026112222001400000004' },
    channel: 'alipay', answer: paid('2026112222001400000004', 20000), stock: ['K-4-A'],
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    row: { status: 4, info: 'K-OLD-1\nK-4-A' },
    sales: 10, carmis: { 'K-4-A': 2 },
  },
  {
    name: 'a loop key (is_loop 1) is delivered and stays unsold, as dujiaoka leaves it',
    order: { status: 6, payId: PAY.alipay, tradeNo: '2026112222001400000007' },
    channel: 'alipay', answer: paid('2026112222001400000007'), loopStock: ['K-LOOP'],
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    row: { status: 4, info: 'K-LOOP' }, sales: 10, carmis: { 'K-LOOP': 1 },
  },
  {
    name: 'EPay V1 (yipay) paid, and the operator trusts its unsigned answers: delivered',
    order: { status: 1, payId: PAY.epay },
    channel: 'epay', answer: paid('2026112212345678'), stock: ['K-E-A'], env: { EPAY_V1_TRUST: 'accept' },
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    row: { status: 4, info: 'K-E-A', trade_no: '2026112212345678' }, sales: 11,
  },
  {
    name: 'EPay V1 (yipay) paid under EPAY_V1_TRUST=reject (the default): an unsigned claim never issues a key',
    order: { status: 1, payId: PAY.epay },
    channel: 'epay', answer: paid('2026112212345679'), stock: ['K-E-B'],
    expect: { verdict: 'UPSTREAM_UNAVAILABLE', action: 'deferred' },
    row: { status: 1, info: null, trade_no: '' }, sales: 10, carmis: { 'K-E-B': 1 },
  },
  {
    name: 'waiting (1) and not paid at the gateway: nothing to do, nothing written',
    order: { status: 1, payId: PAY.alipay },
    channel: 'alipay', answer: { state: 'unpaid' }, stock: ['K-N-A'],
    expect: { verdict: 'NOT_PAID', action: 'none' },
    row: { status: 1, info: null }, sales: 10, carmis: { 'K-N-A': 1 },
  },
  {
    name: 'paid one cent short (dujiaoka rolled its completion back): a ticket, never a key',
    order: { status: 1, payId: PAY.alipay },
    channel: 'alipay', answer: paid('2026112222001400000009', 9999), stock: ['K-M-A'],
    expect: { verdict: 'AMOUNT_MISMATCH', action: 'escalated' },
    row: { status: 1, info: null }, sales: 10, carmis: { 'K-M-A': 1 },
  },
  {
    name: 'abnormal (6) and still no stock: OUT_OF_STOCK, a ticket, queued for the restock',
    order: { status: 6, payId: PAY.alipay, info: '库存不足', tradeNo: '2026112222001400000008' },
    channel: 'alipay', answer: paid('2026112222001400000008'), stock: [],
    expect: { verdict: 'OUT_OF_STOCK', action: 'escalated' },
    row: { status: 6, info: '库存不足' }, sales: 10,
  },
  {
    name: 'manual goods (type 2) pending inside the owner\'s window: in progress, never issued',
    order: { status: 2, type: 2, payId: PAY.alipay, tradeNo: '2026112222001400000012', createdAt: ago(30) },
    channel: 'alipay', answer: paid('2026112222001400000012'), stock: ['K-MAN-A'],
    expect: { verdict: 'DELIVERY_IN_PROGRESS', action: 'none' },
    row: { status: 2 }, carmis: { 'K-MAN-A': 1 },
  },
  {
    name: 'manual goods pending past the owner\'s window: delayed, a ticket, never issued',
    order: { status: 2, type: 2, payId: PAY.alipay, tradeNo: '2026112222001400000013', createdAt: ago(300) },
    channel: 'alipay', answer: { ...paid('2026112222001400000013'), paidAt: ago(299).toISOString() }, stock: ['K-MAN-B'],
    expect: { verdict: 'DELIVERY_DELAYED', action: 'escalated' },
    row: { status: 2 }, carmis: { 'K-MAN-B': 1 },
  },
];

describe.skipIf(!MARIADB)('dujiaoka: every stuck shape, on the real MariaDB', () => {
  const suite = suiteHarness(() => NOW);
  let h: Harness;

  beforeEach(async () => {
    h = suite.h;
    await emptyShop(h);
  });

  it.each(SHAPES)('$name', async (shape) => {
    const type = shape.order.type ?? 1;
    await insertGoods(h.shop, { id: 7, name: 'Steam 钱包充值卡 100元', priceCents: 10000, type, salesVolume: 10 });
    await insertCarmis(h.shop, 7, shape.stock ?? []);
    await insertCarmis(h.shop, 7, shape.loopStock ?? [], { loop: true });
    await insertOrder(h.shop, { orderSn: 'SHAPE00000000001', goodsId: 7, priceCents: 10000, searchPwd: '8462', createdAt: ago(30), ...shape.order });
    const n = shape.order.buyAmount ?? 1;
    if (shape.answer) h.book.set('SHAPE00000000001', shape.channel, 10000 * n, shape.answer);
    const svc = await h.services(shape.env);

    const out = await customerCheck(svc, { orderNo: 'SHAPE00000000001', secret: '8462', logContext: NO_LOG_CONTEXT });
    expect(out.ok && { verdict: out.result.verdict, action: out.result.action }).toEqual(shape.expect);
    if (shape.row) expect(await orderRow(h.shop, 'SHAPE00000000001')).toMatchObject(shape.row);
    if (shape.sales !== undefined) expect((await rows(h.shop, 'select sales_volume from goods where id = 7'))[0]).toEqual({ sales_volume: shape.sales });
    if (shape.carmis) {
      const got = Object.fromEntries((await rows(h.shop, 'select carmi, status from carmis')).map((r) => [r.carmi, r.status]));
      expect(got).toMatchObject(shape.carmis);
    }
    const issued = await svc.database.db.select().from(auditLog).where(eq(auditLog.action, 'keys_issued'));
    expect(issued).toHaveLength(shape.expect.action === 'reissued' ? 1 : 0);
    if (shape.expect.action === 'reissued') {
      // the record on our side: the journal entry settled in the diagnosis' transaction, no key in clear
      expect(await svc.database.db.select({ state: shopDeliveries.state }).from(shopDeliveries)).toEqual([{ state: 'committed' }]);
      expect(JSON.stringify(issued[0]!.detail)).not.toMatch(/K-[A-Z0-9]+-[A-Z]|K-LOOP/);
      // the buyer checked it themselves: no email
      expect(await svc.database.db.select().from(mailOutbox)).toEqual([]);
      // a second check: DELIVERED from the shop's rows, nothing written again
      const again = await customerCheck(svc, { orderNo: 'SHAPE00000000001', secret: '8462', logContext: NO_LOG_CONTEXT });
      expect(again.ok && again.result.verdict).toBe('DELIVERED');
    }
    if (shape.expect.action === 'escalated') {
      expect(await svc.database.db.select().from(tickets).where(eq(tickets.orderNo, 'SHAPE00000000001'))).toHaveLength(1);
    }
  });

  it('an agent applying a reissue, with buyer emails on: the buyer gets an outbox row, never the key', async () => {
    await insertGoods(h.shop, { id: 7, name: 'Steam 钱包充值卡 100元', priceCents: 10000 });
    await insertCarmis(h.shop, 7, ['K-AG-A']);
    await insertOrder(h.shop, { orderSn: 'AGENT00000000001', goodsId: 7, priceCents: 10000, payId: PAY.alipay, status: 6, email: 'buyer@example.com', createdAt: ago(30) });
    h.book.set('AGENT00000000001', 'alipay', 10000, paid('2026112222001400000031'));
    const svc = await h.services({ SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'shop@example.com', PUBLIC_URL: 'https://shop.example.com/check' });
    const suggested = await diagnose(svc, { orderNo: 'AGENT00000000001', actor: { kind: 'agent', id: 'a1' }, apply: false, logContext: NO_LOG_CONTEXT });
    expect({ verdict: suggested.verdict, action: suggested.action, suggested: suggested.suggested }).toEqual({ verdict: 'PAID_NOT_DELIVERED', action: 'none', suggested: 'reissued' });
    expect(await orderRow(h.shop, 'AGENT00000000001')).toMatchObject({ status: 6 });
    const applied = await diagnose(svc, { orderNo: 'AGENT00000000001', actor: { kind: 'agent', id: 'a1' }, apply: true, logContext: NO_LOG_CONTEXT });
    expect(applied.action).toBe('reissued');
    const mail = await svc.database.db.select().from(mailOutbox);
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({ orderNo: 'AGENT00000000001', toAddress: 'buyer@example.com', status: 'pending', keysEnc: null });
    expect(JSON.stringify(mail[0]!.payload)).toContain('https://shop.example.com/check/?orderNo=AGENT00000000001');
    expect(JSON.stringify(mail[0]!.payload)).not.toContain('K-AG-A');
    const [audit] = await svc.database.db.select().from(auditLog).where(and(eq(auditLog.action, 'keys_issued'), eq(auditLog.orderNo, 'AGENT00000000001')));
    expect(audit).toMatchObject({ actorKind: 'agent', actorId: 'a1' });
  });
});

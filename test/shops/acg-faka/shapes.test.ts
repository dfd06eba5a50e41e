/**
 * What stuck looks like in acg-faka, one shape per case, on the real MariaDB, end to end through
 * the buyer's check: the verdict, what order-doctor did, and the shop's rows afterwards, which must
 * be exactly what acg-faka's own payment path would have left (the order paid with its pay_time,
 * keys in `secret` one per line, delivery_status 1; those cards sold to it with the order's
 * pay_time; locked cards, other races and other SKUs untouched), and nothing at all where no key may
 * be issued.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { customerCheck, revealKeys, verifyBuyer } from '../../../src/engine/customer-check.ts';
import { auditLog, mailOutbox, shopDeliveries, tickets } from '../../../src/db/schema.ts';
import type { GatewayAnswer } from '../../../src/sandbox/types.ts';
import type { Env } from '../../../src/config.ts';
import {
  cards, emptyShop, insertCards, insertCommodity, insertOrder, local, MARIADB, orderRow, PAY, suiteHarness, type CommoditySpec, type Harness, type OrderSpec,
} from './support.ts';
import { NO_LOG_CONTEXT } from '../../../src/observability/context.ts';

const NOW = new Date('2026-11-22T10:00:00+08:00');
const ago = (min: number) => new Date(NOW.getTime() - min * 60_000);
const TRADE = '512261122093000123';
const APOLOGY = '很抱歉，有人在你付款之前抢走了商品，请联系客服。';
const paid = (cents = 10000): GatewayAnswer => ({ state: 'paid', amountCents: cents, paidAt: ago(29).toISOString(), tradeNo: '2026112209300012345' });

interface CardSpec { keys: string[]; status?: 0 | 1 | 2; race?: string; sku?: Record<string, string> }

interface Shape {
  name: string;
  order: Partial<OrderSpec> & Pick<OrderSpec, 'status' | 'payId'>;
  commodity?: Partial<CommoditySpec>;
  answer?: GatewayAnswer;
  cards?: CardSpec[];
  /** the order's card_id is the id of the n-th card inserted (1-based) */
  pickCard?: number;
  env?: Env;
  secret?: string;
  expect: { verdict: string; action: string };
  /** the order row afterwards (subset) */
  row?: Record<string, unknown>;
  /** cards afterwards, by key: status, and whether sold to this order */
  cards_?: Record<string, { status: number; mine: boolean }>;
}

const sold = { status: 1, mine: true };
const unsold = { status: 0, mine: false };

const SHAPES: Shape[] = [
  {
    name: 'unpaid (0), the EPay notification was lost, the gateway says paid: delivered as acg-faka would, paid at the gateway\'s time',
    order: { status: 0, payId: PAY.epayAlipay },
    answer: paid(), cards: [{ keys: ['AF-1-A', 'AF-1-B'] }],
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    row: { status: 1, delivery_status: 1, secret: 'AF-1-A', pay_time: local(ago(29)) },
    cards_: { 'AF-1-A': sold, 'AF-1-B': unsold },
  },
  {
    name: 'the shortage: paid, "delivered" with the apology text and no card; restocked since -> the cards, the apology replaced, pay_time kept',
    order: { status: 1, payId: PAY.epayAlipay, deliveryStatus: 1, secret: APOLOGY, cardNum: 2, paidAt: ago(28) },
    answer: paid(20000), cards: [{ keys: ['AF-2-A', 'AF-2-B', 'AF-2-C'] }],
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    row: { status: 1, delivery_status: 1, secret: 'AF-2-A\nAF-2-B', pay_time: local(ago(28)) },
    cards_: { 'AF-2-A': sold, 'AF-2-B': sold, 'AF-2-C': unsold },
  },
  {
    name: 'newest-first product (delivery_auto_mode 2): the newest card goes, as acg-faka would pick it',
    order: { status: 0, payId: PAY.epayWxpay },
    commodity: { autoMode: 2 }, answer: paid(), cards: [{ keys: ['AF-3-OLD', 'AF-3-NEW'] }],
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    row: { status: 1, secret: 'AF-3-NEW' }, cards_: { 'AF-3-OLD': unsold, 'AF-3-NEW': sold },
  },
  {
    name: 'an order of one race (种类) and SKU gets only cards of that race and SKU; locked cards (2) are never sold',
    order: { status: 0, payId: PAY.epayAlipay, race: '美区', sku: { 面值: '100' } },
    answer: paid(),
    cards: [
      { keys: ['AF-4-LOCKED'], status: 2, race: '美区', sku: { 面值: '100' } },
      { keys: ['AF-4-NORACE'] },
      { keys: ['AF-4-OTHERRACE'], race: '港区', sku: { 面值: '100' } },
      { keys: ['AF-4-OTHERSKU'], race: '美区', sku: { 面值: '50' } },
      { keys: ['AF-4-RIGHT'], race: '美区', sku: { 面值: '100' } },
    ],
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    row: { secret: 'AF-4-RIGHT' },
    cards_: { 'AF-4-LOCKED': { status: 2, mine: false }, 'AF-4-NORACE': unsold, 'AF-4-OTHERRACE': unsold, 'AF-4-OTHERSKU': unsold, 'AF-4-RIGHT': sold },
  },
  {
    name: 'an order without a race gets no card of a race (acg-faka\'s guard against selling the dearer race)',
    order: { status: 1, payId: PAY.epayAlipay, deliveryStatus: 1, secret: APOLOGY, paidAt: ago(28) },
    answer: paid(), cards: [{ keys: ['AF-5-RACE'], race: '美区' }],
    expect: { verdict: 'OUT_OF_STOCK', action: 'escalated' },
    row: { status: 1, secret: APOLOGY }, cards_: { 'AF-5-RACE': unsold },
  },
  {
    name: 'the buyer picked a card (card_id): that card, not the oldest',
    order: { status: 0, payId: PAY.epayAlipay },
    answer: paid(), cards: [{ keys: ['AF-6-OLDEST', 'AF-6-PICKED'] }], pickCard: 2,
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    row: { secret: 'AF-6-PICKED' }, cards_: { 'AF-6-OLDEST': unsold, 'AF-6-PICKED': sold },
  },
  {
    name: 'the shortage with only locked cards left: OUT_OF_STOCK, a ticket, nothing written',
    order: { status: 1, payId: PAY.epayAlipay, deliveryStatus: 1, secret: APOLOGY, paidAt: ago(28) },
    answer: paid(), cards: [{ keys: ['AF-7-LOCKED'], status: 2 }],
    expect: { verdict: 'OUT_OF_STOCK', action: 'escalated' },
    row: { status: 1, delivery_status: 1, secret: APOLOGY }, cards_: { 'AF-7-LOCKED': { status: 2, mine: false } },
  },
  {
    name: 'unpaid and not paid at the gateway: nothing to do, nothing written',
    order: { status: 0, payId: PAY.epayAlipay },
    answer: { state: 'unpaid' }, cards: [{ keys: ['AF-8-A'] }],
    expect: { verdict: 'NOT_PAID', action: 'none' },
    row: { status: 0, delivery_status: 0, secret: null, pay_time: null }, cards_: { 'AF-8-A': unsold },
  },
  {
    name: 'paid one cent short (acg-faka\'s amount check rejected the notification): a ticket, never a key',
    order: { status: 0, payId: PAY.epayAlipay },
    answer: paid(9999), cards: [{ keys: ['AF-9-A'] }],
    expect: { verdict: 'AMOUNT_MISMATCH', action: 'escalated' },
    row: { status: 0, secret: null }, cards_: { 'AF-9-A': unsold },
  },
  {
    name: 'unpaid through a plugin order-doctor cannot ask (Epusdt): PAYMENT_UNVERIFIABLE, a ticket, never a key',
    order: { status: 0, payId: PAY.usdt },
    cards: [{ keys: ['AF-10-A'] }],
    expect: { verdict: 'PAYMENT_UNVERIFIABLE', action: 'escalated' },
    row: { status: 0, secret: null }, cards_: { 'AF-10-A': unsold },
  },
  {
    name: 'manual product (delivery_way 1) paid, inside the owner\'s window: in progress, never issued',
    order: { status: 1, payId: PAY.epayAlipay, secret: '正在发货中，请耐心等待，如有疑问，请联系客服。', paidAt: ago(29), createdAt: ago(30) },
    commodity: { deliveryWay: 1 }, answer: paid(), cards: [{ keys: ['AF-11-A'] }],
    expect: { verdict: 'DELIVERY_IN_PROGRESS', action: 'none' },
    row: { status: 1, delivery_status: 0 }, cards_: { 'AF-11-A': unsold },
  },
  {
    name: 'manual product paid, past the owner\'s window: delayed, a ticket, never issued',
    order: { status: 1, payId: PAY.epayAlipay, paidAt: ago(299), createdAt: ago(300) },
    commodity: { deliveryWay: 1 }, answer: { ...paid(), paidAt: ago(299).toISOString() }, cards: [{ keys: ['AF-12-A'] }],
    expect: { verdict: 'DELIVERY_DELAYED', action: 'escalated' },
    row: { status: 1, delivery_status: 0 }, cards_: { 'AF-12-A': unsold },
  },
  {
    name: 'manual product still unpaid in the shop, paid at the gateway past the owner\'s window: delayed, a ticket (the owner never saw it paid), never issued',
    order: { status: 0, payId: PAY.epayAlipay, createdAt: ago(300) },
    commodity: { deliveryWay: 1 }, answer: { ...paid(), paidAt: ago(299).toISOString() }, cards: [{ keys: ['AF-16-A'] }],
    expect: { verdict: 'DELIVERY_DELAYED', action: 'escalated' },
    row: { status: 0, delivery_status: 0, secret: null }, cards_: { 'AF-16-A': unsold },
  },
  {
    name: 'manual product the owner delivered: DELIVERED, nothing asked of the gateway',
    order: { status: 1, payId: PAY.epayAlipay, deliveryStatus: 1, secret: '账号 a@b.c 密码 x', paidAt: ago(29) },
    commodity: { deliveryWay: 1 },
    expect: { verdict: 'DELIVERED', action: 'none' },
    row: { status: 1, delivery_status: 1, secret: '账号 a@b.c 密码 x' },
  },
  {
    name: 'SHOP_GATEWAYS=shop: acg-faka keeps no credentials to read, so EPay is still verified through order-doctor\'s EPAY_* settings',
    order: { status: 0, payId: PAY.epayAlipay },
    answer: paid(), cards: [{ keys: ['AF-15-A'] }], env: { SHOP_GATEWAYS: 'shop' },
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    row: { secret: 'AF-15-A' }, cards_: { 'AF-15-A': sold },
  },
  {
    name: 'no 查询密码 on the product: the contact the buyer gave opens the order, whatever its case',
    order: { status: 0, payId: PAY.epayAlipay, password: null, contact: 'Buyer@Example.com' },
    answer: paid(), cards: [{ keys: ['AF-14-A'] }], secret: ' buyer@example.COM ',
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    row: { secret: 'AF-14-A' }, cards_: { 'AF-14-A': sold },
  },
];

describe.skipIf(!MARIADB)('acg-faka: every stuck shape, on the real MariaDB', () => {
  const suite = suiteHarness(() => NOW);
  let h: Harness;

  beforeEach(async () => {
    h = suite.h;
    await emptyShop(h);
  });

  it.each(SHAPES)('$name', async (shape) => {
    await insertCommodity(h.shop, { id: 7, name: 'Steam 钱包充值卡 100元', priceCents: 10000, ...shape.commodity });
    for (const c of shape.cards ?? []) await insertCards(h.shop, 7, c.keys, c);
    const n = shape.order.cardNum ?? 1;
    const orderId = await insertOrder(h.shop, {
      tradeNo: TRADE, commodityId: 7, priceCents: 10000, password: 'pw-8462', createdAt: ago(30),
      cardId: shape.pickCard, ...shape.order,
    });
    if (shape.answer) h.book.set(TRADE, 'epay', 10000 * n, shape.answer);
    const svc = await h.services(shape.env);

    const out = await customerCheck(svc, { orderNo: TRADE, secret: shape.secret ?? 'pw-8462', logContext: NO_LOG_CONTEXT });
    expect(out.ok ? { verdict: out.result.verdict, action: out.result.action } : out.error).toEqual(shape.expect);
    const row = await orderRow(h.shop, TRADE);
    if (shape.row) expect(row).toMatchObject(shape.row);
    if (shape.cards_) {
      const got = await cards(h.shop);
      expect(Object.fromEntries(Object.entries(got).map(([k, v]) => [k, { status: v.status, mine: v.order_id === orderId }]))).toEqual(shape.cards_);
      // a card sold to the order carries the order's pay_time as its purchase time, as acg-faka writes it
      for (const v of Object.values(got).filter((x) => x.order_id === orderId)) expect(v.purchase_time).toBe(row.pay_time);
    }
    const issued = await svc.database.db.select().from(auditLog).where(eq(auditLog.action, 'keys_issued'));
    expect(issued).toHaveLength(shape.expect.action === 'reissued' ? 1 : 0);
    if (shape.expect.action === 'reissued') {
      // our side: the journal entry settled with the diagnosis, no key in clear anywhere in the audit
      expect(await svc.database.db.select({ state: shopDeliveries.state }).from(shopDeliveries)).toEqual([{ state: 'committed' }]);
      expect(JSON.stringify(issued[0]!.detail)).not.toMatch(/AF-\d+-/);
      expect(await svc.database.db.select().from(mailOutbox)).toEqual([]);
      // the buyer sees the keys, and a second check reads DELIVERED from the shop's rows, writing nothing
      const lookup = await verifyBuyer(svc, TRADE, shape.secret ?? 'pw-8462', NO_LOG_CONTEXT);
      expect((await revealKeys(svc, { lookup: lookup!, via: 'api' })).map((k) => k.secret)).toEqual(String(row.secret).split('\n'));
      const again = await customerCheck(svc, { orderNo: TRADE, secret: shape.secret ?? 'pw-8462', logContext: NO_LOG_CONTEXT });
      expect(again.ok && again.result.verdict).toBe('DELIVERED');
      expect(await orderRow(h.shop, TRADE)).toEqual(row);
    }
    if (shape.expect.action === 'escalated') {
      expect(await svc.database.db.select().from(tickets).where(eq(tickets.orderNo, TRADE))).toHaveLength(1);
    }
  });

  it('a wrong secret and an unknown order get the same answer, and nothing is written', async () => {
    await insertCommodity(h.shop, { id: 7, name: 'Steam', priceCents: 10000 });
    await insertCards(h.shop, 7, ['AF-W-A']);
    await insertOrder(h.shop, { tradeNo: TRADE, commodityId: 7, priceCents: 10000, payId: PAY.epayAlipay, status: 0, password: 'pw-8462', createdAt: ago(30) });
    h.book.set(TRADE, 'epay', 10000, paid());
    const svc = await h.services();
    const wrong = await customerCheck(svc, { orderNo: TRADE, secret: 'buyer@example.com', logContext: NO_LOG_CONTEXT });
    const unknown = await customerCheck(svc, { orderNo: '999261122093000999', secret: 'pw-8462', logContext: NO_LOG_CONTEXT });
    expect(wrong).toEqual(unknown);
    expect(wrong.ok).toBe(false);
    expect(await orderRow(h.shop, TRADE)).toMatchObject({ status: 0, secret: null });
    expect((await cards(h.shop))['AF-W-A']).toMatchObject({ status: 0, order_id: null });
  });
});

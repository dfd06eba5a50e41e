/**
 * What stuck looks like in dujiao-next, one shape per case, on the real Postgres, end to end
 * through createServices and the customer check: the verdict, what order-doctor did, and the
 * shop's rows afterwards, which must be exactly what dujiao-next's own automatic fulfilment would
 * have left (keys used and tied to their order, one fulfillment per order with the keys one per
 * line, the order completed, a split order's parent summed up from its children, a payment the
 * shop never recorded recorded as its callback would have), and nothing at all where no key may
 * be issued.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { customerCheck } from '../../../src/engine/customer-check.ts';
import { auditLog, shopDeliveries, tickets } from '../../../src/db/schema.ts';
import type { GatewayAnswer } from '../../../src/sandbox/types.ts';
import type { Channel } from '../../../src/domain/verdicts.ts';
import { emptyShop, insertOrder, insertSecrets, PG, rows, suiteHarness, type Harness, type OrderSpec } from './support.ts';
import { NO_LOG_CONTEXT } from '../../../src/observability/context.ts';

const NOW = new Date('2026-11-22T10:00:00+08:00');
const ago = (min: number) => new Date(NOW.getTime() - min * 60_000);
const paid = (trade: string, cents = 10000): GatewayAnswer => ({ state: 'paid', amountCents: cents, paidAt: ago(29).toISOString(), tradeNo: trade });
const ORDER = 'DN202611220001';
const GW = 'DNP202611220001A';

interface Shape {
  name: string;
  order: Omit<OrderSpec, 'orderNo' | 'createdAt'>;
  /** the gateway's answer for the attempt GW */
  answer?: { channel: Channel; cents?: number; answer: GatewayAnswer };
  stock?: string[];
  reserved?: string[];
  /** a fulfillment dujiao-next itself made for one child (1-based) before the test */
  delivered?: { child: number; payload: string };
  secret?: string;
  expect: { verdict: string; action: string };
  /** order_no -> status afterwards */
  statuses?: Record<string, string>;
  /** order_no -> fulfillment payload afterwards */
  payloads?: Record<string, string>;
  /** key -> [status, order_no | null] afterwards */
  keys?: Record<string, [string, string | null]>;
  /** the attempt afterwards */
  payment?: { status: string; provider_ref: string };
}

const steam = { productId: 7, priceCents: 10000, title: 'Steam 钱包充值卡 100元' };

const SHAPES: Shape[] = [
  {
    name: 'paid, fulfilment failed for want of keys (no fulfillment); restocked since -> delivered as CreateAuto would',
    order: { status: 'paid', parts: [steam], paidAt: ago(29), payments: [{ channel: 'alipay', status: 'success', gatewayOrderNo: GW, providerRef: '2026112222001400000001' }] },
    answer: { channel: 'alipay', answer: paid('2026112222001400000001') }, stock: ['K-P-A', 'K-P-B'],
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    statuses: { [ORDER]: 'completed' }, payloads: { [ORDER]: 'K-P-A' },
    keys: { 'K-P-A': ['used', ORDER], 'K-P-B': ['available', null] },
    payment: { status: 'success', provider_ref: '2026112222001400000001' },
  },
  {
    name: 'pending_payment, the callback was lost: its reserved key first, the attempt recorded as the callback would have',
    order: { status: 'pending_payment', parts: [{ ...steam, quantity: 2 }], payments: [{ channel: 'alipay', status: 'pending', gatewayOrderNo: GW }] },
    answer: { channel: 'alipay', cents: 20000, answer: paid('2026112222001400000002', 20000) }, stock: ['K-L-A'], reserved: ['K-L-R'],
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    statuses: { [ORDER]: 'completed' }, payloads: { [ORDER]: 'K-L-R\nK-L-A' },
    keys: { 'K-L-R': ['used', ORDER], 'K-L-A': ['used', ORDER] },
    payment: { status: 'success', provider_ref: '2026112222001400000002' },
  },
  {
    name: 'canceled by the timeout, WeChat says paid (dujiao-next refused it, no trace): delivered',
    order: { status: 'canceled', parts: [steam], payments: [{ channel: 'wechat', status: 'pending', gatewayOrderNo: GW }] },
    answer: { channel: 'wechat', answer: paid('4200002345202611228253501450') }, stock: ['K-C-A'],
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    statuses: { [ORDER]: 'completed' }, payloads: { [ORDER]: 'K-C-A' }, keys: { 'K-C-A': ['used', ORDER] },
    payment: { status: 'success', provider_ref: '4200002345202611228253501450' },
  },
  {
    name: 'a split order (parent + two children), both paid without fulfillment: each child delivered, the parent completed',
    order: {
      status: 'paid', parts: [steam, { productId: 9, priceCents: 5000, title: 'PSN 50' }], paidAt: ago(29),
      payments: [{ channel: 'alipay', status: 'success', gatewayOrderNo: GW, providerRef: '2026112222001400000004' }],
    },
    answer: { channel: 'alipay', cents: 15000, answer: paid('2026112222001400000004', 15000) }, stock: ['K-S-7'],
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    statuses: { [ORDER]: 'completed', [`${ORDER}-01`]: 'completed', [`${ORDER}-02`]: 'completed' },
    payloads: { [`${ORDER}-01`]: 'K-S-7', [`${ORDER}-02`]: 'K-S-9' },
    keys: { 'K-S-7': ['used', `${ORDER}-01`], 'K-S-9': ['used', `${ORDER}-02`] },
  },
  {
    name: 'a split order whose first child dujiao-next delivered and whose second it could not: only the second filled',
    order: {
      status: 'partially_delivered', childStatus: ['completed', 'paid'], parts: [steam, { productId: 9, priceCents: 5000, title: 'PSN 50' }], paidAt: ago(29),
      payments: [{ channel: 'alipay', status: 'success', gatewayOrderNo: GW, providerRef: '2026112222001400000005' }],
    },
    delivered: { child: 1, payload: 'K-OLD-7' },
    answer: { channel: 'alipay', cents: 15000, answer: paid('2026112222001400000005', 15000) }, stock: ['K-N-7'],
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    statuses: { [ORDER]: 'completed', [`${ORDER}-01`]: 'completed', [`${ORDER}-02`]: 'completed' },
    payloads: { [`${ORDER}-01`]: 'K-OLD-7', [`${ORDER}-02`]: 'K-S-9' },
    keys: { 'K-N-7': ['available', null], 'K-S-9': ['used', `${ORDER}-02`] },
  },
  {
    // the second part's claim must not be handed the keys this transaction already claimed for the
    // first (its own row locks do not make SKIP LOCKED skip them): all-or-nothing would then fail forever
    name: 'a split order whose two children are the same product: two different keys, each child its own',
    order: {
      status: 'paid', parts: [steam, steam], paidAt: ago(29),
      payments: [{ channel: 'alipay', status: 'success', gatewayOrderNo: GW, providerRef: '2026112222001400000009' }],
    },
    answer: { channel: 'alipay', cents: 20000, answer: paid('2026112222001400000009', 20000) }, stock: ['K-D-A', 'K-D-B'],
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    statuses: { [ORDER]: 'completed', [`${ORDER}-01`]: 'completed', [`${ORDER}-02`]: 'completed' },
    payloads: { [`${ORDER}-01`]: 'K-D-A', [`${ORDER}-02`]: 'K-D-B' },
    keys: { 'K-D-A': ['used', `${ORDER}-01`], 'K-D-B': ['used', `${ORDER}-02`] },
  },
  {
    name: 'EPay, paid, the callback lost: delivered',
    order: { status: 'pending_payment', parts: [steam], payments: [{ channel: 'epay', status: 'pending', gatewayOrderNo: GW }] },
    answer: { channel: 'epay', answer: paid('2026112212345678') }, stock: ['K-E-A'],
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' },
    statuses: { [ORDER]: 'completed' }, payloads: { [ORDER]: 'K-E-A' },
    payment: { status: 'success', provider_ref: '2026112212345678' },
  },
  {
    name: 'a fee on top (the attempt\'s amount is what the gateway must have received): delivered',
    order: { status: 'pending_payment', parts: [steam], payments: [{ channel: 'alipay', status: 'pending', gatewayOrderNo: GW, feeCents: 60 }] },
    answer: { channel: 'alipay', cents: 10060, answer: paid('2026112222001400000006', 10060) }, stock: ['K-F-A'],
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' }, statuses: { [ORDER]: 'completed' },
  },
  {
    name: 'a member\'s order (user_id set): opened by the account\'s email',
    order: { status: 'paid', userId: 1, parts: [steam], paidAt: ago(29), payments: [{ channel: 'alipay', status: 'success', gatewayOrderNo: GW, providerRef: '2026112222001400000007' }] },
    answer: { channel: 'alipay', answer: paid('2026112222001400000007') }, stock: ['K-U-A'], secret: 'Member@Example.com',
    expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued' }, statuses: { [ORDER]: 'completed' },
  },
  {
    name: 'Stripe (a gateway order-doctor does not speak), pending: PAYMENT_UNVERIFIABLE, a ticket, nothing written',
    order: { status: 'pending_payment', parts: [steam], payments: [{ channel: 'stripe', status: 'pending', gatewayOrderNo: GW }] },
    stock: ['K-X-A'],
    expect: { verdict: 'PAYMENT_UNVERIFIABLE', action: 'escalated' },
    statuses: { [ORDER]: 'pending_payment' }, keys: { 'K-X-A': ['available', null] }, payment: { status: 'pending', provider_ref: '' },
  },
  {
    name: 'pending and not paid at the gateway: nothing to do, nothing written',
    order: { status: 'pending_payment', parts: [steam], payments: [{ channel: 'alipay', status: 'pending', gatewayOrderNo: GW }] },
    answer: { channel: 'alipay', answer: { state: 'unpaid' } }, stock: ['K-N-A'],
    expect: { verdict: 'NOT_PAID', action: 'none' },
    statuses: { [ORDER]: 'pending_payment' }, keys: { 'K-N-A': ['available', null] }, payment: { status: 'pending', provider_ref: '' },
  },
  {
    name: 'paid one cent short: a ticket, never a key',
    order: { status: 'canceled', parts: [steam], payments: [{ channel: 'alipay', status: 'pending', gatewayOrderNo: GW }] },
    answer: { channel: 'alipay', answer: paid('2026112222001400000009', 9999) }, stock: ['K-M-A'],
    expect: { verdict: 'AMOUNT_MISMATCH', action: 'escalated' },
    statuses: { [ORDER]: 'canceled' }, keys: { 'K-M-A': ['available', null] },
  },
  {
    name: 'paid, no fulfillment, and still no keys: OUT_OF_STOCK, a ticket',
    order: { status: 'paid', parts: [steam], paidAt: ago(29), payments: [{ channel: 'alipay', status: 'success', gatewayOrderNo: GW, providerRef: '2026112222001400000010' }] },
    answer: { channel: 'alipay', answer: paid('2026112222001400000010') }, stock: [],
    expect: { verdict: 'OUT_OF_STOCK', action: 'escalated' }, statuses: { [ORDER]: 'paid' },
  },
  {
    name: 'manual goods fulfilling inside the owner\'s window: in progress, never issued',
    order: { status: 'fulfilling', parts: [{ ...steam, type: 'manual' }], paidAt: ago(29), payments: [{ channel: 'alipay', status: 'success', gatewayOrderNo: GW, providerRef: '2026112222001400000011' }] },
    answer: { channel: 'alipay', answer: paid('2026112222001400000011') }, stock: ['K-MAN-A'],
    expect: { verdict: 'DELIVERY_IN_PROGRESS', action: 'none' },
    statuses: { [ORDER]: 'fulfilling' }, keys: { 'K-MAN-A': ['available', null] },
  },
];

describe.skipIf(!PG)('dujiao-next: every stuck shape, on the real Postgres', () => {
  const suite = suiteHarness(() => NOW);
  let h: Harness;

  beforeEach(async () => {
    h = suite.h;
    await emptyShop(h);
  });

  it.each(SHAPES)('$name', async (shape) => {
    await h.shop.sql`insert into users (id, email) values (1, 'member@example.com')`;
    await insertSecrets(h.shop, 7, shape.stock ?? []);
    await insertSecrets(h.shop, 9, shape.order.parts.length > 1 ? ['K-S-9'] : []);
    const ids = await insertOrder(h.shop, { orderNo: ORDER, guestPassword: '8462', createdAt: ago(30), ...shape.order });
    const id = ids[0]!;
    if (shape.delivered) {
      await h.shop.sql`insert into fulfillments (order_id, type, status, payload, delivered_at, created_at, updated_at)
        values (${ids[shape.delivered.child]!}, 'auto', 'delivered', ${shape.delivered.payload}, ${ago(29)}, ${ago(29)}, ${ago(29)})`;
    }
    await insertSecrets(h.shop, 7, shape.reserved ?? [], { status: 'reserved', orderId: id });
    if (shape.answer) h.book.set(GW, shape.answer.channel, shape.answer.cents ?? 10000, shape.answer.answer);
    const svc = await h.services();

    const out = await customerCheck(svc, { orderNo: ORDER, secret: shape.secret ?? '8462', logContext: NO_LOG_CONTEXT });
    expect(out.ok && { verdict: out.result.verdict, action: out.result.action }).toEqual(shape.expect);

    const statuses = Object.fromEntries((await rows<{ order_no: string; status: string }>(h.shop, 'select order_no, status from orders')).map((r) => [r.order_no, r.status]));
    if (shape.statuses) expect(statuses).toEqual(shape.statuses);
    const payloads = Object.fromEntries((await rows<{ order_no: string; payload: string; type: string; status: string }>(h.shop,
      'select o.order_no, f.payload, f.type, f.status from fulfillments f join orders o on o.id = f.order_id')).map((r) => {
      expect({ type: r.type, status: r.status }).toEqual({ type: 'auto', status: 'delivered' });
      return [r.order_no, r.payload];
    }));
    expect(payloads).toEqual(shape.payloads ?? (shape.expect.action === 'reissued' ? expect.any(Object) : {}));
    if (shape.keys) {
      const got = Object.fromEntries((await rows<{ secret: string; status: string; order_no: string | null }>(h.shop,
        'select c.secret, c.status, o.order_no from card_secrets c left join orders o on o.id = c.order_id')).map((r) => [r.secret, [r.status, r.order_no]]));
      expect(got).toMatchObject(shape.keys);
    }
    if (shape.payment) expect((await rows(h.shop, 'select status, provider_ref from payments'))[0]).toEqual(shape.payment);
    const issued = await svc.database.db.select().from(auditLog).where(eq(auditLog.action, 'keys_issued'));
    expect(issued).toHaveLength(shape.expect.action === 'reissued' ? 1 : 0);
    if (shape.expect.action === 'reissued') {
      expect(await svc.database.db.select({ state: shopDeliveries.state }).from(shopDeliveries)).toEqual([{ state: 'committed' }]);
      expect(JSON.stringify(issued[0]!.detail)).not.toMatch(/K-[A-Z]+-[A-Z0-9]/);
      // the order is paid in the shop's eyes now, and every used key is tied to its order
      const paidAt = await rows<{ n: number }>(h.shop, "select count(*)::int as n from orders where paid_at is null");
      expect(paidAt).toEqual([{ n: 0 }]);
      expect(await rows(h.shop, "select count(*)::int as n from card_secrets where status = 'used' and (order_id is null or used_at is null or reserved_at is not null)")).toEqual([{ n: 0 }]);
      // a second check: DELIVERED from the shop's rows, with the keys, nothing written again
      const again = await customerCheck(svc, { orderNo: ORDER, secret: shape.secret ?? '8462', logContext: NO_LOG_CONTEXT });
      expect(again.ok && again.result.verdict).toBe('DELIVERED');
      expect(await svc.database.db.select().from(auditLog).where(eq(auditLog.action, 'keys_issued'))).toHaveLength(1);
    }
    if (shape.expect.action === 'escalated') {
      expect(await svc.database.db.select().from(tickets).where(eq(tickets.orderNo, ORDER))).toHaveLength(1);
    }
  });

  it('a wrong secret and an unknown number answer alike; a child\'s number and the gateway\'s numbers lead to the parent', async () => {
    await insertSecrets(h.shop, 7, ['K-W-A']);
    await insertOrder(h.shop, { orderNo: ORDER, status: 'paid', parts: [steam, { ...steam, productId: 9 }], guestPassword: '8462', createdAt: ago(30), paidAt: ago(29),
      payments: [{ channel: 'alipay', status: 'success', gatewayOrderNo: GW, providerRef: '2026112222001400000099' }] });
    const svc = await h.services();
    const wrong = await customerCheck(svc, { orderNo: ORDER, secret: 'nope', logContext: NO_LOG_CONTEXT });
    const unknown = await customerCheck(svc, { orderNo: 'DN000000000000', secret: '8462', logContext: NO_LOG_CONTEXT });
    expect(wrong).toEqual(unknown);
    expect(await rows(h.shop, "select count(*)::int as n from fulfillments")).toEqual([{ n: 0 }]);
    for (const asked of [`${ORDER}-02`, GW, '2026112222001400000099']) {
      expect((await svc.shop.find(asked))?.order.orderNo).toBe(ORDER);
    }
    expect((await svc.shop.findByContact('BUYER@example.com', 10)).map((s) => s.order.orderNo)).toEqual([ORDER]);
    // a member's orders by the account's email
    await h.shop.sql`insert into users (id, email) values (5, 'member@example.com')`;
    await insertOrder(h.shop, { orderNo: 'DNMEMBER00001', status: 'pending_payment', userId: 5, parts: [steam], createdAt: ago(10) });
    expect((await svc.shop.findByContact(' Member@Example.com ', 10)).map((s) => [s.order.orderNo, s.order.contact])).toEqual([['DNMEMBER00001', 'member@example.com']]);
  });

  it('two attempts, the earlier one paid: the buyer\'s transaction number leads to that attempt, which is recorded and delivered', async () => {
    await insertSecrets(h.shop, 7, ['K-T-A']);
    await insertOrder(h.shop, { orderNo: ORDER, status: 'pending_payment', parts: [steam], guestPassword: '8462', createdAt: ago(30), payments: [
      { channel: 'alipay', status: 'pending', gatewayOrderNo: GW }, { channel: 'epay', status: 'pending', gatewayOrderNo: 'DNP202611220001B' },
    ] });
    h.book.set(GW, 'alipay', 10000, paid('2026112222001400000077'));
    h.book.set('DNP202611220001B', 'epay', 10000, { state: 'unpaid' });
    const svc = await h.services();
    // by the order's number, the latest attempt (EPay, unpaid) is the one asked about
    const byOrder = await customerCheck(svc, { orderNo: ORDER, secret: '8462', logContext: NO_LOG_CONTEXT });
    expect(byOrder.ok && byOrder.result.verdict).toBe('NOT_PAID');
    // by Alipay's transaction number: the gateway names its out_trade_no, the first attempt
    const byTrade = await customerCheck(svc, { orderNo: '2026112222001400000077', secret: '8462', logContext: NO_LOG_CONTEXT });
    expect(byTrade.ok && { verdict: byTrade.result.verdict, action: byTrade.result.action }).toEqual({ verdict: 'PAID_NOT_DELIVERED', action: 'reissued' });
    expect(await rows(h.shop, 'select gateway_order_no, status, provider_ref from payments order by id')).toEqual([
      { gateway_order_no: GW, status: 'success', provider_ref: '2026112222001400000077' },
      { gateway_order_no: 'DNP202611220001B', status: 'pending', provider_ref: '' },
    ]);
    expect(await rows(h.shop, 'select payload from fulfillments')).toEqual([{ payload: 'K-T-A' }]);
    // and from now on the order's own number finds it delivered, its key shown to the buyer
    const after = await customerCheck(svc, { orderNo: ORDER, secret: '8462', logContext: NO_LOG_CONTEXT });
    expect(after.ok && after.result.verdict).toBe('DELIVERED');
    const view = await svc.shop.findByOrderNo(ORDER);
    expect((await svc.shop.revealKeys(view!.order)).map((k) => k.secret)).toEqual(['K-T-A']);
  });
});

/**
 * dujiao-next in the kill harness, its shop database on the real Postgres. A batch: a paid order
 * whose fulfilment failed, a lost callback, a split order (two children, two products: a partial
 * landing would show), a payment that landed after the timeout cancel, a lost callback whose key
 * dujiao-next had reserved for it, and a paid order with no stock at all.
 * Its own rows: every used key in its order's fulfillment and the reverse, a part with keys
 * completed (the parent summed up), the payment recorded as its callback would have. dujiao-next
 * keeps no sales counter.
 */
import { harness, insertOrder, insertSecrets, rows, type OrderSpec, type TestShop } from '../../shops/dujiao-next/support.ts';
import type { AnswerBook } from '../../shops/support/harness.ts';
import { CONTACT, iso, SECRET, type Batch } from '../batches.ts';
import type { ShopOrderView, ShopView } from '../invariants.ts';
import { openWith, TWO_COMMIT_POINTS, type KillShop } from './kind.ts';

async function dujiaoNextBatch(shop: TestShop, book: AnswerBook, round: number, now: Date): Promise<Batch> {
  const r = String(round).padStart(3, '0');
  const [a, b, none] = [1000 + round * 3, 1001 + round * 3, 1002 + round * 3];
  // what the deliveries take from the available keys (1 + 1 + 1 + 2), plus one to spare; b: the split order's, plus one
  await insertSecrets(shop, a, Array.from({ length: 6 }, (_, i) => `DN${r}-A-${i}`));
  await insertSecrets(shop, b, [`DN${r}-B-0`, `DN${r}-B-1`]);
  const batch: Batch = { orders: [] };
  const specs: { status: string; parts: { productId: number; quantity?: number }[]; channel: 'alipay' | 'wechat' | 'epay'; reserved?: boolean }[] = [
    { status: 'paid', parts: [{ productId: a }], channel: 'alipay' },
    { status: 'pending_payment', parts: [{ productId: a }], channel: 'wechat' },
    { status: 'paid', parts: [{ productId: a }, { productId: b }], channel: 'epay' },
    { status: 'canceled', parts: [{ productId: a, quantity: 2 }], channel: 'alipay' },
    { status: 'pending_payment', parts: [{ productId: a }], channel: 'alipay', reserved: true },
    { status: 'paid', parts: [{ productId: none }], channel: 'alipay' },
  ];
  for (const [i, s] of specs.entries()) {
    const orderNo = `DN${r}HARNESS${String(i + 1).padStart(3, '0')}`;
    const gatewayOrderNo = `P${orderNo}`;
    const tradeNo = `2026112222003${r}${String(i + 1).padStart(10, '0')}`;
    const quantity = s.parts.reduce((n, p) => n + (p.quantity ?? 1), 0);
    const paid = s.status === 'paid';
    const spec: OrderSpec = {
      orderNo, status: s.status, guestPassword: SECRET, guestEmail: CONTACT, createdAt: new Date(iso(now, 30)),
      paidAt: paid ? new Date(iso(now, 29)) : null, parts: s.parts.map((p) => ({ ...p, priceCents: 10000 })),
      payments: [{ channel: s.channel, status: paid ? 'success' : 'pending', gatewayOrderNo, providerRef: paid ? tradeNo : '' }],
    };
    const [id] = await insertOrder(shop, spec);
    // dujiao-next reserves an order's keys when it is placed; a lost callback leaves them reserved
    if (s.reserved) await insertSecrets(shop, a, [`DN${r}-RESERVED-${i + 1}`], { status: 'reserved', orderId: id });
    book.set(gatewayOrderNo, s.channel, 10000 * quantity, { state: 'paid', amountCents: 10000 * quantity, paidAt: iso(now, 29), tradeNo });
    batch.orders.push({ orderNo, expect: s.parts[0]!.productId === none ? { kind: 'out_of_stock' } : { kind: 'filled', quantity } });
  }
  return batch;
}

interface OrderRow { id: string; order_no: string; parent_id: string | null; status: string; paid_at: Date | null; online_paid_amount: string }

/** A top-level order's keys are its parts' delivered fulfillments, one key per line: what dujiao-next shows its buyer. */
async function dujiaoNextView(shop: TestShop): Promise<ShopView> {
  const problems: string[] = [];
  const orders = await rows<OrderRow>(shop, 'select id, order_no, parent_id, status, paid_at, online_paid_amount from orders where deleted_at is null');
  const items = await rows<{ order_id: string; product_id: string; quantity: string }>(shop, 'select order_id, product_id, quantity from order_items where deleted_at is null');
  const fulfilled = await rows<{ order_id: string; payload: string | null }>(shop, "select order_id, payload from fulfillments where status = 'delivered' and deleted_at is null");
  const secrets = await rows<{ id: string; product_id: string; secret: string; status: string; order_id: string | null }>(shop, 'select id, product_id, secret, status, order_id from card_secrets where deleted_at is null');
  const payments = await rows<{ order_id: string; status: string; provider_ref: string }>(shop, 'select order_id, status, provider_ref from payments where deleted_at is null');

  const keysOf = new Map(fulfilled.map((f) => [f.order_id, (f.payload ?? '').split('\n').map((l) => l.trim()).filter(Boolean)]));
  const byId = new Map(orders.map((o) => [o.id, o]));
  const views: ShopOrderView[] = [];
  for (const top of orders.filter((o) => o.parent_id === null)) {
    const children = orders.filter((o) => o.parent_id === top.id);
    const parts = children.length ? children : [top];
    const keys = parts.flatMap((p) => keysOf.get(p.id) ?? []);
    views.push({
      orderNo: top.order_no, status: top.status, keys,
      quantity: items.filter((i) => parts.some((p) => p.id === i.order_id)).reduce((n, i) => n + Number(i.quantity), 0),
    });
    for (const p of parts) {
      if (keysOf.has(p.id) && p.status !== 'completed') problems.push(`a part with its keys not completed: ${p.order_no} (${p.status})`);
    }
    if (children.length && children.every((c) => c.status === 'completed') && top.status !== 'completed') {
      problems.push(`a split order whose parts are all completed, itself not: ${top.order_no} (${top.status})`);
    }
    if (keys.length) {
      // what dujiao-next's payment callback would have written: the attempt success with the gateway's number, paid_at, the online amount
      if (!top.paid_at || Number(top.online_paid_amount) <= 0) problems.push(`an order with keys but no payment recorded: ${top.order_no}`);
      if (!payments.some((p) => p.order_id === top.id && p.status === 'success' && p.provider_ref)) problems.push(`an order with keys but no successful payment attempt: ${top.order_no}`);
    }
  }
  // every used key is in its part's fulfillment (of its product), and every key in a fulfillment is used by that part
  const bySecret = new Map(secrets.map((s) => [s.secret, s]));
  for (const [orderId, keys] of keysOf) {
    for (const k of keys) {
      const s = bySecret.get(k);
      if (!s || s.status !== 'used' || s.order_id !== orderId) problems.push(`a delivered key not marked used by its part: ${k} in ${byId.get(orderId)?.order_no} (${s?.status}, order ${s?.order_id})`);
      else if (!items.some((i) => i.order_id === orderId && i.product_id === s.product_id)) problems.push(`a key of another product: ${k} in ${byId.get(orderId)?.order_no}`);
    }
  }
  for (const s of secrets) {
    if (s.status === 'used' && !(s.order_id && keysOf.get(s.order_id)?.includes(s.secret))) problems.push(`a key marked used but in no fulfillment of its order (lost): ${s.secret}`);
  }
  return { orders: views, problems };
}

export const dujiaoNext: KillShop = {
  kind: 'dujiao-next',
  mariadb: false,
  points: TWO_COMMIT_POINTS,
  randomKills: 2,
  open: async (database, clock, extra) => openWith(await harness(database, clock), extra, dujiaoNextBatch, dujiaoNextView),
};

/**
 * A dujiao-next order, as the domain sees it (../shared/reference/shops.md).
 *
 * One ShopOrder per order number a buyer holds: the top-level order (`parent_id` NULL). A split
 * multi-item order's children each carry their own items and their own fulfillment row, and the
 * buyer only ever sees the parent's number, so the parent's ShopOrder gathers the automatic
 * children: `quantity` is their keys together, `holdings` the keys their fulfillments hold, and a
 * delivery fills every automatic child that has none, each as dujiao-next would (deliver.ts).
 * Children of manual or upstream goods are the owner's: they count only when the whole order is
 * manual, then as the owner's delivery.
 *
 * "The" payment: dujiao-next records each attempt in `payments` (on the top-level order). The one
 * its gateway is asked about (by its `gateway_order_no`), and whose amount (fee included) it must
 * have received: the attempt the buyer's number named (a gateway's out_trade_no or transaction
 * number, find.ts), else the successful one, else the latest (a buyer who paid an earlier attempt
 * and then opened another is found through the gateway's transaction number: engine/resolve.ts).
 */
import type { Holdings, OrderView, ShopOrder, ShopProduct } from '../../domain/order.ts';
import type { Channel, OrderStatus } from '../../domain/verdicts.ts';
import { parseYuanToCents } from '../../gateways/money.ts';
import type { DujiaoNextContext } from './context.ts';
import { STATUS } from './tables.ts';

export interface OrderRow {
  id: number;
  orderNo: string;
  parentId: number | null;
  userId: number;
  guestEmail: string | null;
  guestPassword: string | null;
  status: string;
  totalAmount: string;
  walletPaidAmount: string;
  paidAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ItemRow { orderId: number; productId: number; skuId: number; quantity: number; fulfillmentType: string; title: unknown }
export interface FulfillmentRow { orderId: number; status: string; payload: string | null; deliveredAt: Date | null }
export interface PaymentRow {
  id: number; channelId: number; providerType: string; channelType: string; amount: string; status: string;
  providerRef: string | null; gatewayOrderNo: string | null; paidAt: Date | null; channelName: string | null;
}

/** Everything one lookup reads about a top-level order, from one snapshot (find.ts). */
export interface Loaded {
  parent: OrderRow;
  /** the orders holding fulfillments: the children of a split order, else the order itself */
  targets: OrderRow[];
  items: ItemRow[];
  fulfillments: FulfillmentRow[];
  payment: PaymentRow | null;
  userEmail: string | null;
}

/** What the buyer proves they know, read only by verifySecret. */
export const SECRET = Symbol('dujiao-next query secret');
export type DujiaoNextOrder = ShopOrder & { [SECRET]: { value: string; kind: 'password' | 'email' } };

/** A product and SKU as one sku string: `7` (no SKU), `7:3`. */
export const skuOf = (i: Pick<ItemRow, 'productId' | 'skuId'>) => (Number(i.skuId) ? `${i.productId}:${i.skuId}` : String(i.productId));
export function parseSku(sku: string): { productId: number; skuId: number } | null {
  const m = /^(\d+)(?::(\d+))?$/.exec(sku);
  return m ? { productId: Number(m[1]), skuId: Number(m[2] ?? 0) } : null;
}

/** Keys as dujiao-next writes them into a fulfillment's payload: one per line. */
export function payloadKeys(payload: string | null): string[] {
  return (payload ?? '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
}

/** The orders whose items are all automatic: the ones order-doctor may deliver. */
export function autoTargets(l: Pick<Loaded, 'targets' | 'items'>): OrderRow[] {
  return l.targets.filter((t) => {
    const items = l.items.filter((i) => i.orderId === t.id);
    return items.length > 0 && items.every((i) => i.fulfillmentType.trim() === 'auto');
  });
}

/** Official Alipay/WeChat and EPay are gateways order-doctor speaks; every other provider is not. */
export function channelOf(providerType: string | null | undefined, channelType: string | null | undefined): Channel | null {
  const provider = (providerType ?? '').trim().toLowerCase();
  const kind = (channelType ?? '').trim().toLowerCase();
  if (provider === 'epay') return 'epay';
  if (provider !== 'official') return null;
  if (kind === 'alipay') return 'alipay';
  if (kind === 'wechat' || kind === 'wxpay') return 'wechat';
  return null;
}

/** Password hashes some forks store instead of the plain guest password: not comparable here. */
const HASHED = /^\$(2[abxy]?|argon2(id|i|d)?)\$/;

function secretOf(l: Loaded): { value: string; kind: 'password' | 'email' } {
  const p = l.parent;
  const password = (p.guestPassword ?? '').trim();
  // a guest opens dujiao-next's own order page with email + this password; it alone is the 查询密码
  if (Number(p.userId) === 0 && password && !HASHED.test(password)) return { value: password, kind: 'password' };
  // a member's order (or a guest's hashed password): the account's email, compared without case
  const email = Number(p.userId) === 0 ? p.guestEmail : l.userEmail;
  return { value: (email ?? '').trim().toLowerCase(), kind: 'email' };
}

function titleOf(items: ItemRow[]): string {
  const first = items[0]?.title;
  let title = '';
  if (typeof first === 'string') title = first;
  else if (first && typeof first === 'object') {
    const t = first as Record<string, unknown>;
    const v = t['zh-CN'] ?? t['zh'] ?? Object.values(t)[0];
    title = typeof v === 'string' ? v : '';
  }
  return items.length > 1 ? `${title} (+${items.length - 1})` : title;
}

function statusOf(parent: OrderRow, delivered: boolean): OrderStatus {
  if (delivered) return 'delivered';
  switch (parent.status) {
    case STATUS.PENDING_PAYMENT: return 'pending';
    case STATUS.CANCELED: return 'closed';
    case STATUS.REFUNDED: return 'refunded';
    default: return 'paid'; // paid, fulfilling, partially delivered/refunded, or completed without its keys
  }
}

/** The online part the gateway had to collect, when no attempt is recorded. */
function onlineCents(p: OrderRow): number {
  const total = parseYuanToCents(p.totalAmount) ?? 0;
  const wallet = parseYuanToCents(p.walletPaidAmount) ?? 0;
  return Math.max(0, total - wallet);
}

export async function toView(ctx: DujiaoNextContext, l: Loaded, stockAvailable: number): Promise<OrderView> {
  const autos = autoTargets(l);
  const manual = autos.length === 0;
  const counted = manual ? l.targets : autos;
  const ids = new Set(counted.map((t) => t.id));
  const items = l.items.filter((i) => ids.has(i.orderId));
  const quantity = items.reduce((n, i) => n + i.quantity, 0);
  const holdings = await holdingsOf(ctx, l, counted, manual, quantity, stockAvailable);
  const held = holdings.keys.filter((k) => k.status === 'delivered').length;
  const pay = l.payment;
  const payAmount = pay ? parseYuanToCents(pay.amount) : null;
  const order: DujiaoNextOrder = {
    id: Number(l.parent.id), orderNo: l.parent.orderNo,
    sku: [...new Set(items.map(skuOf))].join(','), quantity,
    amountCents: payAmount ?? onlineCents(l.parent),
    channel: pay ? channelOf(pay.providerType, pay.channelType) : null,
    payment: pay
      ? { ref: String(pay.channelId), name: pay.channelName ?? `${pay.providerType} ${pay.channelType}`, handler: `${pay.providerType}/${pay.channelType}` }
      : { ref: '', name: 'none', handler: '' },
    status: statusOf(l.parent, quantity > 0 && held >= quantity),
    createdAt: l.parent.createdAt, paidAt: l.parent.paidAt ?? pay?.paidAt ?? null,
    tradeNo: pay?.providerRef ? pay.providerRef : null,
    ...(pay?.gatewayOrderNo ? { gatewayOrderNo: pay.gatewayOrderNo } : {}),
    contact: (Number(l.parent.userId) === 0 ? l.parent.guestEmail : l.userEmail) || null,
    [SECRET]: secretOf(l),
  };
  const product: ShopProduct = {
    sku: order.sku, title: titleOf(items), fulfilment: manual ? 'manual' : 'stock',
    deliveryWindowMinutes: Math.round((manual ? ctx.manualWindowMs : ctx.autoWindowMs) / 60_000),
    // dujiao-next has no voided key: no replacement ever arises
    maxReplacements: 0,
  };
  return { order, product, holdings };
}

async function holdingsOf(ctx: DujiaoNextContext, l: Loaded, counted: OrderRow[], manual: boolean, quantity: number, stockAvailable: number): Promise<Holdings> {
  const delivered = (t: OrderRow) => l.fulfillments.find((f) => f.orderId === t.id && f.status === 'delivered');
  if (manual) {
    // the owner's deliveries fill the whole order once every part has one
    if (counted.length > 0 && counted.every((t) => delivered(t))) {
      const hash = await ctx.box.keyHash(counted.map((t) => delivered(t)!.payload ?? '').join('\n'));
      return { keys: Array.from({ length: quantity }, () => ({ status: 'delivered' as const, replacement: false, hash })), stockAvailable: 0 };
    }
    return { keys: [], stockAvailable: 0, manual: 'waiting' };
  }
  const keys = [];
  for (const t of counted) {
    for (const k of payloadKeys(delivered(t)?.payload ?? null)) keys.push({ status: 'delivered' as const, replacement: false, hash: await ctx.box.keyHash(k) });
  }
  return { keys, stockAvailable };
}

/** A child's status as its parent's, the way dujiao-next sums them up (order_service_child.go calcParentStatus). */
export function parentStatus(children: string[], current: string): string {
  if (children.length === 0) return current;
  const n = (s: string) => children.filter((c) => c === s).length;
  const all = children.length;
  if (n(STATUS.CANCELED) === all) return STATUS.CANCELED;
  if (n(STATUS.REFUNDED) === all) return STATUS.REFUNDED;
  if (n(STATUS.REFUNDED) > 0 || n(STATUS.PARTIALLY_REFUNDED) > 0) return STATUS.PARTIALLY_REFUNDED;
  if (n(STATUS.COMPLETED) === all) return STATUS.COMPLETED;
  if (n(STATUS.DELIVERED) + n(STATUS.COMPLETED) === all) return STATUS.DELIVERED;
  if (n(STATUS.DELIVERED) + n(STATUS.COMPLETED) > 0) return STATUS.PARTIALLY_DELIVERED;
  if (n(STATUS.FULFILLING) > 0) return STATUS.FULFILLING;
  if (n(STATUS.PAID) > 0) return STATUS.PAID;
  if (n(STATUS.PENDING_PAYMENT) > 0) return STATUS.PENDING_PAYMENT;
  return current;
}

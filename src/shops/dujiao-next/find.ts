/**
 * Finding a dujiao-next order: by its `order_no` (a child's number leads to its parent, the
 * number the buyer was given), or by a payment's `gateway_order_no` / `provider_ref` (the
 * gateway's out_trade_no and transaction number: engine/resolve.ts asks by the former). dujiao-next
 * indexes all three. Everything one view needs is read in one read-only repeatable-read snapshot,
 * so a delivery committing meanwhile is seen whole or not at all.
 */
import { and, asc, desc, eq, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { OrderSummary } from '../port.ts';
import type { OrderView } from '../../domain/order.ts';
import type { DujiaoNextContext } from './context.ts';
import { autoTargets, payloadKeys, toView, type Loaded } from './map.ts';
import { cardSecrets, fulfillments, orderItems, orders, paymentChannels, payments, SECRET_STATUS, STATUS, users } from './tables.ts';

type Reader = DujiaoNextContext['db'];

const orderColumns = {
  id: orders.id, orderNo: orders.orderNo, parentId: orders.parentId, userId: orders.userId, guestEmail: orders.guestEmail,
  guestPassword: orders.guestPassword, status: orders.status, totalAmount: orders.totalAmount, walletPaidAmount: orders.walletPaidAmount,
  paidAt: orders.paidAt, createdAt: orders.createdAt, updatedAt: orders.updatedAt,
};

/** The top-level order's id for an order number (a child's number: its parent). */
async function topByOrderNo(db: Reader, orderNo: string): Promise<number | undefined> {
  const [row] = await db.select({ id: orders.id, parentId: orders.parentId }).from(orders)
    .where(and(eq(orders.orderNo, orderNo), isNull(orders.deletedAt))).limit(1);
  return row ? Number(row.parentId ?? row.id) : undefined;
}

/** The top-level order of the attempt the gateway knows by `asked`, and that attempt. */
async function topByPayment(db: Reader, asked: string): Promise<{ top: number; attempt: number } | undefined> {
  const [row] = await db.select({ id: payments.id, orderId: payments.orderId }).from(payments)
    .where(and(or(eq(payments.gatewayOrderNo, asked), eq(payments.providerRef, asked)), isNull(payments.deletedAt), sql`${payments.orderId} <> 0`))
    .orderBy(desc(payments.id)).limit(1);
  if (!row) return undefined;
  const [o] = await db.select({ id: orders.id, parentId: orders.parentId }).from(orders).where(eq(orders.id, row.orderId)).limit(1);
  return o ? { top: Number(o.parentId ?? o.id), attempt: Number(row.id) } : undefined;
}

/**
 * Everything about one top-level order (map.ts Loaded). `attempt`: the payment attempt the asked
 * number named (a gateway's out_trade_no or transaction number), which is then the one the gateway
 * is asked about, even when the buyer tried another channel afterwards.
 */
export async function load(db: Reader, topId: number, attempt?: number): Promise<Loaded | undefined> {
  const [parent] = await db.select({ ...orderColumns, userEmail: users.email }).from(orders)
    .leftJoin(users, eq(users.id, orders.userId))
    .where(and(eq(orders.id, topId), isNull(orders.deletedAt))).limit(1);
  if (!parent) return undefined;
  const children = await db.select(orderColumns).from(orders)
    .where(and(eq(orders.parentId, topId), isNull(orders.deletedAt))).orderBy(asc(orders.id));
  const { userEmail, ...p } = parent;
  const targets = children.length ? children : [p];
  const ids = [p.id, ...children.map((c) => c.id)];
  const items = await db.select({
    orderId: orderItems.orderId, productId: orderItems.productId, skuId: orderItems.skuId, quantity: orderItems.quantity,
    fulfillmentType: orderItems.fulfillmentType, title: orderItems.title,
  }).from(orderItems).where(and(inArray(orderItems.orderId, ids), isNull(orderItems.deletedAt))).orderBy(asc(orderItems.id));
  const fs = await db.select({ orderId: fulfillments.orderId, status: fulfillments.status, payload: fulfillments.payload, deliveredAt: fulfillments.deliveredAt })
    .from(fulfillments).where(and(inArray(fulfillments.orderId, ids), isNull(fulfillments.deletedAt)));
  const [payment] = await db.select({
    id: payments.id, channelId: payments.channelId, providerType: payments.providerType, channelType: payments.channelType, amount: payments.amount,
    status: payments.status, providerRef: payments.providerRef, gatewayOrderNo: payments.gatewayOrderNo, paidAt: payments.paidAt, channelName: paymentChannels.name,
  }).from(payments).leftJoin(paymentChannels, eq(paymentChannels.id, payments.channelId))
    .where(and(eq(payments.orderId, topId), isNull(payments.deletedAt)))
    // the attempt asked about, else the successful one, else the latest
    .orderBy(sql`(${payments.id} = ${attempt ?? 0}) desc`, sql`(${payments.status} = 'success') desc`, desc(payments.id)).limit(1);
  return { parent: p, targets, items, fulfillments: fs, payment: payment ?? null, userEmail };
}

/**
 * Keys a delivery could take now for the automatic parts still without a fulfillment: per item,
 * those reserved for its order plus available ones, each counted only up to what the item needs.
 */
export async function stockFor(db: Reader, l: Loaded): Promise<number> {
  let total = 0;
  for (const t of autoTargets(l)) {
    if (l.fulfillments.some((f) => f.orderId === t.id)) continue;
    for (const i of l.items.filter((x) => x.orderId === t.id)) {
      const rows = await db.select({ id: cardSecrets.id }).from(cardSecrets)
        .where(and(
          eq(cardSecrets.productId, i.productId), eq(cardSecrets.skuId, i.skuId), isNull(cardSecrets.deletedAt),
          or(eq(cardSecrets.status, SECRET_STATUS.AVAILABLE), and(eq(cardSecrets.status, SECRET_STATUS.RESERVED), eq(cardSecrets.orderId, t.id))),
        )).limit(i.quantity);
      total += rows.length;
    }
  }
  return total;
}

function inSnapshot<T>(ctx: DujiaoNextContext, read: (db: Reader) => Promise<T>): Promise<T> {
  return ctx.db.transaction((tx) => read(tx as unknown as Reader), { isolationLevel: 'repeatable read', accessMode: 'read only' });
}

async function view(ctx: DujiaoNextContext, db: Reader, topId: number | undefined, attempt?: number): Promise<OrderView | undefined> {
  if (topId === undefined) return undefined;
  const l = await load(db, topId, attempt);
  if (!l) return undefined;
  const delivered = l.parent.status === STATUS.COMPLETED || l.parent.status === STATUS.DELIVERED;
  const heldAll = autoTargets(l).every((t) => l.fulfillments.some((f) => f.orderId === t.id && payloadKeys(f.payload).length > 0));
  return toView(ctx, l, delivered && heldAll ? 0 : await stockFor(db, l));
}

export function findByOrderNo(ctx: DujiaoNextContext, orderNo: string): Promise<OrderView | undefined> {
  return inSnapshot(ctx, async (db) => view(ctx, db, await topByOrderNo(db, orderNo)));
}

export async function findByNumber(ctx: DujiaoNextContext, asked: string): Promise<OrderView | undefined> {
  // '' is dujiao-next's "no number yet" in payments: never a match
  if (!asked.trim()) return undefined;
  return inSnapshot(ctx, async (db) => {
    const top = await topByOrderNo(db, asked);
    if (top !== undefined) return view(ctx, db, top);
    const byPayment = await topByPayment(db, asked);
    return view(ctx, db, byPayment?.top, byPayment?.attempt);
  });
}

/**
 * A buyer's orders by email, newest first: guests by `guest_email` (indexed; dujiao-next lower-cases
 * it when it looks orders up), members by their account's email.
 */
export async function findByContact(ctx: DujiaoNextContext, contact: string, limit: number): Promise<OrderSummary[]> {
  const email = contact.trim().toLowerCase();
  if (!email) return [];
  // as typed and lower-cased: both on the column's own index
  const byGuest: SQL = and(eq(orders.userId, 0), inArray(orders.guestEmail, [...new Set([email, contact.trim()])]))!;
  const byMember: SQL = sql`${orders.userId} in (select ${users.id} from ${users} where lower(${users.email}) = ${email})`;
  const tops = await ctx.db.select({ id: orders.id }).from(orders)
    .where(and(isNull(orders.parentId), isNull(orders.deletedAt), or(byGuest, byMember)))
    .orderBy(desc(orders.id)).limit(limit);
  const out: OrderSummary[] = [];
  for (const t of tops) {
    const v = await inSnapshot(ctx, (db) => view(ctx, db, Number(t.id)));
    if (v) out.push({ order: v.order, productTitle: v.product.title });
  }
  return out;
}

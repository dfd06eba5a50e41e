/**
 * What stuck looks like in dujiao-next (../shared/reference/shops.md), found by walking the
 * top-level orders by id from a cursor kept in order-doctor's own database (ids grow with creation
 * time; dujiao-next indexes created_at, so the walk's start is one indexed read):
 * - paid (or fulfilling, partially delivered) with an automatic part that has no fulfillment:
 *   fulfilment failed (no keys at the time, a crash) -> `undelivered`, due now;
 * - pending_payment: a callback that never landed -> `undelivered`;
 * - canceled: dujiao-next refuses a payment that lands after its timeout cancel and keeps no trace
 *   of it, so only the gateway can tell -> `closed_maybe_paid`;
 * - a manual or upstream part still without a fulfillment -> `manual_overdue`, once its window passed.
 * Unpaid and canceled orders through a channel order-doctor cannot ask are left alone (nothing says
 * they were paid, and every abandoned cart would become a ticket).
 */
import { and, asc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import type { StuckBatch, StuckOrder, StuckQuery } from '../port.ts';
import { readCursor, walkOrders } from '../cursor.ts';
import type { DujiaoNextContext } from './context.ts';
import { channelOf, skuOf } from './map.ts';
import { orderItems, orders, STATUS } from './tables.ts';

/** Orders read per statement while walking. */
const PAGE = 1000;
const PAID: readonly string[] = [STATUS.PAID, STATUS.FULFILLING, STATUS.PARTIALLY_DELIVERED];
const UNPAID: readonly string[] = [STATUS.PENDING_PAYMENT, STATUS.CANCELED];

/** The last order id created at or before `since` (0: none). */
async function idBefore(ctx: DujiaoNextContext, since: Date): Promise<number> {
  const [row] = await ctx.db.select({ id: orders.id }).from(orders).where(gt(orders.createdAt, since)).orderBy(asc(orders.createdAt), asc(orders.id)).limit(1);
  return row ? Number(row.id) - 1 : Number((await ctx.db.select({ m: sql<string | null>`max(${orders.id})` }).from(orders))[0]?.m ?? 0);
}

/** Per top-level order on the page: its status, and its parts still without a fulfillment, by kind. */
async function page(ctx: DujiaoNextContext, after: number) {
  // spelt out: inside a select list drizzle writes a column without its table, which the
  // subqueries' own tables would capture
  const top = sql.raw('"orders"."id"');
  // an order's parts: its children when split, else itself; open: no fulfillment yet
  const open = (kind: 'auto' | 'other') => sql<boolean>`exists (
    select 1 from orders p
     where p.deleted_at is null
       and (p.parent_id = ${top}
            or (p.id = ${top} and not exists (select 1 from orders c where c.parent_id = ${top} and c.deleted_at is null)))
       and not exists (select 1 from fulfillments f where f.order_id = p.id and f.deleted_at is null)
       and exists (select 1 from order_items i where i.order_id = p.id and i.deleted_at is null)
       and ${kind === 'auto' ? sql.raw('not') : sql.raw('')} exists (
         select 1 from order_items i where i.order_id = p.id and i.deleted_at is null and i.fulfillment_type <> 'auto'))`;
  return ctx.db.select({
    id: orders.id, orderNo: orders.orderNo, status: orders.status, createdAt: orders.createdAt, deletedAt: orders.deletedAt,
    openAuto: open('auto'), openOther: open('other'),
    provider: sql<string | null>`(select pm.provider_type from payments pm where pm.order_id = ${top} and pm.deleted_at is null order by (pm.status = 'success') desc, pm.id desc limit 1)`,
    kind: sql<string | null>`(select pm.channel_type from payments pm where pm.order_id = ${top} and pm.deleted_at is null order by (pm.status = 'success') desc, pm.id desc limit 1)`,
  }).from(orders)
    .where(and(gt(orders.id, after), isNull(orders.parentId)))
    .orderBy(asc(orders.id)).limit(PAGE);
}

export async function findDujiaoNextStuck(ctx: DujiaoNextContext, q: StuckQuery): Promise<StuckBatch> {
  const horizon = new Date(q.now.getTime() - q.horizonMs);
  // an order younger than this may still be on its way through dujiao-next's own callback handling
  const ripe = new Date(q.now.getTime() - ctx.autoWindowMs);
  const cursor = await readCursor(ctx);
  const after = Math.max(cursor ?? -1, await idBefore(ctx, horizon));
  return walkOrders(ctx, q, {
    after,
    stored: after,
    pageSize: PAGE,
    page: (from) => page(ctx, from),
    id: (row) => Number(row.id),
    ripe: (row) => row.createdAt <= ripe,
    shape: (row) => (row.deletedAt || row.createdAt <= horizon ? null : shapeOf(ctx, row, q.now)),
  });
}

async function shapeOf(
  ctx: DujiaoNextContext,
  row: { id: number; orderNo: string; status: string; createdAt: Date; openAuto: boolean; openOther: boolean; provider: string | null; kind: string | null },
  now: Date,
): Promise<StuckOrder | null> {
  const channel = channelOf(row.provider, row.kind);
  let reason: StuckOrder['reason'] | null = null;
  if (UNPAID.includes(row.status)) {
    if (channel && (row.openAuto || row.openOther)) reason = row.status === STATUS.CANCELED ? 'closed_maybe_paid' : 'undelivered';
  } else if (PAID.includes(row.status)) {
    reason = row.openAuto ? 'undelivered' : row.openOther ? 'manual_overdue' : null;
  }
  if (!reason) return null;
  const dueAt = reason === 'manual_overdue' ? new Date(row.createdAt.getTime() + ctx.manualWindowMs) : now;
  return { orderNo: row.orderNo, reason, channel, sku: await skuOfOrder(ctx, Number(row.id)), createdAt: row.createdAt, dueAt };
}

/** The sku string map.ts gives the same order (its automatic items' products), for the restock wait. */
async function skuOfOrder(ctx: DujiaoNextContext, topId: number): Promise<string> {
  const ids = (await ctx.db.select({ id: orders.id }).from(orders).where(and(eq(orders.parentId, topId), isNull(orders.deletedAt)))).map((r) => Number(r.id));
  const items = await ctx.db.select({ orderId: orderItems.orderId, productId: orderItems.productId, skuId: orderItems.skuId, type: orderItems.fulfillmentType })
    .from(orderItems).where(and(inArray(orderItems.orderId, ids.length ? ids : [topId]), isNull(orderItems.deletedAt))).orderBy(asc(orderItems.id));
  const autos = items.filter((i) => !items.some((j) => j.orderId === i.orderId && j.type.trim() !== 'auto'));
  return [...new Set((autos.length ? autos : items).map(skuOf))].join(',');
}

export async function countDujiaoNextStuck(ctx: DujiaoNextContext, q: Omit<StuckQuery, 'limit'>): Promise<number> {
  return (await findDujiaoNextStuck(ctx, { ...q, limit: 100_000, dryRun: true })).orders.length;
}


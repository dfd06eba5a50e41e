/**
 * What stuck looks like in acg-faka, found without rereading its orders on every run.
 *
 * acg-faka indexes `create_time` and its ids grow with creation time, so the sweep walks the
 * orders by id from a cursor kept in order-doctor's own database: each run reads only the orders
 * created since the last one (once they are old enough to judge: SHOP_AUTO_WINDOW) and hands every
 * one that may be stuck to the sweep queue, which re-checks it on its backoff for as long as a
 * payment can still turn up. A first run (or one after a long pause) starts at the 25 h horizon,
 * found on the create_time index.
 *
 * Stuck shapes (../shared/reference/shops.md):
 * - unpaid (0) through EPay: the gateway may say paid (a lost or rejected notification) -> `undelivered`;
 * - paid (1), automatic product, fewer cards sold to it than card_num (acg-faka's shortage, marked
 *   delivered with an apology text) -> `undelivered`, due now;
 * - paid (1), manual product, delivery_status 0 -> `manual_overdue`, due once its window has passed.
 * Unpaid orders through a plugin order-doctor cannot ask are left alone (nothing says they were
 * paid); a buyer who checks one gets PAYMENT_UNVERIFIABLE and a ticket.
 */
import { asc, eq, gt, sql } from 'drizzle-orm';
import type { StuckBatch, StuckOrder, StuckQuery } from '../port.ts';
import { readCursor, walkOrders } from '../cursor.ts';
import { fromShopTime, toShopTime } from '../local-time.ts';
import type { AcgFakaContext } from './context.ts';
import { channelOfHandle, isAutomatic } from './map.ts';
import { CARD, DELIVERY, ORDER } from './tables.ts';

/** Orders read per statement while walking. */
const PAGE = 2000;

/** The id just before the first order created after `horizon` (on acg-faka's create_time index). */
async function idBefore(ctx: AcgFakaContext, horizon: string): Promise<number> {
  const o = ctx.t.order;
  const [first] = await ctx.db.select({ id: o.id }).from(o).where(gt(o.createTime, horizon)).orderBy(asc(o.createTime), asc(o.id)).limit(1);
  if (first) return Number(first.id) - 1;
  const [last] = await ctx.db.select({ id: sql<number>`max(${o.id})` }).from(o);
  return Number(last?.id ?? 0);
}

export async function findAcgFakaStuck(ctx: AcgFakaContext, q: StuckQuery): Promise<StuckBatch> {
  const { order: o, commodity: g, pay: p, card: c } = ctx.t;
  // the shop's wall-clock strings compare as times: no conversion for the many rows passed over
  const horizon = toShopTime(new Date(q.now.getTime() - q.horizonMs), ctx.zone);
  // an order younger than this may still be on its way through acg-faka's own notify handling
  const ripe = toShopTime(new Date(q.now.getTime() - ctx.autoWindowMs), ctx.zone);
  const cursor = (await readCursor(ctx)) ?? -1;
  const start = await idBefore(ctx, horizon);
  return walkOrders(ctx, q, {
    after: Math.max(cursor, start),
    // a first run stores where the horizon started: the next need not look for it again
    stored: cursor,
    pageSize: PAGE,
    page: (after) => ctx.db
      .select({
        id: o.id, tradeNo: o.tradeNo, commodityId: o.commodityId, cardNum: o.cardNum, status: o.status, deliveryStatus: o.deliveryStatus,
        createTime: o.createTime, deliveryWay: g.deliveryWay, sharedId: g.sharedId, handle: p.handle,
        // cards sold to a paid order, counted in the shop on its order_id index (only paid orders need it)
        held: sql<number | null>`case when ${o.status} = ${ORDER.PAID}
          then (select count(*) from ${c} where ${c.orderId} = ${o.id} and ${c.status} = ${CARD.SOLD}) end`,
      })
      .from(o)
      .leftJoin(g, eq(g.id, o.commodityId))
      .leftJoin(p, eq(p.id, o.payId))
      .where(gt(o.id, after))
      .orderBy(asc(o.id))
      .limit(PAGE),
    id: (row) => Number(row.id),
    ripe: (row) => row.createTime <= ripe,
    shape: (row) => (row.createTime <= horizon ? null : shapeOf(ctx, row, q.now)),
  });
}

interface WalkRow {
  tradeNo: string; commodityId: number; cardNum: number; status: number; deliveryStatus: number; createTime: string;
  deliveryWay: number | null; sharedId: number | null; handle: string | null; held: number | null;
}

function shapeOf(ctx: AcgFakaContext, row: WalkRow, now: Date): StuckOrder | null {
  const channel = channelOfHandle(row.handle);
  const reason = reasonOf(row, channel !== null);
  if (!reason) return null;
  // converted only for the few that are candidates (most orders in a window are fine)
  const createdAt = fromShopTime(row.createTime, ctx.zone);
  if (!createdAt) return null;
  const dueAt = reason === 'manual_overdue' ? new Date(createdAt.getTime() + ctx.manualWindowMs) : now;
  return { orderNo: row.tradeNo.trim(), reason, channel, sku: String(row.commodityId), createdAt, dueAt };
}

function reasonOf(row: WalkRow, askable: boolean): StuckOrder['reason'] | null {
  // unpaid through a gateway order-doctor cannot ask: nothing says it was paid, and every abandoned
  // checkout would become a ticket
  if (row.status === ORDER.UNPAID) return askable ? 'undelivered' : null;
  if (row.status !== ORDER.PAID || row.deliveryWay === null) return null;
  if (isAutomatic(row)) return Number(row.held ?? 0) < row.cardNum ? 'undelivered' : null;
  // the owner's to fulfil: looked at once its window has passed (a shared product is always delivered with its payment)
  return row.deliveryStatus === DELIVERY.WAITING ? 'manual_overdue' : null;
}

export async function countAcgFakaStuck(ctx: AcgFakaContext, q: Omit<StuckQuery, 'limit'>): Promise<number> {
  return (await findAcgFakaStuck(ctx, { ...q, limit: 100_000, dryRun: true })).orders.length;
}

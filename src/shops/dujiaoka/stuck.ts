/**
 * What stuck looks like in dujiaoka, found without scanning its orders table on every run.
 *
 * dujiaoka has no index on status or created_at, and adding one is the owner's call. Its primary
 * key, though, grows with creation time. So the sweep walks the orders by id from a cursor kept in
 * order-doctor's own database: each run reads only the orders created since the last one (once
 * they are old enough to judge: SHOP_AUTO_WINDOW), and hands every one that may be stuck to the
 * sweep queue, which re-checks it on its backoff for as long as a payment can still turn up. The
 * first run (or one after a long pause) finds where the 25 h window starts by a binary search on
 * the primary key: a few dozen single-row reads, whatever the table's size.
 *
 * Stuck shapes (../shared/reference/shops.md):
 * - status 6, abnormal: paid, too few unsold keys at the time -> `undelivered`, due now;
 * - status 1 or -1, waiting or expired: the gateway may say paid (lost callback, paid after expiry,
 *   an amount check that rolled the completion back) -> `undelivered` / `closed_maybe_paid`;
 * - status 4, automatic goods, fewer keys in `info` than bought -> `undelivered`;
 * - status 2, manual goods still pending -> `manual_overdue`, due once its window has passed.
 * Waiting or expired orders through a gateway order-doctor cannot ask are left alone (nothing says
 * they were paid); a buyer who checks one gets PAYMENT_UNVERIFIABLE and a ticket.
 */
import { and, asc, eq, gt, gte, sql } from 'drizzle-orm';
import type { StuckBatch, StuckOrder, StuckQuery } from '../port.ts';
import { readCursor, walkOrders } from '../cursor.ts';
import { fromShopTime, toShopTime } from '../local-time.ts';
import type { DujiaokaContext } from './context.ts';
import { channelOfHandler } from './map.ts';
import { STATUS, TYPE } from './tables.ts';

/** Orders read per statement while walking. */
const PAGE = 2000;

/** The id just before the first order created after `since` (binary search on the primary key). */
export async function idBefore(ctx: DujiaokaContext, since: Date): Promise<number> {
  const o = ctx.t.orders;
  const bound = toShopTime(since, ctx.zone);
  const [range] = await ctx.db.select({ lo: sql<number>`min(${o.id})`, hi: sql<number>`max(${o.id})` }).from(o);
  let lo = Number(range?.lo ?? 0);
  let hi = Number(range?.hi ?? 0) + 1;
  if (!range?.lo) return 0;
  // invariant: every order with id < lo was created at or before `bound`; the first after it has id <= hi
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const [row] = await ctx.db.select({ id: o.id, createdAt: o.createdAt }).from(o).where(gte(o.id, mid)).orderBy(asc(o.id)).limit(1);
    if (!row) {
      hi = mid;
    } else if ((row.createdAt ?? '') <= bound) {
      lo = Number(row.id) + 1;
    } else {
      hi = Math.min(hi, Number(row.id));
      if (hi <= mid) break;
      hi = mid;
    }
  }
  return lo - 1;
}

export async function findDujiaokaStuck(ctx: DujiaokaContext, q: StuckQuery): Promise<StuckBatch> {
  const o = ctx.t.orders;
  const p = ctx.t.pays;
  const horizonStart = new Date(q.now.getTime() - q.horizonMs);
  // the shop's wall-clock strings compare as times: no conversion for the many rows passed over
  const horizon = toShopTime(horizonStart, ctx.zone);
  // an order younger than this may still be on its way through dujiaoka's own notify handling
  const ripe = toShopTime(new Date(q.now.getTime() - ctx.autoWindowMs), ctx.zone);
  let after = (await readCursor(ctx)) ?? -1;
  if (after < 0 || (await createdAtOf(ctx, after)) < horizon) {
    after = Math.max(after, await idBefore(ctx, horizonStart));
  }
  return walkOrders(ctx, q, {
    after,
    stored: after,
    pageSize: PAGE,
    page: (from) => ctx.db
      .select({
        id: o.id, orderSn: o.orderSn, goodsId: o.goodsId, type: o.type, status: o.status, buyAmount: o.buyAmount,
        createdAt: o.createdAt, deletedAt: o.deletedAt, handler: p.payHandleroute,
        // keys in info, counted in the shop (only completed automatic orders need it)
        infoLines: sql<number | null>`case when ${o.status} = ${STATUS.COMPLETED} and ${o.type} = ${TYPE.AUTOMATIC}
          then char_length(trim(${o.info})) - char_length(replace(trim(${o.info}), '\n', '')) + (trim(${o.info}) <> '') end`,
      })
      .from(o)
      .leftJoin(p, eq(p.id, o.payId))
      .where(gt(o.id, from))
      .orderBy(asc(o.id))
      .limit(PAGE),
    id: (row) => Number(row.id),
    // an order without a creation time cannot be judged: the walk waits there, as for a young one
    ripe: (row) => row.createdAt !== null && row.createdAt <= ripe,
    shape: (row) => (row.deletedAt || row.createdAt! <= horizon ? null : shapeOf(ctx, row, q.now)),
  });
}

async function createdAtOf(ctx: DujiaokaContext, id: number): Promise<string> {
  const o = ctx.t.orders;
  const [row] = await ctx.db.select({ createdAt: o.createdAt }).from(o).where(and(gte(o.id, id))).orderBy(asc(o.id)).limit(1);
  return row?.createdAt ?? '9999';
}

function shapeOf(
  ctx: DujiaokaContext,
  row: { orderSn: string; goodsId: number; type: number; status: number; buyAmount: number; createdAt: string | null; handler: string | null; infoLines: number | null },
  now: Date,
): StuckOrder | null {
  const channel = channelOfHandler(row.handler);
  // waiting or expired through a gateway order-doctor cannot ask: nothing says it was paid, and
  // every abandoned cart would become a ticket
  if (!channel && (row.status === STATUS.WAITING || row.status === STATUS.EXPIRED)) return null;
  const shape = shapeReason(row);
  if (!shape) return null;
  // converted only for the few that are candidates (most orders in a window are complete)
  const createdAt = fromShopTime(row.createdAt, ctx.zone);
  if (!createdAt) return null;
  const dueAt = shape === 'manual_overdue' ? new Date(createdAt.getTime() + ctx.manualWindowMs) : now;
  return { orderNo: row.orderSn, reason: shape, channel, sku: String(row.goodsId), createdAt, dueAt };
}

function shapeReason(row: { type: number; status: number; buyAmount: number; infoLines: number | null }): StuckOrder['reason'] | null {
  switch (row.status) {
    case STATUS.WAITING:
      return 'undelivered';
    case STATUS.EXPIRED:
      return 'closed_maybe_paid';
    // the owner's to fulfil: looked at once its window has passed
    case STATUS.PENDING:
      return row.type === TYPE.MANUAL ? 'manual_overdue' : null;
    case STATUS.ABNORMAL:
      return row.type === TYPE.AUTOMATIC ? 'undelivered' : null;
    case STATUS.COMPLETED:
      return row.type === TYPE.AUTOMATIC && Number(row.infoLines ?? 0) < row.buyAmount ? 'undelivered' : null;
    default:
      return null;
  }
}

export async function countDujiaokaStuck(ctx: DujiaokaContext, q: Omit<StuckQuery, 'limit'>): Promise<number> {
  return (await findDujiaokaStuck(ctx, { ...q, limit: 100_000, dryRun: true })).orders.length;
}

/**
 * Finding a dujiaoka order: by its `order_sn` (unique index), or by the gateway's `trade_no` when
 * the shop has an index on it (it has none by default: without one, a lookup by an unknown number
 * would scan the whole table on every try, so the gateways are asked instead: engine/resolve.ts).
 */
import { and, asc, desc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import type { OrderSummary } from '../port.ts';
import type { OrderView } from '../../domain/order.ts';
import type { DujiaokaContext } from './context.ts';
import { toOrder, toView, type OrderRow } from './map.ts';
import { inSnapshot } from '../mysql/snapshot.ts';
import { CARMI, STATUS, TYPE } from './tables.ts';

async function orderRow(ctx: DujiaokaContext, where: SQL): Promise<OrderRow | undefined> {
  const [row] = await orderRows(ctx, where, 1);
  return row;
}

async function orderRows(ctx: DujiaokaContext, where: SQL, limit: number): Promise<OrderRow[]> {
  const { orders: o, goods: g, pays: p } = ctx.t;
  return ctx.db
    .select({
      id: o.id, orderSn: o.orderSn, goodsId: o.goodsId, title: o.title, type: o.type, buyAmount: o.buyAmount,
      actualPrice: o.actualPrice, searchPwd: o.searchPwd, email: o.email, info: o.info, payId: o.payId,
      tradeNo: o.tradeNo, status: o.status, createdAt: o.createdAt, updatedAt: o.updatedAt,
      goodsName: g.gdName, payName: p.payName, payHandler: p.payHandleroute,
    })
    .from(o)
    .leftJoin(g, eq(g.id, o.goodsId))
    .leftJoin(p, eq(p.id, o.payId))
    .where(and(where, isNull(o.deletedAt)))
    .orderBy(desc(o.id))
    .limit(limit);
}

/** Unsold keys of a product, counted only up to `upTo`: the order can use no more. */
export async function unsoldUpTo(ctx: DujiaokaContext, goodsId: number, upTo: number): Promise<number> {
  if (upTo <= 0) return 0;
  const c = ctx.t.carmis;
  const rows = await ctx.db
    .select({ id: c.id })
    .from(c)
    .where(and(eq(c.goodsId, goodsId), eq(c.status, CARMI.UNSOLD), isNull(c.deletedAt)))
    .orderBy(asc(c.id))
    .limit(upTo);
  return rows.length;
}

async function view(ctx: DujiaokaContext, row: OrderRow | undefined): Promise<OrderView | undefined> {
  if (!row) return undefined;
  // stock matters only to an automatic order still missing keys
  const needsStock = row.type === TYPE.AUTOMATIC && row.status !== STATUS.COMPLETED;
  return toView(ctx, row, needsStock ? await unsoldUpTo(ctx, row.goodsId, row.buyAmount) : await completedShortfall(ctx, row));
}

/** A completed order short of keys (info has fewer lines than bought) could take stock too. */
async function completedShortfall(ctx: DujiaokaContext, row: OrderRow): Promise<number> {
  if (row.type !== TYPE.AUTOMATIC) return 0;
  const held = (row.info ?? '').split(/\r?\n/).filter((l) => l.trim() !== '').length;
  return held >= row.buyAmount ? 0 : unsoldUpTo(ctx, row.goodsId, row.buyAmount - held);
}

export async function findByOrderNo(ctx: DujiaokaContext, orderNo: string): Promise<OrderView | undefined> {
  return inSnapshot(ctx, async (c) => view(c, await orderRow(c, eq(c.t.orders.orderSn, orderNo))));
}

export async function findByNumber(ctx: DujiaokaContext, asked: string): Promise<OrderView | undefined> {
  return inSnapshot(ctx, async (c) => {
    const byOrderNo = await orderRow(c, eq(c.t.orders.orderSn, asked));
    if (byOrderNo || !c.server.tradeNoIndex) return view(c, byOrderNo);
    // '' is dujiaoka's "no trade number yet": never a match
    return view(c, await orderRow(c, and(eq(c.t.orders.tradeNo, asked), sql`${c.t.orders.tradeNo} <> ''`)!));
  });
}

/**
 * A buyer's orders by email, newest first, on dujiaoka's own `email` index. The column's collation
 * (utf8mb4_unicode_ci) compares without case, so the address is matched as typed (trimmed), with
 * no function on the column that would keep MySQL off the index.
 */
export async function findByContact(ctx: DujiaokaContext, contact: string, limit: number): Promise<OrderSummary[]> {
  const email = contact.trim();
  if (!email) return [];
  const rows = await orderRows(ctx, eq(ctx.t.orders.email, email), limit);
  return rows.map((r) => ({ order: toOrder(ctx, r), productTitle: r.goodsName ?? r.title }));
}

/**
 * Finding an acg-faka order by its `trade_no` (its own unique index: the number the buyer types and
 * the gateway knows), or a buyer's orders by contact (its own `contact` index). acg-faka keeps no
 * gateway transaction number, so there is nothing else to look up by.
 */
import { desc, eq, type SQL } from 'drizzle-orm';
import type { OrderSummary } from '../port.ts';
import type { OrderView } from '../../domain/order.ts';
import { inSnapshot } from '../mysql/snapshot.ts';
import type { AcgFakaContext } from './context.ts';
import { claimableUpTo, heldCards } from './cards.ts';
import { isAutomatic, toOrder, toView, type OrderRow } from './map.ts';

async function orderRows(ctx: AcgFakaContext, where: SQL, limit: number): Promise<OrderRow[]> {
  const { order: o, commodity: g, pay: p } = ctx.t;
  return ctx.db
    .select({
      id: o.id, tradeNo: o.tradeNo, amount: o.amount, commodityId: o.commodityId, cardId: o.cardId, cardNum: o.cardNum, payId: o.payId,
      createTime: o.createTime, payTime: o.payTime, status: o.status, secret: o.secret, password: o.password, contact: o.contact,
      deliveryStatus: o.deliveryStatus, race: o.race, sku: o.sku,
      commodityName: g.name, deliveryWay: g.deliveryWay, deliveryAutoMode: g.deliveryAutoMode, sharedId: g.sharedId,
      payName: p.name, payHandle: p.handle,
    })
    .from(o)
    .leftJoin(g, eq(g.id, o.commodityId))
    .leftJoin(p, eq(p.id, o.payId))
    .where(where)
    .orderBy(desc(o.id))
    .limit(limit);
}

async function view(ctx: AcgFakaContext, row: OrderRow | undefined): Promise<OrderView | undefined> {
  if (!row) return undefined;
  const held = isAutomatic(row) ? await heldCards(ctx.db, ctx, row.id) : [];
  // stock matters only to an automatic order still missing keys
  const missing = isAutomatic(row) ? row.cardNum - held.length : 0;
  return toView(ctx, row, held, missing > 0 ? await claimableUpTo(ctx, row, missing) : 0);
}

/** Both the order and its cards from one snapshot (mysql/snapshot.ts says why). */
export async function findByTradeNo(ctx: AcgFakaContext, tradeNo: string): Promise<OrderView | undefined> {
  return inSnapshot(ctx, async (c) => {
    const [row] = await orderRows(c, eq(c.t.order.tradeNo, tradeNo), 1);
    return view(c, row);
  });
}

/**
 * A buyer's orders by the contact they gave, newest first. The column's collation
 * (utf8mb4_general_ci) compares without case, so it is matched as typed (trimmed), with no function
 * on the column that would keep MySQL off the index. Unpaid orders stay in: a lost payment
 * notification leaves exactly such an order behind.
 */
export async function findByContact(ctx: AcgFakaContext, contact: string, limit: number): Promise<OrderSummary[]> {
  const wanted = contact.trim();
  if (!wanted) return [];
  const rows = await orderRows(ctx, eq(ctx.t.order.contact, wanted), limit);
  const out: OrderSummary[] = [];
  for (const r of rows) {
    out.push({ order: toOrder(ctx, r, isAutomatic(r) ? await heldCards(ctx.db, ctx, r.id) : []), productTitle: r.commodityName ?? `commodity #${r.commodityId}` });
  }
  return out;
}

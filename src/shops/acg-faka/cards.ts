/**
 * Which cards an order may take, exactly as acg-faka's own delivery picks them (pullCardForLocal):
 * the product's unsold cards (status 0; locked ones, status 2, never), of the order's race (an
 * order without one only gets cards without one: acg-faka's guard against selling a dearer race at
 * the base price), with the SKU values it chose; or, when the buyer picked a card (card_id), that
 * card only. In the product's order (delivery_auto_mode: oldest, random or newest first).
 */
import { and, asc, desc, eq, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { MySql2Database } from 'drizzle-orm/mysql2';
import type { AcgFakaContext } from './context.ts';
import { skuOf, type HeldCard } from './map.ts';
import { CARD } from './tables.ts';

export interface CardChoice {
  commodityId: number;
  cardId: number | null;
  race: string | null;
  sku: unknown;
}

export function claimableWhere(ctx: AcgFakaContext, o: CardChoice): SQL {
  const c = ctx.t.card;
  const base = [eq(c.commodityId, o.commodityId), eq(c.status, CARD.UNSOLD)];
  if (o.cardId && o.cardId > 0) return and(...base, eq(c.id, o.cardId))!;
  const race = (o.race ?? '') !== '' ? eq(c.race, o.race!) : or(isNull(c.race), eq(c.race, ''))!;
  // Laravel's where('sku->k', v): the value at that JSON key, unquoted, compared as text
  const skus = Object.entries(skuOf(o.sku)).map(([k, v]) => sql`json_unquote(json_extract(${c.sku}, ${`$."${k.replace(/["\\]/g, '\\$&')}"`})) = ${v}`);
  return and(...base, race, ...skus)!;
}

/** delivery_auto_mode: 0 oldest first, 1 random, 2 newest first. */
export function claimOrder(ctx: AcgFakaContext, mode: number | null): SQL {
  const c = ctx.t.card;
  if (mode === 1) return sql`rand()`;
  return mode === 2 ? desc(c.id) : asc(c.id);
}

/** Cards the order may take, counted only up to `upTo`: it can use no more. */
export async function claimableUpTo(ctx: AcgFakaContext, o: CardChoice, upTo: number): Promise<number> {
  if (upTo <= 0) return 0;
  const c = ctx.t.card;
  const rows = await ctx.db.select({ id: c.id }).from(c).where(claimableWhere(ctx, o)).limit(upTo);
  return rows.length;
}

/** The cards sold to the order (its only keys), oldest first. */
export async function heldCards(db: Pick<MySql2Database, 'select'>, ctx: AcgFakaContext, orderId: number): Promise<HeldCard[]> {
  const c = ctx.t.card;
  return db.select({ id: c.id, secret: c.secret, purchaseTime: c.purchaseTime }).from(c)
    .where(and(eq(c.orderId, orderId), eq(c.status, CARD.SOLD))).orderBy(asc(c.id));
}

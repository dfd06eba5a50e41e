/**
 * acg-faka's payment methods (`pay`): which plugin each uses (`handle`) and whether it is offered.
 * No credentials: they live in the plugin's own configuration (`pay_config` JSON in newer versions,
 * app/Pay/{handle}/Config in older ones), whose keys the plugin defines and the shop's repository
 * does not ship. So the EPay gateway is order-doctor's own (EPAY_* settings) whatever SHOP_GATEWAYS
 * says, and every other plugin is one it cannot ask (PAYMENT_UNVERIFIABLE).
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { ShopChannel } from '../port.ts';
import type { AcgFakaContext } from './context.ts';
import { channelOfHandle } from './map.ts';
import { CARD } from './tables.ts';

export async function acgFakaChannels(ctx: Pick<AcgFakaContext, 'db' | 't'>): Promise<ShopChannel[]> {
  const p = ctx.t.pay;
  const rows = await ctx.db.select().from(p).orderBy(p.id);
  return rows.map((r) => ({ ref: String(r.id), name: r.name, handler: r.handle, channel: channelOfHandle(r.handle), open: r.commodity === 1 }));
}

/** Of these products (ids as strings), those with at least one unsold card. */
export async function acgFakaInStock(ctx: AcgFakaContext, skus: string[]): Promise<string[]> {
  const ids = skus.map(Number).filter((n) => Number.isSafeInteger(n) && n > 0);
  if (ids.length === 0) return [];
  const c = ctx.t.card;
  const rows = await ctx.db.selectDistinct({ commodityId: c.commodityId }).from(c)
    .where(and(inArray(c.commodityId, ids), eq(c.status, CARD.UNSOLD)));
  return rows.map((r) => String(r.commodityId));
}

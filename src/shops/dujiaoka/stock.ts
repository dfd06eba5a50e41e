import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { DujiaokaContext } from './context.ts';
import { CARMI } from './tables.ts';

/** Of these goods (ids as strings), those with at least one unsold, undeleted key. */
export async function dujiaokaInStock(ctx: DujiaokaContext, skus: string[]): Promise<string[]> {
  const ids = skus.map(Number).filter((n) => Number.isSafeInteger(n) && n > 0);
  if (ids.length === 0) return [];
  const c = ctx.t.carmis;
  const rows = await ctx.db
    .selectDistinct({ goodsId: c.goodsId })
    .from(c)
    .where(and(inArray(c.goodsId, ids), eq(c.status, CARMI.UNSOLD), isNull(c.deletedAt)));
  return rows.map((r) => String(r.goodsId));
}

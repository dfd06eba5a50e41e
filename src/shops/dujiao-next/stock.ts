import { and, eq, isNull } from 'drizzle-orm';
import type { DujiaoNextContext } from './context.ts';
import { parseSku } from './map.ts';
import { cardSecrets, SECRET_STATUS } from './tables.ts';

/** Of these skus (map.ts: `7`, `7:3`, or several joined by commas), those whose every product has an available key. */
export async function dujiaoNextInStock(ctx: DujiaoNextContext, skus: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const sku of skus) {
    const parts = sku.split(',').map(parseSku);
    if (parts.length === 0 || parts.some((p) => !p)) continue;
    let all = true;
    for (const p of parts) {
      const [row] = await ctx.db.select({ id: cardSecrets.id }).from(cardSecrets)
        .where(and(eq(cardSecrets.productId, p!.productId), eq(cardSecrets.skuId, p!.skuId), eq(cardSecrets.status, SECRET_STATUS.AVAILABLE), isNull(cardSecrets.deletedAt)))
        .limit(1);
      if (!row) {
        all = false;
        break;
      }
    }
    if (all) out.push(sku);
  }
  return out;
}

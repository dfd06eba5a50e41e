/**
 * Where the sweep's walk over a shop's orders stopped: the last order id handed on, kept in
 * order-doctor's own `settings` table under the shop's identity. Every shop whose order ids grow
 * with creation time walks from it (dujiaoka, dujiao-next, acg-faka), so each run reads only the
 * orders created since the last.
 */
import { eq, sql } from 'drizzle-orm';
import { settings } from '../db/schema.ts';
import type { ShopContext } from './context.ts';

type CursorOwner = Pick<ShopContext, 'own' | 'identity'>;

const cursorKey = (ctx: CursorOwner) => `shop-cursor:${ctx.identity}`;

/** The last order id a walk handed on; null: none yet (a first run, or a new shop database). */
export async function readCursor(ctx: CursorOwner): Promise<number | null> {
  const [row] = await ctx.own.db.select().from(settings).where(eq(settings.key, cursorKey(ctx))).limit(1);
  const v = row?.value as { lastId?: number } | undefined;
  return typeof v?.lastId === 'number' ? v.lastId : null;
}

/** Moves the cursor forward only: racing sweepers may both have walked the same orders. */
export async function writeCursor(ctx: CursorOwner, lastId: number): Promise<void> {
  await ctx.own.db.insert(settings).values({ key: cursorKey(ctx), value: { lastId } })
    .onConflictDoUpdate({
      target: settings.key,
      set: { value: sql`case when (${settings.value}->>'lastId')::bigint >= ${lastId} then ${settings.value} else excluded.value end` },
    });
}

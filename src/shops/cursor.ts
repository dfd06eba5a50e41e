/**
 * Where the sweep's walk over a shop's orders stopped: the last order id handed on, kept in
 * order-doctor's own `settings` table under the shop's identity. Every shop whose order ids grow
 * with creation time walks from it (dujiaoka, dujiao-next, acg-faka), so each run reads only the
 * orders created since the last.
 */
import { eq, sql } from 'drizzle-orm';
import { settings } from '../db/schema.ts';
import type { ShopContext } from './context.ts';
import type { StuckBatch, StuckOrder, StuckQuery } from './port.ts';

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

/** One shop's part of a walk: how to read a page and judge each order; the walk itself is shared. */
export interface OrderWalk<R> {
  /** start after this id (the cursor, or the horizon's start when that is further on) */
  after: number;
  /** the cursor as stored: done() moves it only past this */
  stored: number;
  pageSize: number;
  /** up to pageSize orders with id > `after`, by id */
  page(after: number): Promise<R[]>;
  id(row: R): number;
  /** false: too young to judge yet, and (ids growing with creation time) so is every order after it */
  ripe(row: R): boolean;
  /** the stuck order this row is, or null (fine, deleted, or older than the horizon) */
  shape(row: R): StuckOrder | null | Promise<StuckOrder | null>;
}

/**
 * Walks a shop's orders by id from `after`: hands on every stuck one up to the query's limit and
 * stops at the first order too young to judge. The cursor moves (in done(), once the orders are
 * queued, and never in a dry run) to the last order looked at, so the next run starts there.
 */
export async function walkOrders<R>(ctx: CursorOwner, q: StuckQuery, w: OrderWalk<R>): Promise<StuckBatch> {
  const found: StuckOrder[] = [];
  let last = w.after;
  walk: for (;;) {
    const rows = await w.page(last);
    for (const row of rows) {
      if (!w.ripe(row)) break walk;
      last = w.id(row);
      const stuck = await w.shape(row);
      if (stuck) found.push(stuck);
      if (found.length >= q.limit) break walk;
    }
    if (rows.length < w.pageSize) break;
  }
  return {
    orders: found,
    done: async () => {
      if (!q.dryRun && last > w.stored) await writeCursor(ctx, last);
    },
  };
}

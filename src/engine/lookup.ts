/**
 * Finds what an order number (or a gateway transaction number) refers to: the new order, its
 * legacy record and its migration ledger row, whichever exist.
 */
import { eq, or } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { legacyOrders, migrationLedger, orders, products } from '../db/schema.ts';

export type OrderRow = typeof orders.$inferSelect;
export type ProductRow = typeof products.$inferSelect;
export type LegacyRow = typeof legacyOrders.$inferSelect;
export type LedgerRow = typeof migrationLedger.$inferSelect;

export interface Lookup {
  /** the number as the caller gave it */
  asked: string;
  order?: OrderRow;
  product?: ProductRow;
  legacy?: LegacyRow;
  ledger?: LedgerRow;
}

export async function lookupOrder(db: Db, asked: string): Promise<Lookup> {
  const found: Lookup = { asked };
  // one round trip for the common case: the order, its product and its ledger row if it was migrated
  const [hit] = await db
    .select({ order: orders, product: products, ledger: migrationLedger })
    .from(orders)
    .innerJoin(products, eq(products.sku, orders.sku))
    .leftJoin(migrationLedger, eq(migrationLedger.newOrderNo, orders.orderNo))
    .where(or(eq(orders.orderNo, asked), eq(orders.tradeNo, asked)))
    .limit(1);
  let ledger: LedgerRow | undefined = hit?.ledger ?? undefined;
  if (hit) {
    found.order = hit.order;
    found.product = hit.product;
  } else {
    [ledger] = await db.select().from(migrationLedger).where(eq(migrationLedger.legacyOrderNo, asked)).limit(1);
  }
  const legacyNo = ledger?.legacyOrderNo ?? (hit ? undefined : asked);
  if (legacyNo) {
    const [legacy] = await db.select().from(legacyOrders).where(eq(legacyOrders.orderNo, legacyNo)).limit(1);
    found.legacy = legacy;
  }
  found.ledger = ledger;
  // a legacy number whose order was migrated: diagnose the new order
  if (!hit && ledger?.state === 'migrated' && ledger.newOrderNo) {
    const [moved] = await db
      .select({ order: orders, product: products })
      .from(orders)
      .innerJoin(products, eq(products.sku, orders.sku))
      .where(eq(orders.orderNo, ledger.newOrderNo))
      .limit(1);
    if (moved) {
      found.order = moved.order;
      found.product = moved.product;
    }
  }
  return found;
}

export function exists(l: Lookup): boolean {
  return Boolean(l.order || l.legacy || l.ledger);
}

/** The number diagnoses, tickets and audit rows are filed under. */
export function canonicalOrderNo(l: Lookup): string {
  return l.order?.orderNo ?? l.legacy?.orderNo ?? l.ledger?.legacyOrderNo ?? l.asked;
}

/**
 * A pushed order or stock names its product by sku and title; the built-in store learns the
 * product from the first push that names it. Later pushes may rename it, nothing else: how it is
 * fulfilled and its replacement limit are the operator's, not the feed's.
 */
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { products } from '../db/schema.ts';

export interface PushedProduct {
  sku: string;
  title: string;
  /** minutes within which the shop normally delivers automatically (default 5) */
  deliveryWindowMinutes?: number;
}

export const DEFAULT_DELIVERY_WINDOW_MINUTES = 5;

/** Creates the product, or renames it; true when a row was written. */
export async function upsertProduct(tx: Tx | Db, p: PushedProduct, unitPriceFen: number): Promise<boolean> {
  const written = await tx
    .insert(products)
    .values({
      sku: p.sku, title: p.title, priceCents: unitPriceFen, fulfilment: 'stock',
      deliveryWindowMinutes: p.deliveryWindowMinutes ?? DEFAULT_DELIVERY_WINDOW_MINUTES,
    })
    .onConflictDoUpdate({ target: products.sku, set: { title: p.title }, setWhere: sql`${products.title} <> excluded.title` })
    .returning({ sku: products.sku });
  return written.length > 0;
}

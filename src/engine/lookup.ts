/**
 * Finds what an order number (or a gateway transaction number) refers to: the new order, its
 * legacy record and its migration ledger row, whichever exist. An order comes with what it holds
 * (its keys, and how much of the stock it misses is there), read in the same statement: the
 * issuance checker needs no query of its own.
 */
import { eq, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { issuedKeys, legacyOrders, migrationLedger, orders, products, stockKeys } from '../db/schema.ts';

export type OrderRow = typeof orders.$inferSelect;
export type ProductRow = typeof products.$inferSelect;
export type LegacyRow = typeof legacyOrders.$inferSelect;
export type LedgerRow = typeof migrationLedger.$inferSelect;

export interface HeldKey {
  status: string;
  replacement: boolean;
  /** the secret's keyed hash (never the secret) */
  hash: string;
}

export interface Holdings {
  keys: HeldKey[];
  /** available stock of the product, counted only up to the order's quantity */
  stockAvailable: number;
}

export interface Lookup {
  /** the number as the caller gave it */
  asked: string;
  order?: OrderRow;
  product?: ProductRow;
  /** what the order holds; present with the order */
  holdings?: Holdings;
  legacy?: LegacyRow;
  ledger?: LedgerRow;
}

const HOLDINGS = {
  keys: sql<HeldKey[]>`coalesce((
    select json_agg(json_build_object('status', k.status, 'replacement', k.replacement, 'hash', k.secret_hash))
      from ${issuedKeys} k where k.order_id = ${orders.id}), '[]'::json)`,
  // counting stops at what the order could need: cheap even with a million keys in stock (the
  // order by keeps it on the available-stock index, never walking the keys already issued)
  stockAvailable: sql<number>`(select count(*)::int from (
    select 1 from ${stockKeys} s where s.sku = ${orders.sku} and s.status = 'available'
     order by s.added_at, s.id limit ${orders.quantity}) available)`,
};

/**
 * The order by our number or the gateway's (with the ledger row that migrated it), or by our number
 * only: its product and holdings too. Built once per database handle: this select is the widest
 * we run, on every diagnosis, and building it anew each time cost more than running it.
 */
function buildOrderQueries(db: Db) {
  const asked = sql.placeholder('asked');
  const base = () => db.select({ order: orders, product: products, ledger: migrationLedger, ...HOLDINGS })
    .from(orders)
    .innerJoin(products, eq(products.sku, orders.sku));
  return {
    byNumber: base()
      .leftJoin(migrationLedger, eq(migrationLedger.newOrderNo, orders.orderNo))
      .where(or(eq(orders.orderNo, asked), eq(orders.tradeNo, asked)))
      .limit(1)
      .prepare('order_by_number'),
    byOrderNo: base()
      .leftJoin(migrationLedger, sql`false`)
      .where(eq(orders.orderNo, asked))
      .limit(1)
      .prepare('order_by_order_no'),
  };
}
const orderQueries = new WeakMap<Db, ReturnType<typeof buildOrderQueries>>();

async function orderWith(db: Db, by: 'byNumber' | 'byOrderNo', asked: string) {
  let queries = orderQueries.get(db);
  if (!queries) orderQueries.set(db, (queries = buildOrderQueries(db)));
  const [hit] = await queries[by].execute({ asked });
  if (!hit) return undefined;
  return {
    order: hit.order,
    product: hit.product,
    ledger: hit.ledger ?? undefined,
    holdings: { keys: hit.keys, stockAvailable: Number(hit.stockAvailable) },
  };
}

export async function lookupOrder(db: Db, asked: string): Promise<Lookup> {
  const found: Lookup = { asked };
  // one round trip for the common case: the order, its product, its holdings and its ledger row if it was migrated
  const hit = await orderWith(db, 'byNumber', asked);
  let ledger = hit?.ledger;
  if (hit) {
    found.order = hit.order;
    found.product = hit.product;
    found.holdings = hit.holdings;
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
    const moved = await orderWith(db, 'byOrderNo', ledger.newOrderNo);
    if (moved) {
      found.order = moved.order;
      found.product = moved.product;
      found.holdings = moved.holdings;
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

/**
 * The built-in store's order lookup: the order by our number or the gateway's, with its product and
 * what it holds (its keys, and how much of the stock it misses is there) in ONE statement, so the
 * issuance checker needs no query of its own. Built once per database handle: this select is the
 * widest we run, on every diagnosis, and building it anew each time cost more than running it.
 */
import { desc, eq, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { issuedKeys, migrationLedger, orders, products, stockKeys } from '../../db/schema.ts';
import type { HeldKey, MigrationEntry, OrderView, ShopOrder } from '../../domain/order.ts';
import type { OrderSummary } from '../port.ts';
import { isChannel, UNSPOKEN_METHODS, type Channel, type UnspokenMethod } from '../../domain/verdicts.ts';

export type OrderRow = typeof orders.$inferSelect;

/** The built-in order carries the keyed hash of its query secret, which only this adapter reads. */
export interface BuiltinOrder extends ShopOrder {
  querySecretHash: string;
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
  // order-doctor's ledger row naming this order as the new one (engine/lookup.ts): in this
  // statement, since this store shares our database; a separate statement per check cost as
  // much as a third of the lookup on PGlite
  ledger: sql<LedgerJson | null>`(
    select json_build_object('legacyOrderNo', l.legacy_order_no, 'state', l.state, 'batch', l.batch, 'eta', l.eta, 'newOrderNo', l.new_order_no)
      from ${migrationLedger} l where l.new_order_no = ${orders.orderNo} limit 1)`,
};

type LedgerJson = Omit<MigrationEntry, 'eta'> & { eta: string | null };

function buildOrderQueries(db: Db) {
  const asked = sql.placeholder('asked');
  const base = () => db.select({ order: orders, product: products, ...HOLDINGS })
    .from(orders)
    .innerJoin(products, eq(products.sku, orders.sku));
  return {
    // the shop's number first: a number that is one order's own and another's gateway number names the former
    byNumber: base().where(or(eq(orders.orderNo, asked), eq(orders.tradeNo, asked), eq(orders.gatewayOrderNo, asked)))
      .orderBy(sql`${orders.orderNo} = ${asked} desc`).limit(1).prepare('order_by_number'),
    byOrderNo: base().where(eq(orders.orderNo, asked)).limit(1).prepare('order_by_order_no'),
  };
}
const orderQueries = new WeakMap<Db, ReturnType<typeof buildOrderQueries>>();

export async function findBuiltinOrder(db: Db, by: 'byNumber' | 'byOrderNo', asked: string): Promise<OrderView | undefined> {
  let queries = orderQueries.get(db);
  if (!queries) orderQueries.set(db, (queries = buildOrderQueries(db)));
  const [hit] = await queries[by].execute({ asked });
  if (!hit) return undefined;
  const p = hit.product;
  return {
    order: builtinOrder(hit.order),
    product: { sku: p.sku, title: p.title, fulfilment: p.fulfilment, deliveryWindowMinutes: p.deliveryWindowMinutes, maxReplacements: p.maxReplacements },
    holdings: { keys: hit.keys, stockAvailable: Number(hit.stockAvailable) },
    ledger: hit.ledger ? { ...hit.ledger, eta: hit.ledger.eta === null ? null : new Date(hit.ledger.eta) } : null,
  };
}

export function builtinOrder(o: OrderRow): BuiltinOrder {
  const spoken = isChannel(o.channel);
  return {
    id: o.id, orderNo: o.orderNo, sku: o.sku, quantity: o.quantity, amountCents: o.amountCents,
    channel: spoken ? o.channel as Channel : null,
    ...(spoken ? {} : { payment: { ref: o.channel, name: UNSPOKEN_METHODS[o.channel as UnspokenMethod] ?? o.channel, handler: o.channel } }),
    status: o.status, createdAt: o.createdAt, paidAt: o.paidAt, tradeNo: o.tradeNo, contact: o.contact,
    ...(o.gatewayOrderNo ? { gatewayOrderNo: o.gatewayOrderNo } : {}),
    querySecretHash: o.querySecretHash,
  };
}

/** A buyer's orders by contact, newest first (the orders_contact_idx expression index serves it). */
export async function findBuiltinByContact(db: Db, contact: string, limit: number): Promise<OrderSummary[]> {
  const rows = await db
    .select({ order: orders, productTitle: products.title })
    .from(orders)
    .innerJoin(products, eq(products.sku, orders.sku))
    .where(eq(sql`lower(${orders.contact})`, contact.trim().toLowerCase()))
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(limit);
  return rows.map((r) => ({ order: builtinOrder(r.order), productTitle: r.productTitle }));
}

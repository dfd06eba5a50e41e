/**
 * Finds what an order number (or a gateway transaction number) refers to: the shop's order (through
 * the shop port, with its product and holdings), and from order-doctor's own records its legacy
 * record and migration ledger row, whichever exist.
 */
import { eq, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { legacyOrders, migrationLedger } from '../db/schema.ts';
import type { LegacyOrder, Lookup, MigrationEntry } from '../domain/order.ts';
import type { ShopPort } from '../shops/port.ts';

/** Built once per database handle, like the shop's own lookup: they run on every diagnosis. */
function buildQueries(db: Db) {
  const key = sql.placeholder('key');
  return {
    ledger: db.select().from(migrationLedger)
      .where(or(eq(migrationLedger.legacyOrderNo, key), eq(migrationLedger.newOrderNo, key))).limit(2).prepare('ledger_by_number'),
    legacy: db.select().from(legacyOrders).where(eq(legacyOrders.orderNo, key)).limit(1).prepare('legacy_by_number'),
  };
}
const queries = new WeakMap<Db, ReturnType<typeof buildQueries>>();
function own(db: Db) {
  let q = queries.get(db);
  if (!q) queries.set(db, (q = buildQueries(db)));
  return q;
}

export interface LookupDeps {
  shop: ShopPort;
  database: { db: Db };
}

export async function lookupOrder(deps: LookupDeps, asked: string): Promise<Lookup> {
  const q = own(deps.database.db);
  const found: Lookup = { asked };
  // the shop's order and our ledger row at once: typed by its own number, the order's ledger row
  // (if it was migrated) is the one naming it as new
  const [view, ledgers] = await Promise.all([deps.shop.find(asked), q.ledger.execute({ key: asked })]);
  let ledger: MigrationEntry | undefined;
  if (view) {
    Object.assign(found, view);
    const orderNo = view.order.orderNo;
    ledger = ledgers.find((l) => l.newOrderNo === orderNo)
      ?? (orderNo === asked ? undefined : (await q.ledger.execute({ key: orderNo })).find((l) => l.newOrderNo === orderNo));
  } else {
    ledger = ledgers.find((l) => l.legacyOrderNo === asked);
  }
  const legacyNo = ledger?.legacyOrderNo ?? (view ? undefined : asked);
  if (legacyNo) {
    const [legacy] = await q.legacy.execute({ key: legacyNo });
    found.legacy = legacy as LegacyOrder | undefined;
  }
  found.ledger = ledger;
  // a legacy number whose order was migrated: diagnose the new order
  if (!view && ledger?.state === 'migrated' && ledger.newOrderNo) {
    const moved = await deps.shop.findByOrderNo(ledger.newOrderNo);
    if (moved) Object.assign(found, moved);
  }
  return found;
}

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
  // The built-in store's lookup reads the ledger row naming its order as new in the same statement
  // (OrderView.ledger), so ours is needed only when it finds no order (a legacy number): one
  // statement fewer per diagnosis. A shop in a database of its own is asked at the same time as
  // our ledger, as before.
  const [view, byAsked] = deps.shop.kind === 'builtin'
    ? [await deps.shop.find(asked), undefined]
    : await Promise.all([deps.shop.find(asked), q.ledger.execute({ key: asked })]);
  let ledger: MigrationEntry | undefined;
  if (view) {
    const { ledger: read, ...rest } = view;
    Object.assign(found, rest);
    const orderNo = view.order.orderNo;
    // typed by its own number, the order's ledger row (if it was migrated) is the one naming it as new
    ledger = read !== undefined
      ? read ?? undefined
      : byAsked!.find((l) => l.newOrderNo === orderNo)
        ?? (orderNo === asked ? undefined : (await q.ledger.execute({ key: orderNo })).find((l) => l.newOrderNo === orderNo));
  } else {
    const ledgers = byAsked ?? (await q.ledger.execute({ key: asked }));
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
    if (moved) {
      const { ledger: _sameRow, ...rest } = moved; // the ledger row that led here stays
      Object.assign(found, rest);
    }
  }
  return found;
}

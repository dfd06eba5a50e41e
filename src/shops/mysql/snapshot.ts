import type { MySql2Database } from 'drizzle-orm/mysql2';

/**
 * Reads from ONE consistent snapshot: an order row and its product's unsold keys read by two plain
 * statements let a delivery committing between them show the order still without keys and the keys
 * it had just taken as sold: "out of stock" for an order that was at that moment delivered (a
 * ticket and a restock wait for nothing). The kill harness caught it on dujiaoka; MySQL cannot
 * count up to the order's quantity inside the order's own statement, hence the consistent-snapshot
 * transaction. `ctx` is any adapter context carrying the shop's drizzle database as `db`.
 */
export function inSnapshot<C extends { db: MySql2Database }, T>(ctx: C, read: (c: C) => Promise<T>): Promise<T> {
  return ctx.db.transaction(
    // the transaction offers the same select API as the database it came from
    (tx) => read({ ...ctx, db: tx as unknown as MySql2Database }),
    // (not also 'read only': drizzle writes the two without the comma MariaDB requires)
    { isolationLevel: 'repeatable read', withConsistentSnapshot: true },
  );
}

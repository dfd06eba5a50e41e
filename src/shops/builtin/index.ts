/**
 * The built-in store: order-doctor's own tables (orders, products, stock, issued keys), the
 * embedded default, the demo and every scenario world. It shares order-doctor's database, so a
 * delivery commits in the diagnosis' own transaction and needs no journal.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { Database, Tx } from '../../db/client.ts';
import { issuedKeys } from '../../db/schema.ts';
import { digestsEqual, type SecretBox } from '../../crypto/secret-box.ts';
import type { ShopPort } from '../port.ts';
import { findBuiltinByContact, findBuiltinOrder, type BuiltinOrder } from './lookup.ts';
import { deliverBuiltin } from './deliver.ts';
import { builtinInStock, countBuiltinStuck, findBuiltinStuck } from './stuck.ts';

/** @param deps.announce queue a webhook for each delivery (push/webhook-outbox.ts): SHOP_WEBHOOK_URL is set */
export function createBuiltinShop(deps: { database: Database; box: SecretBox; announce?: boolean }): ShopPort {
  const { database, box } = deps;
  const announce = deps.announce ?? false;
  return {
    kind: 'builtin',
    separate: false,
    notes: [],
    find: (asked) => findBuiltinOrder(database.db, 'byNumber', asked),
    findByOrderNo: (orderNo) => findBuiltinOrder(database.db, 'byOrderNo', orderNo),
    findByContact: (contact, limit) => findBuiltinByContact(database.db, contact, limit),
    async verifySecret(order, secret) {
      const hash = (order as BuiltinOrder).querySecretHash;
      if (typeof hash !== 'string') throw new Error('not an order of the built-in store');
      return digestsEqual(await box.querySecretHash(order.orderNo, secret), hash);
    },
    async revealKeys(order) {
      const rows = await database.db
        .select()
        .from(issuedKeys)
        .where(and(eq(issuedKeys.orderId, order.id), eq(issuedKeys.status, 'delivered')))
        .orderBy(asc(issuedKeys.slot));
      const keys = [];
      for (const r of rows) {
        keys.push({ slot: r.slot, secret: await box.decrypt(r.secretEnc), issuedAt: r.issuedAt.toISOString(), replacement: r.replacement });
      }
      return keys;
    },
    deliver(req, ctx) {
      // the store's rows live in our database: the delivery joins the diagnosis' transaction
      if (ctx.tx) return deliverBuiltin(ctx.tx, box, req, announce);
      return database.db.transaction((tx: Tx) => deliverBuiltin(tx, box, req, announce));
    },
    landed() {
      throw new Error('the built-in store delivers in one transaction: there is no journal to settle');
    },
    findStuck: (q) => findBuiltinStuck(database, q),
    countStuck: (q) => countBuiltinStuck(database, q),
    inStock: (skus) => builtinInStock(database, skus),
    channels: async () => [],
    ping: async () => {},
    close: async () => {},
  };
}

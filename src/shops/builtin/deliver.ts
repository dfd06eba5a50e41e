/**
 * Delivery into the built-in store, exactly once, inside the diagnosis' own transaction.
 *
 * The order row is locked first, so concurrent checks of one order queue here and every later one
 * sees the slots already filled. Stock is claimed with FOR UPDATE SKIP LOCKED so checks of
 * different orders never wait for each other or take the same key. The constraints in
 * db/schema.ts (one valid key per slot, slots 1..quantity, one holder per key) back this up.
 */
import { and, eq, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Tx } from '../../db/client.ts';
import { issuedKeys, orders, stockKeys } from '../../db/schema.ts';
import type { SecretBox } from '../../crypto/secret-box.ts';
import type { DeliveryOutcome, DeliveryRequest } from '../port.ts';
import { enqueueKeysDelivered } from '../../push/webhook-outbox.ts';

/**
 * @param announce a pushing shop hears of the delivery (SHOP_WEBHOOK_URL): its webhook is queued
 * here, in this transaction, so it exists exactly when the keys do
 */
export async function deliverBuiltin(tx: Tx, box: SecretBox, req: DeliveryRequest, announce = false): Promise<DeliveryOutcome> {
  const [order] = await tx.select().from(orders).where(eq(orders.id, req.order.id)).for('update');
  if (!order) throw new Error(`order ${req.order.orderNo} vanished`);
  const held = await tx
    .select({ slot: issuedKeys.slot, status: issuedKeys.status, replacement: issuedKeys.replacement, hash: issuedKeys.secretHash })
    .from(issuedKeys)
    .where(eq(issuedKeys.orderId, order.id));
  const valid = held.filter((k) => k.status === 'delivered');
  const filled = new Set(valid.map((k) => k.slot));
  const free: number[] = [];
  for (let s = 1; s <= order.quantity; s++) if (!filled.has(s)) free.push(s);
  const base = { orderId: order.id, orderQuantity: order.quantity, status: 'delivered' as const, issuedAt: req.now, diagnosisId: req.diagnosisId };

  if (req.mode === 'restore') {
    const hashes = new Set(valid.map((k) => k.hash));
    const rows: (typeof issuedKeys.$inferInsert)[] = [];
    const keys: string[] = [];
    for (const secret of req.given) {
      const slot = free[rows.length];
      if (slot === undefined) break;
      const hash = await box.keyHash(secret);
      if (hashes.has(hash)) continue;
      rows.push({ ...base, slot, replacement: false, source: 'legacy', secretEnc: await box.encrypt(secret), secretHash: hash });
      keys.push(secret);
    }
    if (rows.length === 0) return { kind: 'nothing_to_restore', keysHeld: filled.size };
    const inserted = await tx.insert(issuedKeys).values(rows).returning({ id: issuedKeys.id });
    await tx.update(orders).set({ status: 'delivered', paidAt: order.paidAt ?? (req.payment?.paidAt ? new Date(req.payment.paidAt) : null) })
      .where(eq(orders.id, order.id));
    if (announce) await enqueueKeysDelivered(tx, announcement(order, req, inserted, 0));
    return {
      kind: 'issued', count: rows.length, replacements: 0, keysHeld: filled.size + rows.length, keys,
      detail: { count: rows.length, slots: rows.map((r) => r.slot) },
    };
  }

  if (free.length === 0) return { kind: 'already_delivered', keysHeld: filled.size };
  // a free slot whose key was voided gets a replacement; a never-filled slot gets its first key
  const voidedSlots = new Set(held.filter((k) => k.status === 'voided').map((k) => k.slot));
  const replacements = free.filter((s) => voidedSlots.has(s)).length;
  const used = held.filter((k) => k.replacement).length;
  if (replacements > 0 && !req.overrideLimit && used + replacements > req.product.maxReplacements) return { kind: 'limit_reached' };

  const fromSupplier = req.given.slice(0, free.length);
  const need = free.length - fromSupplier.length;
  const claimed = need ? await claimStock(tx, order.sku, need) : { keys: [], available: 0 };
  if (claimed.keys.length < need) return { kind: 'out_of_stock', missing: free.length, available: claimed.available + fromSupplier.length };

  const rows: (typeof issuedKeys.$inferInsert)[] = [];
  const keys: string[] = [];
  let i = 0;
  for (const secret of fromSupplier) {
    const slot = free[i++]!;
    rows.push({ ...base, slot, replacement: voidedSlots.has(slot), source: 'supplier', secretEnc: await box.encrypt(secret), secretHash: await box.keyHash(secret) });
    keys.push(secret);
  }
  for (const key of claimed.keys) {
    const slot = free[i++]!;
    rows.push({ ...base, slot, replacement: voidedSlots.has(slot), source: 'stock', stockKeyId: key.id, secretEnc: key.secretEnc, secretHash: key.secretHash });
    keys.push(await box.decrypt(key.secretEnc));
  }
  // The two writes do not depend on each other: sent together they cost one round trip (postgres.js
  // pipelines them on the transaction's connection). If one fails, the transaction fails with it.
  const [inserted] = await Promise.all([
    tx.insert(issuedKeys).values(rows).returning({ id: issuedKeys.id }),
    // a paid order closed by timeout before its payment landed is reopened and delivered here
    tx
      .update(orders)
      .set({
        status: 'delivered',
        paidAt: order.paidAt ?? (req.payment?.paidAt ? new Date(req.payment.paidAt) : req.now),
        tradeNo: order.tradeNo ?? req.payment?.tradeNo ?? null,
      })
      .where(eq(orders.id, order.id)),
  ]);
  if (announce) await enqueueKeysDelivered(tx, announcement(order, req, inserted, replacements));
  return {
    kind: 'issued', count: rows.length, replacements, keysHeld: filled.size + rows.length,
    keys,
    detail: {
      count: rows.length,
      replacements,
      slots: rows.map((r) => r.slot),
      sources: rows.map((r) => r.source),
      stockKeyIds: claimed.keys.map((c) => c.id),
      reopened: order.status === 'closed',
      previousStatus: order.status,
    },
  };
}

function announcement(order: typeof orders.$inferSelect, req: DeliveryRequest, inserted: { id: number }[], replacements: number) {
  return {
    deliveryKey: req.diagnosisId, orderNo: order.orderNo, sku: order.sku, quantity: order.quantity,
    count: inserted.length, replacements, issuedKeyIds: inserted.map((r) => r.id), now: req.now,
  };
}

interface StockKey { id: number; secretEnc: string; secretHash: string }

/**
 * Takes the `need` oldest available keys of a product (first in, first out) in one statement, all
 * or none: the keys are locked with SKIP LOCKED (racing checks of other orders take other keys,
 * never wait) and marked issued only if there are enough of them. Without enough, nothing changes
 * and the rows returned (without secrets) say how many there were. Exported for the query-plan test.
 */
export function claimStockQuery(sku: string, need: number): SQL {
  return sql`
    with picked as (
      select id from ${stockKeys}
       where sku = ${sku} and status = 'available'
       order by added_at, id limit ${need}
       for update skip locked
    ), taken as (
      update ${stockKeys} s set status = 'issued'
        from picked
       where s.id = picked.id and (select count(*) from picked) = ${need}
      returning s.id, s.secret_enc, s.secret_hash
    )
    select p.id, t.secret_enc, t.secret_hash from picked p left join taken t on t.id = p.id order by p.id`;
}

async function claimStock(tx: Tx, sku: string, need: number): Promise<{ keys: StockKey[]; available: number }> {
  const picked = await queryRows<{ id: number | string; secret_enc: string | null; secret_hash: string | null }>(tx, claimStockQuery(sku, need));
  const keys = picked.flatMap((r) =>
    r.secret_enc && r.secret_hash ? [{ id: Number(r.id), secretEnc: r.secret_enc, secretHash: r.secret_hash }] : []);
  return { keys, available: picked.length };
}

/** Valid keys an order holds. */
export async function validKeyCount(tx: Tx, orderId: number): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(issuedKeys)
    .where(and(eq(issuedKeys.orderId, orderId), eq(issuedKeys.status, 'delivered')));
  return Number(row?.n ?? 0);
}

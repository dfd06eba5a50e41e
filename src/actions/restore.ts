/**
 * Restore: copy onto the migrated order the keys its legacy record proves were delivered.
 * Same locking as reissue: the order row first, then only free slots and keys it does not hold.
 */
import { eq } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { issuedKeys, legacyOrders, orders } from '../db/schema.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import { audit, type Actor } from './audit.ts';

export type RestoreOutcome = { kind: 'restored'; count: number } | { kind: 'nothing_to_restore' };

export async function restore(
  tx: Tx,
  input: { orderId: number; legacyOrderNo: string; now: Date; actor: Actor; diagnosisId: string; box: SecretBox },
): Promise<RestoreOutcome> {
  const [order] = await tx.select().from(orders).where(eq(orders.id, input.orderId)).for('update');
  const [legacy] = await tx.select().from(legacyOrders).where(eq(legacyOrders.orderNo, input.legacyOrderNo));
  if (!order || !legacy || legacy.keyCount === 0) return { kind: 'nothing_to_restore' };
  const held = await tx
    .select({ slot: issuedKeys.slot, status: issuedKeys.status, hash: issuedKeys.secretHash })
    .from(issuedKeys)
    .where(eq(issuedKeys.orderId, order.id));
  const valid = held.filter((k) => k.status === 'delivered');
  const filled = new Set(valid.map((k) => k.slot));
  const hashes = new Set(valid.map((k) => k.hash));
  const free: number[] = [];
  for (let s = 1; s <= order.quantity; s++) if (!filled.has(s)) free.push(s);

  const rows: (typeof issuedKeys.$inferInsert)[] = [];
  for (const secret of JSON.parse(await input.box.decrypt(legacy.keysEnc)) as string[]) {
    const hash = await input.box.keyHash(secret);
    const slot = free[rows.length];
    if (slot === undefined) break;
    if (hashes.has(hash)) continue;
    rows.push({
      orderId: order.id, orderQuantity: order.quantity, slot, status: 'delivered', replacement: false,
      source: 'legacy', secretEnc: await input.box.encrypt(secret), secretHash: hash, issuedAt: input.now,
      diagnosisId: input.diagnosisId,
    });
  }
  if (rows.length === 0) return { kind: 'nothing_to_restore' };
  await tx.insert(issuedKeys).values(rows);
  await tx
    .update(orders)
    .set({ status: 'delivered', paidAt: order.paidAt ?? legacy.paidAt ?? null })
    .where(eq(orders.id, order.id));
  await audit(tx, {
    at: input.now, actor: input.actor, action: 'keys_restored', orderNo: order.orderNo, diagnosisId: input.diagnosisId,
    detail: { count: rows.length, slots: rows.map((r) => r.slot), legacyOrderNo: legacy.orderNo },
  });
  return { kind: 'restored', count: rows.length };
}

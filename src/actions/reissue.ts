/**
 * Reissue: fill the order's missing key slots, exactly once.
 *
 * The order row is locked first, so concurrent checks of one order queue here and every later one
 * sees the slots already filled. Stock is claimed with FOR UPDATE SKIP LOCKED so checks of
 * different orders never wait for each other or take the same key. The constraints in
 * db/schema.ts (one valid key per slot, slots 1..quantity, one holder per key) back this up.
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { issuedKeys, orders, stockKeys } from '../db/schema.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import { audit, type Actor } from './audit.ts';

export type ReissueOutcome =
  | { kind: 'issued'; count: number; replacements: number }
  | { kind: 'already_delivered' }
  | { kind: 'limit_reached' }
  | { kind: 'out_of_stock'; missing: number; available: number };

export interface ReissueInput {
  orderId: number;
  now: Date;
  actor: Actor;
  diagnosisId: string;
  box: SecretBox;
  /** secrets the supplier delivered for this order and the order does not hold yet */
  supplierKeys?: string[];
  /** what the verified payment evidence said, recorded on a reopened order */
  payment?: { paidAt?: string; tradeNo?: string };
  maxReplacements: number;
}

export async function reissue(tx: Tx, input: ReissueInput): Promise<ReissueOutcome> {
  const [order] = await tx.select().from(orders).where(eq(orders.id, input.orderId)).for('update');
  if (!order) throw new Error(`order ${input.orderId} vanished`);
  const held = await tx
    .select({ slot: issuedKeys.slot, status: issuedKeys.status, replacement: issuedKeys.replacement })
    .from(issuedKeys)
    .where(eq(issuedKeys.orderId, order.id));
  const filled = new Set(held.filter((k) => k.status === 'delivered').map((k) => k.slot));
  const free: number[] = [];
  for (let s = 1; s <= order.quantity; s++) if (!filled.has(s)) free.push(s);
  if (free.length === 0) return { kind: 'already_delivered' };

  // a free slot whose key was voided gets a replacement; a never-filled slot gets its first key
  const voidedSlots = new Set(held.filter((k) => k.status === 'voided').map((k) => k.slot));
  const replacements = free.filter((s) => voidedSlots.has(s)).length;
  const used = held.filter((k) => k.replacement).length;
  if (replacements > 0 && used + replacements > input.maxReplacements) return { kind: 'limit_reached' };

  const fromSupplier = (input.supplierKeys ?? []).slice(0, free.length);
  const need = free.length - fromSupplier.length;
  const claimed = need
    ? await tx
        .select({ id: stockKeys.id, secretEnc: stockKeys.secretEnc, secretHash: stockKeys.secretHash })
        .from(stockKeys)
        .where(and(eq(stockKeys.sku, order.sku), eq(stockKeys.status, 'available')))
        .orderBy(asc(stockKeys.id))
        .limit(need)
        .for('update', { skipLocked: true })
    : [];
  if (claimed.length < need) return { kind: 'out_of_stock', missing: free.length, available: claimed.length + fromSupplier.length };

  if (claimed.length) {
    await tx.update(stockKeys).set({ status: 'issued' }).where(inArray(stockKeys.id, claimed.map((c) => c.id)));
  }
  const rows: (typeof issuedKeys.$inferInsert)[] = [];
  const base = { orderId: order.id, orderQuantity: order.quantity, status: 'delivered' as const, issuedAt: input.now, diagnosisId: input.diagnosisId };
  let i = 0;
  for (const secret of fromSupplier) {
    const slot = free[i++]!;
    rows.push({ ...base, slot, replacement: voidedSlots.has(slot), source: 'supplier', secretEnc: await input.box.encrypt(secret), secretHash: await input.box.keyHash(secret) });
  }
  for (const key of claimed) {
    const slot = free[i++]!;
    rows.push({ ...base, slot, replacement: voidedSlots.has(slot), source: 'stock', stockKeyId: key.id, secretEnc: key.secretEnc, secretHash: key.secretHash });
  }
  await tx.insert(issuedKeys).values(rows);
  // a paid order closed by timeout before its payment landed is reopened and delivered here
  await tx
    .update(orders)
    .set({
      status: 'delivered',
      paidAt: order.paidAt ?? (input.payment?.paidAt ? new Date(input.payment.paidAt) : input.now),
      tradeNo: order.tradeNo ?? input.payment?.tradeNo ?? null,
    })
    .where(eq(orders.id, order.id));
  await audit(tx, {
    at: input.now,
    actor: input.actor,
    action: 'keys_issued',
    orderNo: order.orderNo,
    diagnosisId: input.diagnosisId,
    detail: {
      count: rows.length,
      replacements,
      slots: rows.map((r) => r.slot),
      sources: rows.map((r) => r.source),
      stockKeyIds: claimed.map((c) => c.id),
      reopened: order.status === 'closed',
      previousStatus: order.status,
    },
  });
  return { kind: 'issued', count: rows.length, replacements };
}

/** Valid keys an order holds (used by reports and the scenario runner). */
export async function validKeyCount(tx: Tx, orderId: number): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(issuedKeys)
    .where(and(eq(issuedKeys.orderId, orderId), eq(issuedKeys.status, 'delivered')));
  return Number(row?.n ?? 0);
}

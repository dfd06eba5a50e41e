/**
 * The buyer's check: verify the query secret (查询密码), then diagnose and act. An unknown order
 * and a wrong secret give the same answer, after the same work, so order numbers cannot be probed.
 */
import { and, asc, eq } from 'drizzle-orm';
import { digestsEqual } from '../crypto/secret-box.ts';
import { issuedKeys } from '../db/schema.ts';
import type { Services } from '../services.ts';
import { audit } from '../actions/audit.ts';
import { diagnose, type DiagnosisResult } from './diagnose.ts';
import { resolveOrder } from './resolve.ts';
import type { Lookup } from './lookup.ts';

export interface RevealedKey {
  slot: number;
  secret: string;
  issuedAt: string;
  replacement: boolean;
}

export type CustomerCheck =
  | { ok: false; error: 'verification_failed' }
  | { ok: true; result: DiagnosisResult; lookup: Lookup };

export async function verifyBuyer(svc: Services, orderNo: string, secret: string): Promise<Lookup | null> {
  const lookup = await resolveOrder(svc, orderNo);
  // a migrated buyer may still hold the old platform's secret: both are accepted
  const candidates: { no: string; hash: string }[] = [];
  if (lookup.order) candidates.push({ no: lookup.order.orderNo, hash: lookup.order.querySecretHash });
  if (lookup.legacy) candidates.push({ no: lookup.legacy.orderNo, hash: lookup.legacy.querySecretHash });
  if (candidates.length === 0) candidates.push({ no: orderNo, hash: '0'.repeat(64) }); // same work when unknown
  let ok = false;
  for (const c of candidates) ok = digestsEqual(await svc.box.querySecretHash(c.no, secret), c.hash) || ok;
  return ok ? lookup : null;
}

/**
 * A failed verification answers no sooner than this, so an unknown number (which also asks the
 * gateways whether it is one of their transaction numbers) cannot be told from a wrong secret by
 * its timing. The transaction-number lookup is capped below it (resolve.ts).
 */
export const VERIFICATION_FAILURE_FLOOR_MS = 1000;

export async function customerCheck(
  svc: Services,
  input: { orderNo: string; secret: string; ip?: string },
): Promise<CustomerCheck> {
  const started = performance.now();
  const lookup = await verifyBuyer(svc, input.orderNo, input.secret);
  if (!lookup) {
    const wait = VERIFICATION_FAILURE_FLOOR_MS - (performance.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    return { ok: false, error: 'verification_failed' };
  }
  const result = await diagnose(svc, {
    orderNo: input.orderNo, lookup, actor: { kind: 'customer', id: input.ip }, apply: true,
  });
  return { ok: true, result, lookup };
}

/** Decrypts the order's valid keys for a verified buyer, and audits the reveal in the same transaction. */
export async function revealKeys(
  svc: Services,
  input: { lookup: Lookup; ip?: string; diagnosisId?: string; via: 'api' | 'page' },
): Promise<RevealedKey[]> {
  const order = input.lookup.order;
  if (!order) return [];
  return svc.database.db.transaction(async (tx) => {
    const rows = await tx
      .select()
      .from(issuedKeys)
      .where(and(eq(issuedKeys.orderId, order.id), eq(issuedKeys.status, 'delivered')))
      .orderBy(asc(issuedKeys.slot));
    if (rows.length === 0) return [];
    await audit(tx, {
      at: svc.now(), actor: { kind: 'customer', id: input.ip }, action: 'keys_revealed', orderNo: order.orderNo,
      diagnosisId: input.diagnosisId, detail: { count: rows.length, slots: rows.map((r) => r.slot), via: input.via },
    });
    const keys: RevealedKey[] = [];
    for (const r of rows) {
      keys.push({ slot: r.slot, secret: await svc.box.decrypt(r.secretEnc), issuedAt: r.issuedAt.toISOString(), replacement: r.replacement });
    }
    return keys;
  });
}

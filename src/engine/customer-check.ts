/**
 * The buyer's check: verify the query secret (查询密码), then diagnose and act. An unknown order
 * and a wrong secret give the same answer, after the same work, so order numbers cannot be probed.
 */
import { digestsEqual } from '../crypto/secret-box.ts';
import type { Services } from '../services.ts';
import type { Lookup } from '../domain/order.ts';
import type { RevealedKey } from '../shops/port.ts';
import { audit } from '../actions/audit.ts';
import { diagnose, type DiagnosisResult } from './diagnose.ts';
import { resolveOrder } from './resolve.ts';

export type { RevealedKey };

export type CustomerCheck =
  | { ok: false; error: 'verification_failed' }
  | { ok: true; result: DiagnosisResult; lookup: Lookup };

export async function verifyBuyer(svc: Services, orderNo: string, secret: string): Promise<Lookup | null> {
  const lookup = await resolveOrder(svc, orderNo);
  // a migrated buyer may still hold the old platform's secret: both are accepted, both always checked
  let ok = lookup.order ? await svc.shop.verifySecret(lookup.order, secret) : false;
  const legacy = lookup.legacy ?? (lookup.order ? undefined : { orderNo, querySecretHash: '0'.repeat(64) }); // same work when unknown
  if (legacy) ok = digestsEqual(await svc.box.querySecretHash(legacy.orderNo, secret), legacy.querySecretHash) || ok;
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

/**
 * The order's valid keys for a verified buyer. The reveal is audited before any key leaves: if the
 * audit row cannot be written, no key is returned.
 */
export async function revealKeys(
  svc: Services,
  input: { lookup: Lookup; ip?: string; diagnosisId?: string; via: 'api' | 'page' },
): Promise<RevealedKey[]> {
  const order = input.lookup.order;
  if (!order) return [];
  const keys = await svc.shop.revealKeys(order);
  if (keys.length === 0) return [];
  await audit(svc.database.db, {
    at: svc.now(), actor: { kind: 'customer', id: input.ip }, action: 'keys_revealed', orderNo: order.orderNo,
    diagnosisId: input.diagnosisId, detail: { count: keys.length, slots: keys.map((k) => k.slot), via: input.via },
  });
  return keys;
}

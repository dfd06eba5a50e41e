/**
 * The buyer's check: resolve the number, verify the query secret (查询密码), then diagnose and act.
 * An unknown order, a wrong secret and a try the rate limits refused give the same answer, no
 * sooner than the same floor, so order numbers cannot be probed. A failed verification of an
 * existing order leaves an audit row and a log line (never the secret tried).
 */
import { digestsEqual } from '../crypto/secret-box.ts';
import type { LogContext } from '../observability/context.ts';
import type { Services } from '../services.ts';
import { canonicalOrderNo, exists, type Lookup } from '../domain/order.ts';
import type { RevealedKey } from '../shops/port.ts';
import { audit } from '../actions/audit.ts';
import { diagnose, type DiagnosisResult } from './diagnose.ts';
import { resolveOrder } from './resolve.ts';

export type { RevealedKey };

export type CustomerCheck =
  | { ok: false; error: 'verification_failed' }
  | { ok: true; result: DiagnosisResult; lookup: Lookup };

/**
 * What the customer check asks of the rate limits once it knows which order a number names
 * (http/rate-limits.ts): failures are counted against the order, whichever of its numbers was typed.
 */
export interface VerificationGuard {
  /** may this caller try the secret of this order now? false: answered as a wrong secret */
  admit(orderNo: string): Promise<boolean>;
  /** a failed verification: of this order (undefined: no such order); refused: not even tried. Returns the order's failure count, when kept */
  failed(orderNo: string | undefined, refused: boolean): Promise<number | undefined>;
  /** this caller opened this order with its secret */
  verified(orderNo: string): Promise<void>;
}

/** Whether `secret` opens what the number resolved to; the same work whether or not it is an order. */
export async function secretOpens(svc: Services, lookup: Lookup, secret: string): Promise<boolean> {
  // a migrated buyer may still hold the old platform's secret: both are accepted, both always checked
  let ok = lookup.order ? await svc.shop.verifySecret(lookup.order, secret) : false;
  const legacy = lookup.legacy ?? (lookup.order ? undefined : { orderNo: lookup.asked, querySecretHash: '0'.repeat(64) }); // same work when unknown
  if (legacy) ok = digestsEqual(await svc.box.querySecretHash(legacy.orderNo, secret), legacy.querySecretHash) || ok;
  return ok;
}

export async function verifyBuyer(svc: Services, orderNo: string, secret: string, logContext: LogContext): Promise<Lookup | null> {
  const lookup = await resolveOrder(svc, orderNo, logContext);
  return (await secretOpens(svc, lookup, secret)) ? lookup : null;
}

/**
 * A failed verification answers no sooner than this, so an unknown number (which also asks the
 * gateways whether it is one of their transaction numbers) cannot be told from a wrong secret by
 * its timing. The transaction-number lookup is capped below it (resolve.ts).
 */
export const VERIFICATION_FAILURE_FLOOR_MS = 1000;

const NO_GUARD: VerificationGuard = { admit: async () => true, failed: async () => undefined, verified: async () => {} };

export async function customerCheck(
  svc: Services,
  input: {
    orderNo: string; secret: string; ip?: string; guard?: VerificationGuard; via?: 'api' | 'page';
    /** where the line about a failed verification goes (the HTTP routes log it; scenario runs need not) */
    log?: (line: string) => void;
    /** whose work this is (the request's id), for the diagnosis's log lines */
    logContext: LogContext;
  },
): Promise<CustomerCheck> {
  const started = performance.now();
  const guard = input.guard ?? NO_GUARD;
  const lookup = await resolveOrder(svc, input.orderNo, input.logContext);
  // limits count the order, not the number typed: its own, its gateway's or its legacy number
  const orderNo = exists(lookup) ? canonicalOrderNo(lookup) : undefined;
  const admitted = orderNo === undefined || (await guard.admit(orderNo));
  if (!admitted || !(await secretOpens(svc, lookup, input.secret))) {
    const failures = await guard.failed(orderNo, !admitted);
    if (orderNo !== undefined) {
      await recordFailure(svc, { orderNo, asked: input.orderNo, ip: input.ip, via: input.via, refused: !admitted, failures }, input.log);
    }
    const wait = VERIFICATION_FAILURE_FLOOR_MS - (performance.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    return { ok: false, error: 'verification_failed' };
  }
  await guard.verified(orderNo!);
  const result = await diagnose(svc, {
    orderNo: input.orderNo, lookup, actor: { kind: 'customer', id: input.ip }, apply: true, logContext: input.logContext,
  });
  return { ok: true, result, lookup };
}

/**
 * One audit row and one log line per failed verification of an existing order: who, by which
 * number, whether the limits refused it, the order's failure count. Never the secret tried. A
 * failure to write it is logged and changes nothing in the answer (which must not differ from an
 * unknown order's).
 */
async function recordFailure(
  svc: Services,
  f: { orderNo: string; asked: string; ip?: string; via?: 'api' | 'page'; refused: boolean; failures?: number },
  log: (line: string) => void = () => {},
): Promise<void> {
  const detail = {
    asked: f.asked, refused: f.refused, ...(f.via ? { via: f.via } : {}), ...(f.failures !== undefined ? { failures: f.failures } : {}),
  };
  log(
    `[verify] failed verification of order ${f.orderNo}${f.asked !== f.orderNo ? ` (asked as ${f.asked})` : ''} from ${f.ip ?? 'unknown'}` +
      `${f.refused ? ', refused by the rate limits' : ''}${f.failures !== undefined ? `; ${f.failures} failed recently` : ''}`,
  );
  try {
    await audit(svc.database.db, { at: svc.now(), actor: { kind: 'customer', id: f.ip }, action: 'verification_failed', orderNo: f.orderNo, detail });
  } catch (err) {
    log(`[verify] could not audit a failed verification of order ${f.orderNo}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * The order's valid keys for a verified buyer, or only the one in `slot`. The reveal is audited,
 * naming exactly the slots revealed, before any key leaves: if the audit row cannot be written, no
 * key is returned. A slot the order does not hold reveals nothing and audits nothing.
 */
export async function revealKeys(
  svc: Services,
  input: { lookup: Lookup; ip?: string; diagnosisId?: string; via: 'api' | 'page'; slot?: number },
): Promise<RevealedKey[]> {
  const order = input.lookup.order;
  if (!order) return [];
  const keys = (await svc.shop.revealKeys(order)).filter((k) => input.slot === undefined || k.slot === input.slot);
  if (keys.length === 0) return [];
  await audit(svc.database.db, {
    at: svc.now(), actor: { kind: 'customer', id: input.ip }, action: 'keys_revealed', orderNo: order.orderNo,
    diagnosisId: input.diagnosisId, detail: { count: keys.length, slots: keys.map((k) => k.slot), via: input.via },
  });
  return keys;
}

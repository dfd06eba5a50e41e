import type { Exchange, FaultKind } from '../domain/payment.ts';
import type { QueryOptions } from '../net/types.ts';

/**
 * What an upstream card-key supplier said about one order's fulfilment.
 *
 * Like PaymentEvidence, `state` is only meaningful when `trust` is 'verified'; an answer that could
 * not be obtained or verified is 'untrusted' with a `fault` and must never be read as "failed" or
 * "not found" (re-buying on a guess would pay the supplier twice).
 */
export interface SupplierEvidence {
  trust: 'verified' | 'untrusted';
  state?: 'processing' | 'success' | 'failed' | 'untreated' | 'not_found';
  /** decrypted card secrets, success only; NEVER put them in `exchange` */
  keys?: string[];
  /** when the supplier accepted the order (ISO-8601) */
  since?: string;
  /** when the supplier finished it, success or failure (ISO-8601) */
  finishedAt?: string;
  /** why the supplier failed the order, when it says */
  reason?: string;
  fault?: { kind: FaultKind; message: string };
  /** What was asked and answered, card fields redacted, for agents to read. */
  exchange: Exchange[];
  attempts: number;
  ms: number;
}

export interface SupplierClient {
  /** Never throws: every failure comes back as `trust: 'untrusted'` with a fault. */
  query(orderNo: string, opts: QueryOptions): Promise<SupplierEvidence>;
}

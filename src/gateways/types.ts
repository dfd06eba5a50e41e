/**
 * The payment gateway port: what the checkers ask of every gateway adapter. The evidence it
 * answers with is the domain's (domain/payment.ts).
 */
import type { Channel } from '../domain/verdicts.ts';
import type { PaymentEvidence, TradeRef } from '../domain/payment.ts';
import type { QueryOptions } from '../net/types.ts';

export interface PaymentGateway {
  readonly channel: Channel;
  /** Never throws: every failure comes back as `trust: 'untrusted'` with a fault. */
  query(ref: TradeRef, opts: QueryOptions): Promise<PaymentEvidence>;
}

import type { Channel } from './verdicts.ts';

/**
 * What a payment gateway said about one trade, normalised across channels
 * (../shared/reference/gateway-protocols.md section 0).
 *
 * `state` is only meaningful when `trust` is not 'untrusted'. An answer that could not be obtained
 * or verified is `trust: 'untrusted'` with a `fault`; callers must never read it as "unpaid".
 */
export type PaymentState =
  | 'paid'
  | 'unpaid' // created, waiting for the buyer (EPay 0, WAIT_BUYER_PAY, NOTPAY)
  | 'in_progress' // the buyer is paying right now (USERPAYING)
  | 'not_found' // the gateway has no such trade (buyer never reached the cashier)
  | 'closed' // closed/expired/revoked, never paid
  | 'refunded' // paid, then refunded
  | 'failed' // the payment attempt failed (PAYERROR)
  | 'held'; // money moved but is frozen / pre-authorised (EPay 3, 4)

export type FaultKind =
  | 'timeout'
  | 'network' // refused, reset, DNS
  | 'http' // unexpected status (5xx, 401...)
  | 'rate_limited' // 429 / FREQUENCY_LIMITED
  | 'parse' // body did not parse or did not match the protocol's shape
  | 'signature' // missing or bad signature, SIGNTEST probe
  | 'stale' // signed timestamp outside the allowed window
  | 'protocol' // a well-formed error answer (wrong app id / mchid, bad key, system busy)
  | 'circuit_open'; // the breaker fails fast while the gateway is down

export interface PaymentEvidence {
  channel: Channel;
  /** verified: signature checked; unsigned: protocol carries none (EPay V1); untrusted: see fault. */
  trust: 'verified' | 'unsigned' | 'untrusted';
  state?: PaymentState;
  /** total the gateway says was paid (order total, not the buyer's share after coupons), in fen */
  amountCents?: number;
  paidAt?: string; // ISO-8601
  refundedAt?: string;
  tradeNo?: string; // the gateway's own transaction number
  outTradeNo?: string; // our order number as the gateway echoes it
  reason?: string; // failure reason, when the gateway gives one
  fault?: { kind: FaultKind; message: string };
  /** What was asked and answered, secrets redacted, for agents to read. */
  exchange: Exchange[];
  attempts: number;
  ms: number;
}

export interface Exchange {
  method: string;
  url: string; // secrets (EPay key) redacted
  requestBody?: string; // redacted
  status?: number;
  responseHeaders?: Record<string, string>;
  responseBody?: string; // truncated to a few KB
  signature?: 'verified' | 'failed' | 'absent' | 'not_applicable';
  ms: number;
  error?: string;
}

/** Either our order number or the gateway's own transaction number. */
export type TradeRef = { orderNo: string } | { tradeNo: string };

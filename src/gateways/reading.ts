/**
 * What a protocol's interpreter makes of a verified answer: normalised facts, or a fault. Either
 * way it keeps the trade numbers the answer named, so untrusted evidence still shows them.
 */
import type { FaultKind, PaymentState } from '../domain/payment.ts';

export type TradeIds = { tradeNo?: string; outTradeNo?: string };

export type Reading =
  | ({ ok: true; state: PaymentState; amountCents?: number; paidAt?: string; reason?: string } & TradeIds)
  | ({ ok: false; fault: { kind: FaultKind; message: string } } & TradeIds);

/** A non-empty string field, or undefined: gateways send "" for "not known". */
export const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Only the trade numbers that are present, so no `tradeNo: undefined` key reaches the evidence. */
export function tradeIds(tradeNo: string | undefined, outTradeNo: string | undefined): TradeIds {
  return { ...(tradeNo ? { tradeNo } : {}), ...(outTradeNo ? { outTradeNo } : {}) };
}

import type { FaultKind, PaymentEvidence, PaymentState, TradeRef } from '../../domain/payment.ts';
import { parseYuanToCents } from '../money.ts';
import { beijingToIso } from './beijing-time.ts';
import { phpString } from './sign.ts';

/**
 * Lenient reading of EPay answers: clones and PHP versions differ (status as "1" or 1, extra
 * fields, missing empty fields), so we accept every spelling of a fact but never guess a fact.
 */

export type EpayFields = Record<string, unknown>;
export type Facts = Pick<PaymentEvidence, 'state' | 'amountCents' | 'paidAt' | 'tradeNo' | 'outTradeNo'>;
export type Interpretation = { ok: true; facts: Facts } | { ok: false; fault: { kind: FaultKind; message: string } };

/** status column -> normalised state (gateway-protocols.md 1.2: 3 frozen and 4 pre-authorised both hold money) */
const STATUS: Record<string, PaymentState> = { '0': 'unpaid', '1': 'paid', '2': 'refunded', '3': 'held', '4': 'held' };
const MONEY_MOVED = new Set<PaymentState>(['paid', 'refunded', 'held']);

/** A JSON object, or undefined for anything else (truncated body, HTML error page, array). */
export function decodeAnswer(body: string): EpayFields | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as EpayFields) : undefined;
  } catch {
    return undefined;
  }
}

/** `code` as PHP compares it loosely: 1, "1" and " 1" are all one. */
export function codeOf(fields: EpayFields): number | undefined {
  const text = phpString(fields.code)?.trim();
  return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : undefined;
}

export function messageOf(fields: EpayFields): string {
  return phpString(fields.msg) ?? '';
}

/**
 * "订单号不存在". On V2 the generic code for any thrown error is also -1, so there the message has
 * to say it; V1's api.php uses -1 only for a missing order.
 */
export function isNotFound(fields: EpayFields, version: 'v1' | 'v2'): boolean {
  if (codeOf(fields) !== -1) return false;
  return version === 'v1' || /不存在|not\s*(exist|found)/i.test(messageOf(fields));
}

/** Turns a success answer's fields into payment facts, or a fault when a needed fact is unreadable. */
export function interpretOrder(fields: EpayFields, ref: TradeRef): Interpretation {
  const statusText = phpString(fields.status)?.trim() ?? '';
  const state = STATUS[statusText];
  if (!state) return fault('parse', `unknown or missing status ${JSON.stringify(fields.status)}`);

  const outTradeNo = nonEmpty(fields.out_trade_no);
  const tradeNo = nonEmpty(fields.trade_no);
  // A clone that answers about a different order must never let us act on this one.
  if ('orderNo' in ref && outTradeNo !== undefined && outTradeNo !== ref.orderNo) {
    return fault('protocol', `answer is for out_trade_no ${outTradeNo}, asked ${ref.orderNo}`);
  }
  if ('tradeNo' in ref && tradeNo !== undefined && tradeNo !== ref.tradeNo) {
    return fault('protocol', `answer is for trade_no ${tradeNo}, asked ${ref.tradeNo}`);
  }

  let amountCents: number | undefined;
  const money = fields.money;
  if (money !== undefined && money !== null && money !== '') {
    const cents = typeof money === 'string' || typeof money === 'number' ? parseYuanToCents(money) : null;
    if (cents === null) return fault('parse', `unreadable money ${JSON.stringify(money)}`);
    amountCents = cents;
  } else if (MONEY_MOVED.has(state)) {
    // the decision compares the paid total with the order total; without it nothing is proven
    return fault('parse', `status ${statusText} without money`);
  }

  const facts: Facts = { state, tradeNo, outTradeNo };
  if (amountCents !== undefined) facts.amountCents = amountCents;
  if (MONEY_MOVED.has(state)) {
    const paidAt = beijingToIso(fields.endtime);
    if (paidAt) facts.paidAt = paidAt;
  }
  return { ok: true, facts };
}

function nonEmpty(v: unknown): string | undefined {
  const s = phpString(v)?.trim();
  return s ? s : undefined;
}

function fault(kind: FaultKind, message: string): Interpretation {
  return { ok: false, fault: { kind, message } };
}

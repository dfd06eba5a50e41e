/**
 * Turns a verified `alipay_trade_query_response` (or `error_response`) object into a normalised
 * state, or a fault. Pure: signature checking happens before, in the adapter.
 */
import type { FaultKind, TradeRef } from '../../domain/payment.ts';
import { nonEmpty, tradeIds, type Reading } from '../reading.ts';
import { parseYuanToCents } from '../money.ts';
import { parseBeijingDateTime } from './protocol.ts';

const SUCCESS = '10000';

/** Gateway or business codes that mean "busy, ask again": the client retries them first. */
export function isAlipayBusy(inner: Record<string, unknown>): boolean {
  return inner['code'] === '20000' || inner['sub_code'] === 'ACQ.SYSTEM_ERROR';
}

/** True when the answer claims nothing about the trade (an error other than "no such trade"). */
export function isAlipayErrorWithoutClaim(inner: Record<string, unknown>): boolean {
  const code = inner['code'];
  return typeof code === 'string' && code !== SUCCESS && inner['sub_code'] !== 'ACQ.TRADE_NOT_EXIST';
}

function describe(inner: Record<string, unknown>): string {
  return [inner['code'], inner['msg'], inner['sub_code'], inner['sub_msg']]
    .filter((v) => typeof v === 'string' && v !== '')
    .join(' ');
}

export function readAlipayQuery(inner: Record<string, unknown>, ref: TradeRef): Reading {
  const outTradeNo = nonEmpty(inner['out_trade_no']);
  const tradeNo = nonEmpty(inner['trade_no']);
  const ids = tradeIds(tradeNo, outTradeNo);
  const fault = (kind: FaultKind, message: string): Reading => ({ ok: false, fault: { kind, message }, ...ids });

  if (isAlipayBusy(inner)) return fault('protocol', `gateway stayed busy after retries: ${describe(inner)}`);

  // An answer about some other trade (misrouted, replayed or a shared app id) proves nothing here.
  const echoed = 'orderNo' in ref ? outTradeNo : tradeNo;
  const asked = 'orderNo' in ref ? ref.orderNo : ref.tradeNo;
  if (echoed !== undefined && echoed !== asked) {
    return fault('protocol', `answer is about trade ${echoed}, asked for ${asked}`);
  }

  if (inner['code'] === '40004' && inner['sub_code'] === 'ACQ.TRADE_NOT_EXIST') {
    // Usually: the buyer never opened the Alipay cashier, so no trade was created yet.
    return { ok: true, state: 'not_found', ...ids };
  }
  if (inner['code'] !== SUCCESS) return fault('protocol', describe(inner) || 'answer without a code');
  if (echoed === undefined) return fault('parse', `success answer without ${'orderNo' in ref ? 'out_trade_no' : 'trade_no'}`);

  const status = inner['trade_status'];
  const sendPayDate = inner['send_pay_date'];
  const paidAt = sendPayDate === undefined || sendPayDate === '' ? undefined : parseBeijingDateTime(sendPayDate);
  if (paidAt === null) return fault('parse', `send_pay_date is not yyyy-MM-dd HH:mm:ss: ${String(sendPayDate)}`);

  const amount = (): number | null => {
    const v = inner['total_amount'];
    return typeof v === 'string' || typeof v === 'number' ? parseYuanToCents(v) : null;
  };

  switch (status) {
    case 'TRADE_SUCCESS':
    case 'TRADE_FINISHED': {
      const amountCents = amount();
      if (amountCents === null) return fault('parse', `paid answer with unreadable total_amount: ${String(inner['total_amount'])}`);
      return { ok: true, state: 'paid', amountCents, ...(paidAt ? { paidAt } : {}), ...ids };
    }
    case 'WAIT_BUYER_PAY':
      return { ok: true, state: 'unpaid', ...ids };
    case 'TRADE_CLOSED': {
      // TRADE_CLOSED covers both "expired unpaid" and "paid then fully refunded"; only the
      // payment date tells them apart.
      if (!paidAt) return { ok: true, state: 'closed', ...ids };
      const amountCents = amount();
      return { ok: true, state: 'refunded', paidAt, ...(amountCents !== null ? { amountCents } : {}), ...ids };
    }
    default:
      return fault('parse', `unknown trade_status: ${String(status)}`);
  }
}

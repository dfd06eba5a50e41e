/**
 * Reads a verified WeChat Pay v3 query answer (status + parsed JSON) into a normalised state or a
 * fault. Pure: signature and timestamp checks happen before, in the adapter.
 */
import type { FaultKind, TradeRef } from '../../domain/payment.ts';
import { wechatTradeState } from './trade-state.ts';
import { nonEmpty, tradeIds, type Reading, type TradeIds } from '../reading.ts';



export function readWechatQuery(
  status: number,
  doc: Record<string, unknown>,
  ref: TradeRef,
  expect: { mchid: string; appid: string },
): Reading {
  const fault = (kind: FaultKind, message: string, ids: TradeIds = {}): Reading =>
    ({ ok: false, fault: { kind, message }, ...ids });

  if (status !== 200) {
    const code = nonEmpty(doc['code']) ?? 'no code';
    if (status === 404 && code === 'ORDER_NOT_EXIST') {
      return { ok: true, state: 'not_found', ...('orderNo' in ref ? { outTradeNo: ref.orderNo } : { tradeNo: ref.tradeNo }) };
    }
    return fault('protocol', `HTTP ${status} ${code}: ${nonEmpty(doc['message']) ?? ''}`.trim());
  }

  const outTradeNo = nonEmpty(doc['out_trade_no']);
  const tradeNo = nonEmpty(doc['transaction_id']);
  const ids = tradeIds(tradeNo, outTradeNo);

  // A signed answer for another merchant or app (shared platform key, misrouting) proves nothing here.
  if (doc['mchid'] !== expect.mchid) return fault('protocol', `answer is for mchid ${String(doc['mchid'])}, expected ${expect.mchid}`, ids);
  if (doc['appid'] !== expect.appid) return fault('protocol', `answer is for appid ${String(doc['appid'])}, expected ${expect.appid}`, ids);
  const echoed = 'orderNo' in ref ? outTradeNo : tradeNo;
  const asked = 'orderNo' in ref ? ref.orderNo : ref.tradeNo;
  if (echoed !== asked) return fault('protocol', `answer is about trade ${String(echoed)}, asked for ${asked}`, ids);

  const tradeState = doc['trade_state'];
  const state = wechatTradeState(tradeState);
  if (!state) return fault('parse', `unknown trade_state: ${String(tradeState)}`, ids);

  const reading: Reading & { ok: true } = { ok: true, state, ...ids };
  if (state === 'paid' || state === 'refunded') {
    // amount.total is the order total in fen; payer_total is smaller when coupons applied.
    const amount = doc['amount'];
    const total = typeof amount === 'object' && amount !== null ? (amount as Record<string, unknown>)['total'] : undefined;
    if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 0) {
      return fault('parse', `${String(tradeState)} answer with unreadable amount.total: ${JSON.stringify(total)}`, ids);
    }
    reading.amountCents = total;
    const successTime = doc['success_time'];
    if (successTime !== undefined) {
      const at = typeof successTime === 'string' ? new Date(successTime) : new Date(NaN);
      if (Number.isNaN(at.getTime())) return fault('parse', `success_time is not RFC 3339: ${String(successTime)}`, ids);
      reading.paidAt = at.toISOString();
    }
  }
  if (state === 'failed') {
    const reason = nonEmpty(doc['trade_state_desc']);
    if (reason) reading.reason = reason;
  }
  return reading;
}

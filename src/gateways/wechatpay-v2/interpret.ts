/**
 * Reads a WeChat Pay v2 `pay/orderquery` answer into a normalised state or a fault. Pure: the
 * adapter has already verified the `sign` of any return_code SUCCESS answer; a return_code FAIL
 * answer is unsigned by protocol and becomes a fault here without claiming anything.
 */
import type { FaultKind, TradeRef } from '../../domain/payment.ts';
import { wechatTradeState } from '../wechatpay/trade-state.ts';
import { nonEmpty, tradeIds, type Reading, type TradeIds } from '../reading.ts';
import type { XmlFields } from './xml.ts';



const BEIJING_OFFSET_MS = 8 * 3600_000;
const TIME_END = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;

export function readWechatV2Query(fields: XmlFields, ref: TradeRef, expect: { appid: string; mchid: string }): Reading {
  const fault = (kind: FaultKind, message: string, ids: TradeIds = {}): Reading => ({ ok: false, fault: { kind, message }, ...ids });
  const field = (name: string) => (Object.hasOwn(fields, name) ? nonEmpty(fields[name]) : undefined);

  const returnCode = field('return_code');
  if (returnCode === 'FAIL') return fault('protocol', `return_code FAIL: ${field('return_msg') ?? 'no return_msg'}`);
  if (returnCode !== 'SUCCESS') return fault('parse', `return_code is ${JSON.stringify(returnCode ?? null)}, not SUCCESS or FAIL`);

  const outTradeNo = field('out_trade_no');
  const tradeNo = field('transaction_id');
  const ids = tradeIds(tradeNo, outTradeNo);

  // The key is per merchant, but an answer for another app or merchant (misrouting, a proxy
  // shared between shops) proves nothing about this order even when its sign verifies.
  if (field('mch_id') !== expect.mchid) return fault('protocol', `answer is for mch_id ${String(field('mch_id'))}, expected ${expect.mchid}`, ids);
  if (field('appid') !== expect.appid) return fault('protocol', `answer is for appid ${String(field('appid'))}, expected ${expect.appid}`, ids);

  const resultCode = field('result_code');
  if (resultCode === 'FAIL') {
    const errCode = field('err_code') ?? 'no err_code';
    // No such order under this merchant: like Alipay's TRADE_NOT_EXIST, often "never reached the cashier".
    if (errCode === 'ORDERNOTEXIST') return { ok: true, state: 'not_found', ...askedIds(ref) };
    return fault('protocol', `result_code FAIL ${errCode}: ${field('err_code_des') ?? ''}`.trim(), ids);
  }
  if (resultCode !== 'SUCCESS') return fault('parse', `result_code is ${JSON.stringify(resultCode ?? null)}, not SUCCESS or FAIL`, ids);

  const echoed = 'orderNo' in ref ? outTradeNo : tradeNo;
  const asked = 'orderNo' in ref ? ref.orderNo : ref.tradeNo;
  if (echoed !== asked) return fault('protocol', `answer is about trade ${String(echoed)}, asked for ${asked}`, ids);

  const tradeState = field('trade_state');
  const state = wechatTradeState(tradeState);
  if (!state) return fault('parse', `unknown trade_state: ${String(tradeState)}`, ids);

  const reading: Reading & { ok: true } = { ok: true, state, ...ids };
  if (state === 'paid' || state === 'refunded') {
    // total_fee is the order total in fen; cash_fee is smaller when coupons applied.
    const totalFee = field('total_fee');
    if (totalFee === undefined || !/^\d{1,15}$/.test(totalFee)) {
      return fault('parse', `${tradeState} answer with unreadable total_fee: ${JSON.stringify(totalFee ?? null)}`, ids);
    }
    reading.amountCents = Number(totalFee);
    const timeEnd = field('time_end');
    if (timeEnd !== undefined) {
      const paidAt = beijingTimeEndToIso(timeEnd);
      if (!paidAt) return fault('parse', `time_end is not yyyyMMddHHmmss: ${timeEnd}`, ids);
      reading.paidAt = paidAt;
    }
  }
  if (state === 'failed') {
    const reason = field('trade_state_desc');
    if (reason) reading.reason = reason;
  }
  return reading;
}

function askedIds(ref: TradeRef): TradeIds {
  return 'orderNo' in ref ? { outTradeNo: ref.orderNo } : { tradeNo: ref.tradeNo };
}

/**
 * '20261122101602' (Beijing wall time, which has no DST) -> '2026-11-22T02:16:02.000Z';
 * anything else, including a date that does not exist, -> undefined.
 */
export function beijingTimeEndToIso(value: string): string | undefined {
  const m = TIME_END.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59) return undefined;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls 2026-02-31 over into March; a real gateway never writes that.
  if (new Date(wall).getUTCDate() !== d) return undefined;
  return new Date(wall - BEIJING_OFFSET_MS).toISOString();
}

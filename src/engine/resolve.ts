/**
 * Resolves what a buyer or agent typed into an order: our order number, a legacy number, or the
 * gateway's own transaction number (支付宝/微信交易号, EPay trade_no). Many buyers only have the
 * latter, and the shop may never have learnt it (the callback was lost), so when no local record
 * matches, every gateway is asked by that number and the trade it names leads to the order.
 */
import type { Services } from '../services.ts';
import { exists, lookupOrder, type Lookup } from './lookup.ts';
import { CHANNELS } from '../domain/verdicts.ts';

/** Order and trade numbers are short ASCII tokens; anything else is not worth a gateway query. */
export const TRADE_LOOKUP_TIMEOUT_MS = 900;

export const ORDER_NO_PATTERN = /^[A-Za-z0-9_-]{4,64}$/;

export async function resolveOrder(svc: Services, asked: string): Promise<Lookup> {
  const local = await lookupOrder(svc.database.db, asked);
  if (exists(local) || !ORDER_NO_PATTERN.test(asked)) return local;
  // capped below customer-check's failure floor, so unknown numbers answer in constant time
  const signal = AbortSignal.timeout(Math.min(svc.config.checkerTimeoutMs, TRADE_LOOKUP_TIMEOUT_MS));
  const answers = await Promise.all(
    CHANNELS.map((ch) => svc.gateways[ch].query({ tradeNo: asked }, { signal }).catch(() => null)),
  );
  for (const a of answers) {
    // only an answer we can trust may name the order (EPay V1 carries no signature but can only
    // lead to an order whose own query secret the buyer must still know)
    if (a && a.trust !== 'untrusted' && a.outTradeNo && a.outTradeNo !== asked) {
      const found = await lookupOrder(svc.database.db, a.outTradeNo);
      if (found.order && found.order.channel === a.channel) return found;
    }
  }
  return local;
}

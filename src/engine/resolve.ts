/**
 * Resolves what a buyer or agent typed into an order: the shop's order number, a legacy number, or
 * the gateway's own transaction number (支付宝/微信交易号, EPay trade_no). Many buyers only have the
 * latter, and the shop may never have learnt it (the callback was lost), so when no record matches,
 * every gateway that could know it is asked by that number and the trade it names leads to the order.
 */
import type { LogContext } from '../observability/context.ts';
import type { Services } from '../services.ts';
import { exists, type Lookup } from '../domain/order.ts';
import { isOrderNo } from '../domain/order-number.ts';
import { lookupOrder } from './lookup.ts';

/** Capped below customer-check's failure floor, so unknown numbers answer in constant time. */
export const TRADE_LOOKUP_TIMEOUT_MS = 900;

export async function resolveOrder(svc: Services, asked: string, logContext: LogContext): Promise<Lookup> {
  const local = await lookupOrder(svc, asked);
  // only short ASCII tokens are worth a gateway query
  if (exists(local) || !isOrderNo(asked)) return local;
  const signal = AbortSignal.timeout(Math.min(svc.config.checkerTimeoutMs, TRADE_LOOKUP_TIMEOUT_MS));
  const gateways = await svc.gateways.all().catch(() => []);
  const answers = await Promise.all(gateways.map((g) => g.query({ tradeNo: asked }, { signal, logContext }).catch(() => null)));
  for (const a of answers) {
    // only an answer we can trust may name the order (EPay V1 carries no signature but can only
    // lead to an order whose own query secret the buyer must still know)
    if (a && a.trust !== 'untrusted' && a.outTradeNo && a.outTradeNo !== asked) {
      const found = await lookupOrder(svc, a.outTradeNo);
      if (found.order && found.order.channel === a.channel) return found;
    }
  }
  return local;
}

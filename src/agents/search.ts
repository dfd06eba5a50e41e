/**
 * Finding an order for an agent: by the shop's order number, a legacy number or the gateway's
 * transaction number (engine/resolve.ts, which asks the gateways when no record knows the number),
 * or by the buyer's contact through the shop port (an email; a phone or QQ number the built-in
 * store keeps as typed). Works alike on the built-in store and a connected shop.
 */
import { canonicalOrderNo, exists, type Lookup } from '../domain/order.ts';
import { isOrderNo } from '../domain/order-number.ts';
import { resolveOrder } from '../engine/resolve.ts';
import { CONTACT_SEARCH_LIMIT, type OrderSummary } from '../shops/port.ts';
import type { LogContext } from '../observability/context.ts';
import type { Services } from '../services.ts';

export interface SearchHit {
  orderNo: string;
  /** how the query matched it */
  by: 'order_no' | 'trade_no' | 'legacy' | 'contact';
  status: string;
  createdAt?: Date;
  amountCents?: number;
  productTitle?: string;
  contact?: string | null;
}

/** What a search box may hold: an order or trade number, an email, a phone number. */
export const MAX_QUERY_LENGTH = 200;

export async function searchOrders(svc: Services, raw: string, logContext: LogContext): Promise<SearchHit[]> {
  const q = raw.trim();
  if (!q || q.length > MAX_QUERY_LENGTH || /\p{Cc}/u.test(q)) return [];
  if (!q.includes('@') && isOrderNo(q)) {
    const lookup = await resolveOrder(svc, q, logContext);
    if (exists(lookup)) return [fromLookup(lookup, q)];
  }
  // an email, or a number no order, legacy record or gateway knows: perhaps the buyer's contact
  const found = await svc.shop.findByContact(q, CONTACT_SEARCH_LIMIT);
  return found.map(fromSummary);
}

function fromLookup(l: Lookup, q: string): SearchHit {
  const orderNo = canonicalOrderNo(l);
  if (l.order) {
    const by = l.order.orderNo === q ? 'order_no' : l.legacy?.orderNo === q ? 'legacy' : 'trade_no';
    return {
      orderNo, by, status: l.order.status, createdAt: l.order.createdAt, amountCents: l.order.amountCents,
      productTitle: l.product?.title, contact: l.order.contact,
    };
  }
  return {
    orderNo, by: 'legacy', status: l.ledger ? `legacy: migration ${l.ledger.state}` : `legacy: ${l.legacy?.status ?? 'unknown'}`,
    amountCents: l.legacy?.amountCents, productTitle: l.legacy?.sku,
  };
}

function fromSummary(s: OrderSummary): SearchHit {
  const o = s.order;
  return { orderNo: o.orderNo, by: 'contact', status: o.status, createdAt: o.createdAt, amountCents: o.amountCents, productTitle: s.productTitle, contact: o.contact };
}

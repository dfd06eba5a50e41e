/**
 * The payment checker: asks the order's own gateway, over its real signed protocol, whether,
 * when and how much was paid.
 */
import type { PaymentFinding } from '../domain/findings.ts';
import type { Checker } from './types.ts';

export const paymentChecker: Checker<PaymentFinding> = {
  name: 'payment',
  async run({ svc, lookup, signal }) {
    const { order } = lookup;
    if (!order) throw new Error('no order to ask the gateway about');
    // whether the answer may be believed is the decision's (domain/decide.ts trustsPaymentClaim)
    return { evidence: await svc.gateways[order.channel].query({ orderNo: order.orderNo }, { signal }) };
  },
};

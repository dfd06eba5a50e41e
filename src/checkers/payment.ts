/**
 * The payment checker: asks the order's own gateway, over its real signed protocol, whether,
 * when and how much was paid: the gateway the directory names for it (services.ts wires which).
 */
import type { PaymentFinding } from '../domain/findings.ts';
import type { Checker } from './types.ts';

export const paymentChecker: Checker<PaymentFinding> = {
  name: 'payment',
  async run({ svc, lookup, signal, logContext }) {
    const { order } = lookup;
    if (!order) throw new Error('no order to ask the gateway about');
    const choice = await svc.gateways.forOrder(order);
    // no way to ask (a gateway we do not speak, or no credentials): the decision says who must look
    if ('unverifiable' in choice) return choice;
    // whether the answer may be believed is the decision's (domain/decide.ts trustsPaymentClaim)
    return { evidence: await choice.gateway.query({ orderNo: order.gatewayOrderNo ?? order.orderNo }, { signal, logContext }) };
  },
};

/**
 * The payment checker: asks the order's own gateway, over its real signed protocol, whether,
 * when and how much was paid.
 */
import type { PaymentFinding } from '../domain/findings.ts';
import type { Checker } from './types.ts';

const MONEY_MOVED = new Set(['paid', 'refunded', 'held']);

export const paymentChecker: Checker<PaymentFinding> = {
  name: 'payment',
  async run({ svc, lookup, signal }) {
    const { order } = lookup;
    if (!order) throw new Error('no order to ask the gateway about');
    const evidence = await svc.gateways[order.channel].query({ orderNo: order.orderNo }, { signal });
    // an unsigned answer (EPay V1) can say "nothing happened"; whether it can prove money moved
    // is the operator's call (EPAY_V1_TRUST)
    const trusted =
      evidence.trust === 'verified' ||
      (evidence.trust === 'unsigned' && (!MONEY_MOVED.has(evidence.state ?? '') || svc.config.epayV1Trust === 'accept'));
    return { evidence, trusted };
  },
};

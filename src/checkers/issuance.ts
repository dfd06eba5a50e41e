/**
 * The issuance checker: which keys the order holds and their status, the stock it could be filled
 * from, and for supplier products what the supplier says about the fulfilment.
 */
import type { IssuanceFinding, SupplierFacts } from '../domain/findings.ts';
import type { SupplierEvidence } from '../suppliers/types.ts';
import type { Checker } from './types.ts';

export interface IssuanceResult {
  finding: IssuanceFinding;
  /** the supplier's answer with its exchange, for the agent's evidence view (keys removed) */
  supplier?: Omit<SupplierEvidence, 'keys'>;
  /** supplier-delivered secrets the order does not hold yet: handed to the reissue, never persisted */
  supplierKeys: string[];
}

export const issuanceChecker: Checker<IssuanceResult> = {
  name: 'issuance',
  async run({ svc, lookup, signal, logContext }) {
    const { order, product } = lookup;
    if (!order || !product) throw new Error('no migrated order to check');
    // what the order holds came with the lookup, in the same statement as the order itself
    if (!lookup.holdings) throw new Error('the lookup carries no holdings');
    const { keys, stockAvailable } = lookup.holdings;
    const validKeys = keys.filter((k) => k.status === 'delivered').length;
    const missing = Math.max(0, order.quantity - validKeys);
    const finding: IssuanceFinding = {
      quantity: order.quantity,
      validKeys,
      voidedKeys: keys.filter((k) => k.status === 'voided').length,
      replacementsUsed: keys.filter((k) => k.replacement).length,
      maxReplacements: product.maxReplacements,
      stockAvailable: Math.min(stockAvailable, missing),
      ...(lookup.holdings.manual ? { manual: lookup.holdings.manual } : {}),
    };
    // the supplier is asked only about an order still missing keys
    if (product.fulfilment !== 'supplier' || missing === 0) return { finding, supplierKeys: [] };

    const answer = await svc.supplier.query(order.orderNo, { signal, logContext });
    const { keys: delivered = [], ...shown } = answer;
    const held = new Set(keys.filter((k) => k.status === 'delivered').map((k) => k.hash));
    const fresh: string[] = [];
    for (const key of delivered) if (!held.has(await svc.box.keyHash(key))) fresh.push(key);
    finding.supplier = supplierFacts(answer, fresh.length);
    return { finding, supplier: shown, supplierKeys: fresh };
  },
};

function supplierFacts(e: SupplierEvidence, keysAvailable: number): SupplierFacts {
  if (e.trust !== 'verified' || !e.state) return { state: 'unknown', keysAvailable: 0, reason: e.fault?.message };
  // a supplier that never heard of the order has not started it: same as failed for the decision
  const state = e.state === 'not_found' ? 'failed' : e.state;
  return { state, since: e.since, reason: e.reason, keysAvailable: state === 'success' ? keysAvailable : 0 };
}

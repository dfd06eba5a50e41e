/**
 * The issuance checker: which keys the order holds and their status, the stock it could be filled
 * from, and for supplier products what the supplier says about the fulfilment.
 */
import { eq, sql } from 'drizzle-orm';
import type { IssuanceFinding, SupplierFacts } from '../domain/findings.ts';
import { issuedKeys, stockKeys } from '../db/schema.ts';
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
  async run({ svc, lookup, signal }) {
    const { order, product } = lookup;
    if (!order || !product) throw new Error('no migrated order to check');
    const db = svc.database.db;
    // the supplier is asked at once, beside the local queries (it is the slow part); the answer is
    // dropped, and the request cancelled, if the order turns out to hold all its keys
    const cancelSupplier = new AbortController();
    const supplierAnswer =
      product.fulfilment === 'supplier' && order.status !== 'delivered'
        ? svc.supplier.query(order.orderNo, { signal: AbortSignal.any([signal, cancelSupplier.signal]) })
        : undefined;
    const [keys, stock] = await Promise.all([
      db
        .select({ status: issuedKeys.status, replacement: issuedKeys.replacement, hash: issuedKeys.secretHash })
        .from(issuedKeys)
        .where(eq(issuedKeys.orderId, order.id)),
      // counting stops at what the order could need: cheap even with a million keys in stock
      svc.database.rows<{ n: number }>(sql`
        select count(*)::int as n from (
          select 1 from ${stockKeys}
          where ${stockKeys.sku} = ${order.sku} and ${stockKeys.status} = 'available'
          limit ${order.quantity}) s`),
    ]);
    const validKeys = keys.filter((k) => k.status === 'delivered').length;
    const missing = Math.max(0, order.quantity - validKeys);
    const finding: IssuanceFinding = {
      quantity: order.quantity,
      validKeys,
      voidedKeys: keys.filter((k) => k.status === 'voided').length,
      replacementsUsed: keys.filter((k) => k.replacement).length,
      maxReplacements: product.maxReplacements,
      stockAvailable: Math.min(Number(stock[0]?.n ?? 0), missing),
    };
    if (product.fulfilment !== 'supplier' || missing === 0) {
      cancelSupplier.abort();
      supplierAnswer?.catch(() => {});
      return { finding, supplierKeys: [] };
    }

    const answer = await (supplierAnswer ?? svc.supplier.query(order.orderNo, { signal }));
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

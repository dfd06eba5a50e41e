/**
 * The issuance checker: which keys the order holds and their status, the stock it could be filled
 * from, and for supplier products what the supplier says about the fulfilment.
 */
import { sql } from 'drizzle-orm';
import type { IssuanceFinding, SupplierFacts } from '../domain/findings.ts';
import { issuedKeys, stockKeys } from '../db/schema.ts';
import type { SupplierEvidence } from '../suppliers/types.ts';
import type { Checker } from './types.ts';

interface HeldKey { status: string; replacement: boolean; hash: string }

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
    // the supplier is asked at once, beside the local queries (it is the slow part); the answer is
    // dropped, and the request cancelled, if the order turns out to hold all its keys
    const cancelSupplier = new AbortController();
    const supplierAnswer =
      product.fulfilment === 'supplier' && order.status !== 'delivered'
        ? svc.supplier.query(order.orderNo, { signal: AbortSignal.any([signal, cancelSupplier.signal]) })
        : undefined;
    // one statement: the keys the order holds, and the available stock counted only up to what the
    // order could need (cheap even with a million keys in stock)
    const [row] = await svc.database.rows<{ keys: HeldKey[]; stock: number }>(sql`
      select coalesce((select json_agg(json_build_object('status', k.status, 'replacement', k.replacement, 'hash', k.secret_hash))
                         from ${issuedKeys} k where k.order_id = ${order.id}), '[]'::json) as keys,
             (select count(*)::int from (
                select 1 from ${stockKeys} s where s.sku = ${order.sku} and s.status = 'available'
                 limit ${order.quantity}) available) as stock`);
    const keys = row?.keys ?? [];
    const validKeys = keys.filter((k) => k.status === 'delivered').length;
    const missing = Math.max(0, order.quantity - validKeys);
    const finding: IssuanceFinding = {
      quantity: order.quantity,
      validKeys,
      voidedKeys: keys.filter((k) => k.status === 'voided').length,
      replacementsUsed: keys.filter((k) => k.replacement).length,
      maxReplacements: product.maxReplacements,
      stockAvailable: Math.min(Number(row?.stock ?? 0), missing),
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

/**
 * The legacy-migration checker: what the pre-migration platform's record and the migration ledger
 * say about this order, and whether they agree with the migrated order.
 */
import type { MigrationFinding } from '../domain/findings.ts';
import { legacyKeys } from '../domain/legacy.ts';
import type { Checker } from './types.ts';

export const migrationChecker: Checker<MigrationFinding> = {
  name: 'migration',
  async run({ svc, lookup }) {
    const { legacy, ledger, order } = lookup;
    const legacyOrderNo = ledger?.legacyOrderNo ?? legacy?.orderNo;
    if (!legacyOrderNo) return { kind: 'none' };
    const batch = ledger?.batch ?? undefined;
    const state = ledger?.state ?? (order ? 'migrated' : 'pending');
    if (state === 'pending' || (state === 'migrated' && !order)) {
      return { kind: 'pending', legacyOrderNo, batch, eta: ledger?.eta?.toISOString() };
    }
    if (state === 'failed') return { kind: 'failed', legacyOrderNo, batch };
    if (state === 'conflict' || !order || !legacy) {
      return { kind: 'conflict', legacyOrderNo, fields: state === 'conflict' ? ['ledger'] : ['record'], batch };
    }
    const fields: string[] = [];
    if (legacy.amountCents !== order.amountCents) fields.push('amount');
    if (legacy.sku !== order.sku) fields.push('product');
    if (legacy.quantity !== order.quantity) fields.push('quantity');
    if (legacy.status === 'refunded' && order.status !== 'refunded') fields.push('payment');
    if (fields.length) return { kind: 'conflict', legacyOrderNo, fields, batch };

    // what the order holds came with the lookup (keyed hashes, never the keys)
    const held = (lookup.holdings?.keys ?? []).filter((k) => k.status === 'delivered');
    const heldHashes = new Set(held.map((h) => h.hash));
    let missing = 0;
    for (const key of await legacyKeys(svc.box, legacy)) if (!heldHashes.has(await svc.box.keyHash(key))) missing++;
    missing = Math.min(missing, Math.max(0, order.quantity - held.length));
    return {
      kind: 'migrated',
      legacyOrderNo,
      batch,
      missingKeys: missing,
      legacyPaidAt: legacy.paidAt?.toISOString(),
    };
  },
};

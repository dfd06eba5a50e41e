/**
 * Recovery of deliveries into a shop's own database whose record order-doctor never finished: the
 * process died between the shop's commit and ours (or ours failed). For each journal entry still
 * `prepared` a while after it was written, the shop is asked whether the keys landed (under the
 * order's row lock, so a delivery still in flight is waited out): if they did, the audit row, the
 * diagnosis and the buyer's email are written now, marked recovered; if not (or if the keys it finds
 * are those of a later attempt at the same order: actions/journal.ts supersedingEntry), the shop
 * rolled back, the entry says so, and the order is simply diagnosed again by the next check or sweep.
 */
import { diagnoses } from '../db/schema.ts';
import { explain } from '../domain/explain.ts';
import { ACTION_FOR, type Verdict } from '../domain/verdicts.ts';
import type { OrderFacts } from '../domain/findings.ts';
import type { DecisionFacts } from '../domain/decide.ts';
import { audit, type Actor } from '../actions/audit.ts';
import { recordDelivery } from '../actions/deliver.ts';
import { settleJournal, supersedingEntry, unsettledEntries, type JournalRecord, type PreparedEntry } from '../actions/journal.ts';
import type { Services } from '../services.ts';

/** A prepared entry younger than this may belong to a diagnosis still finishing its record. */
export const RECOVERY_GRACE_MS = 30_000;

export interface RecoverySummary {
  recovered: number;
  rolledBack: number;
  failed: number;
}

export async function recoverDeliveries(
  svc: Services,
  opts: { graceMs?: number; log?: (line: string) => void } = {},
): Promise<RecoverySummary> {
  const out: RecoverySummary = { recovered: 0, rolledBack: 0, failed: 0 };
  const before = new Date(svc.now().getTime() - (opts.graceMs ?? RECOVERY_GRACE_MS));
  for (const entry of await unsettledEntries(svc.database, before)) {
    try {
      const landed = await svc.shop.landed({ orderNo: entry.orderNo, detail: entry.detail as Record<string, unknown> });
      // the keys may be there because a later attempt at the order delivered the same keys; asked
      // only now, after the shop's lock was waited out, so an attempt that was in flight is journalled
      const supersededBy = landed === 'landed' ? await supersedingEntry(svc.database.db, entry) : null;
      if (landed === 'landed' && !supersededBy) {
        if (await finishRecord(svc, entry)) out.recovered++;
      } else if (await markRolledBack(svc, entry, supersededBy)) {
        out.rolledBack++;
      }
    } catch (err) {
      // the shop is unreachable: the entry stays prepared and the next run tries again
      out.failed++;
      opts.log?.(`recovery: delivery ${entry.id} of ${entry.orderNo}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (out.recovered || out.rolledBack) {
    opts.log?.(`recovery: ${out.recovered} deliveries recorded after a crash, ${out.rolledBack} found rolled back`);
  }
  return out;
}

async function finishRecord(svc: Services, entry: PreparedEntry): Promise<boolean> {
  const record = entry.record as JournalRecord;
  const detail = entry.detail as { count?: number; keysHeld?: number };
  const order = record.order as OrderFacts | undefined;
  const actor: Actor = { kind: entry.actorKind as Actor['kind'], ...(entry.actorId ? { id: entry.actorId } : {}) };
  const now = svc.now();
  const count = Number(detail.count ?? 0);
  const action = record.mode === 'restore' ? 'restored' : 'reissued';
  return svc.database.db.transaction(async (tx) => {
    // recordDelivery settles the entry first: if the diagnosis finished after all, it writes nothing
    let settled = false;
    await recordDelivery(tx, svc, {
      outcome: { kind: 'issued', count, replacements: 0, keysHeld: Number(detail.keysHeld ?? count), keys: [], detail: entry.detail as Record<string, unknown>, journalId: entry.id },
      mode: record.mode, shop: entry.shop, actor, diagnosisId: entry.diagnosisId, now, recovered: true,
      order: { orderNo: entry.orderNo, quantity: order?.quantity ?? count, contact: record.contact ?? null },
      product: { title: order?.productTitle ?? '' },
      onSettled: () => { settled = true; },
    });
    if (!settled) return false;
    const verdict = record.verdict as Verdict;
    const facts = record.facts as DecisionFacts;
    const explanation = explain({
      decision: { verdict, action: ACTION_FOR[verdict], facts, neededPayment: true },
      order,
      applied: { action, keysIssued: count },
    });
    await tx.insert(diagnoses).values({
      id: entry.diagnosisId, orderNo: entry.orderNo, actorKind: actor.kind, actorId: actor.id ?? null, verdict, action,
      suggested: null, findings: { order, recovered: { journal: entry.id, preparedAt: entry.preparedAt.toISOString() } },
      facts, explanation, ticketNumber: null, startedAt: new Date(record.startedAt), durationMs: 0,
    }).onConflictDoNothing();
    return true;
  });
}

async function markRolledBack(svc: Services, entry: PreparedEntry, supersededBy: string | null): Promise<boolean> {
  const now = svc.now();
  return svc.database.db.transaction(async (tx) => {
    if (!(await settleJournal(tx, entry.id, 'rolled_back', now))) return false;
    await audit(tx, {
      at: now, actor: { kind: 'system', id: 'recovery' }, action: 'delivery_rolled_back', orderNo: entry.orderNo,
      diagnosisId: entry.diagnosisId,
      detail: { journal: entry.id, shop: entry.shop, preparedAt: entry.preparedAt.toISOString(), ...(supersededBy ? { supersededBy } : {}) },
    });
    return true;
  });
}

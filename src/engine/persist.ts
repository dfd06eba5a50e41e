import type { Tx } from '../db/client.ts';
import { diagnoses } from '../db/schema.ts';
import type { Services } from '../services.ts';

/**
 * Runs the action and records the diagnosis in ONE transaction: an action is never applied
 * without its diagnosis and audit row, and a crash in between leaves neither. A diagnosis that
 * changes nothing (`writes: false`) is one insert, without the transaction's extra round trips.
 */
export async function persistDiagnosis<T extends { row: typeof diagnoses.$inferInsert }>(
  svc: Services,
  opts: { writes: boolean },
  work: (tx: Tx) => Promise<T>,
): Promise<T> {
  if (!opts.writes) {
    const result = await work(svc.database.db as unknown as Tx);
    await svc.database.db.insert(diagnoses).values(result.row);
    return result;
  }
  return svc.database.db.transaction(async (tx) => {
    const result = await work(tx);
    // a delivery into a separate shop that recovery already recorded has its diagnosis row: keep it
    await tx.insert(diagnoses).values(result.row).onConflictDoNothing();
    return result;
  });
}

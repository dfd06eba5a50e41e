import type { Tx } from '../db/client.ts';
import { diagnoses } from '../db/schema.ts';
import type { Services } from '../services.ts';

/**
 * Runs the action and records the diagnosis in ONE transaction: an action is never applied
 * without its diagnosis and audit row, and a crash in between leaves neither.
 */
export async function persistDiagnosis<T extends { row: typeof diagnoses.$inferInsert }>(
  svc: Services,
  work: (tx: Tx) => Promise<T>,
): Promise<T> {
  return svc.database.db.transaction(async (tx) => {
    const result = await work(tx);
    await tx.insert(diagnoses).values(result.row);
    return result;
  });
}

import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { diagnoses } from '../db/schema.ts';
import type { Services } from '../services.ts';

type DiagnosisRow = typeof diagnoses.$inferInsert;

/**
 * The insert of a diagnosis that changes nothing, built once per database handle: every check
 * ends with it, and drizzle building its thirteen-column statement anew each time cost more CPU
 * than any other query work of a check (profile of `npm run bench:load`). Each column's encoder
 * (the jsonb ones' JSON.stringify) still runs on the values at execution.
 */
function buildInsert(db: Db) {
  const p = <K extends keyof DiagnosisRow>(name: K) => sql.placeholder(name);
  return db.insert(diagnoses).values({
    id: p('id'), orderNo: p('orderNo'), actorKind: p('actorKind'), actorId: p('actorId'), verdict: p('verdict'), action: p('action'),
    suggested: p('suggested'), findings: p('findings'), facts: p('facts'), explanation: p('explanation'), ticketNumber: p('ticketNumber'),
    startedAt: p('startedAt'), durationMs: p('durationMs'),
  }).prepare('insert_diagnosis');
}
const inserts = new WeakMap<Db, ReturnType<typeof buildInsert>>();

async function insertDiagnosis(db: Db, row: DiagnosisRow): Promise<void> {
  let insert = inserts.get(db);
  if (!insert) inserts.set(db, (insert = buildInsert(db)));
  // every column named, absent ones as null, as the unprepared insert would have sent them
  await insert.execute({
    ...row, actorId: row.actorId ?? null, suggested: row.suggested ?? null, ticketNumber: row.ticketNumber ?? null,
  });
}

/**
 * Runs the action and records the diagnosis in ONE transaction: an action is never applied
 * without its diagnosis and audit row, and a crash in between leaves neither. A diagnosis that
 * changes nothing (`writes: false`) is one insert, without the transaction's extra round trips.
 */
export async function persistDiagnosis<T extends { row: DiagnosisRow }>(
  svc: Services,
  opts: { writes: boolean },
  work: (tx: Tx) => Promise<T>,
): Promise<T> {
  if (!opts.writes) {
    const result = await work(svc.database.db as unknown as Tx);
    await insertDiagnosis(svc.database.db, result.row);
    return result;
  }
  return svc.database.db.transaction(async (tx) => {
    const result = await work(tx);
    // a delivery into a separate shop that recovery already recorded has its diagnosis row: keep it
    await tx.insert(diagnoses).values(result.row).onConflictDoNothing();
    return result;
  });
}

import type { Db, Tx } from '../db/client.ts';
import { auditLog } from '../db/schema.ts';

export interface Actor {
  kind: 'customer' | 'agent' | 'sweep' | 'system';
  id?: string;
}

/** Writes one audit row, inside the caller's transaction when given one: the action and its record land together. */
export async function audit(
  tx: Tx | Db,
  row: { at: Date; actor: Actor; action: string; orderNo?: string; diagnosisId?: string; detail: Record<string, unknown> },
): Promise<void> {
  await tx.insert(auditLog).values({
    at: row.at,
    actorKind: row.actor.kind,
    actorId: row.actor.id ?? null,
    action: row.action,
    orderNo: row.orderNo ?? null,
    diagnosisId: row.diagnosisId ?? null,
    detail: row.detail,
  });
}

/**
 * Defer: queue the order for the sweep, which re-checks it on a backoff schedule.
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { sweepQueue } from '../db/schema.ts';
import { audit, type Actor } from './audit.ts';

export async function defer(
  tx: Tx,
  input: { orderNo: string; reason: string; now: Date; nextAt: Date; actor: Actor; diagnosisId: string; verdict: string },
): Promise<{ nextAt: string }> {
  await tx
    .insert(sweepQueue)
    .values({ orderNo: input.orderNo, reason: input.reason, nextAt: input.nextAt, enqueuedAt: input.now, lastVerdict: input.verdict })
    // already queued: keep its attempt count (the backoff schedule), bring the next check forward if sooner
    .onConflictDoUpdate({
      target: sweepQueue.orderNo,
      set: { reason: input.reason, lastVerdict: input.verdict, nextAt: sql`least(${sweepQueue.nextAt}, excluded.next_at)` },
    });
  await audit(tx, {
    at: input.now, actor: input.actor, action: 'deferred', orderNo: input.orderNo, diagnosisId: input.diagnosisId,
    detail: { reason: input.reason, nextAt: input.nextAt.toISOString() },
  });
  return { nextAt: input.nextAt.toISOString() };
}

/**
 * Defer: queue the order for the sweep, which re-checks it on a backoff schedule.
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { sweepQueue } from '../db/schema.ts';
import { audit, type Actor } from './audit.ts';

export async function defer(
  tx: Tx,
  input: {
    orderNo: string; reason: string; now: Date; nextAt: Date; actor: Actor; diagnosisId: string; verdict: string;
    /** the order's gateway, product and creation, kept on the queue row (the shop may be another database) */
    channel: string | null; sku: string | null; orderCreatedAt: Date | null;
  },
): Promise<{ nextAt: string }> {
  await tx
    .insert(sweepQueue)
    .values({
      orderNo: input.orderNo, reason: input.reason, nextAt: input.nextAt, enqueuedAt: input.now, lastVerdict: input.verdict,
      channel: input.channel, sku: input.sku, orderCreatedAt: input.orderCreatedAt,
    })
    // already waiting: keep its attempt count (the backoff schedule), bring the next check forward if
    // sooner; closed by the sweep before: it starts over, as a new entry
    .onConflictDoUpdate({
      target: sweepQueue.orderNo,
      set: {
        reason: input.reason,
        lastVerdict: input.verdict,
        nextAt: sql`case when ${sweepQueue.doneAt} is null then least(${sweepQueue.nextAt}, excluded.next_at) else excluded.next_at end`,
        attempts: sql`case when ${sweepQueue.doneAt} is null then ${sweepQueue.attempts} else 0 end`,
        enqueuedAt: sql`case when ${sweepQueue.doneAt} is null then ${sweepQueue.enqueuedAt} else excluded.enqueued_at end`,
        doneAt: null,
        channel: sql`coalesce(excluded.channel, ${sweepQueue.channel})`,
        sku: sql`coalesce(excluded.sku, ${sweepQueue.sku})`,
        orderCreatedAt: sql`coalesce(excluded.order_created_at, ${sweepQueue.orderCreatedAt})`,
      },
    });
  await audit(tx, {
    at: input.now, actor: input.actor, action: 'deferred', orderNo: input.orderNo, diagnosisId: input.diagnosisId,
    detail: { reason: input.reason, nextAt: input.nextAt.toISOString() },
  });
  return { nextAt: input.nextAt.toISOString() };
}

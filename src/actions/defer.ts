/**
 * Defer: queue the order for the sweep, which re-checks it on a backoff schedule.
 *
 * A defer is the newest word on when to look again. If another actor's check defers an order while
 * a sweeper holds its row (a live lease), the row is taken out of that sweeper's hands: the time
 * this check promised stands, and the sweeper's release, which only touches rows it still holds,
 * cannot replace it with its own schedule (or close the row) a moment later. A sweep's own
 * diagnosis deferring the row it holds keeps its lease: its release then counts the attempt.
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
  const holder = input.actor.kind === 'sweep' ? (input.actor.id ?? null) : null;
  const heldByAnother = sql`(${sweepQueue.leaseUntil} >= ${input.now.toISOString()}::timestamptz and ${sweepQueue.leasedBy} is distinct from ${holder})`;
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
        // a held row's next_at is the past time it fell due: this check's time replaces it
        nextAt: sql`case when ${sweepQueue.doneAt} is null and not ${heldByAnother} then least(${sweepQueue.nextAt}, excluded.next_at) else excluded.next_at end`,
        leaseUntil: sql`case when ${heldByAnother} then null else ${sweepQueue.leaseUntil} end`,
        leasedBy: sql`case when ${heldByAnother} then null else ${sweepQueue.leasedBy} end`,
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

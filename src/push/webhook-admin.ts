/**
 * What the console does with the shop's webhooks: list them, and resend one. A resend puts the
 * event back in the queue as it was first made (same id, a fresh day of retries): the shop, which
 * de-duplicates on the id, is at worst told twice. Audited in the same transaction.
 */
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { webhookOutbox } from '../db/schema.ts';
import { audit, type Actor } from '../actions/audit.ts';

export interface WebhookRow {
  id: number;
  eventId: string;
  type: string;
  orderNo: string;
  status: 'pending' | 'sending' | 'delivered' | 'failed';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  nextAt: Date;
  deliveredAt: Date | null;
}

/** The newest events first (the console shows a page of them). */
export async function listWebhooks(database: Database, limit = 100): Promise<WebhookRow[]> {
  return database.db.select({
    id: webhookOutbox.id, eventId: webhookOutbox.eventId, type: webhookOutbox.type, orderNo: webhookOutbox.orderNo,
    status: webhookOutbox.status, attempts: webhookOutbox.attempts, lastStatus: webhookOutbox.lastStatus,
    lastError: webhookOutbox.lastError, createdAt: webhookOutbox.createdAt, nextAt: webhookOutbox.nextAt,
    deliveredAt: webhookOutbox.deliveredAt,
  }).from(webhookOutbox).orderBy(desc(webhookOutbox.createdAt), desc(webhookOutbox.id)).limit(limit);
}

export type ResendOutcome = 'queued' | 'in_flight' | 'not_found';

/** Queues the event again now; one being sent right now is left to finish (`in_flight`). */
export async function resendWebhook(deps: { database: Database; now: () => Date }, input: { id: number; actor: Actor }): Promise<ResendOutcome> {
  return deps.database.db.transaction(async (tx) => {
    const at = deps.now();
    const [row] = await tx.update(webhookOutbox)
      .set({ status: 'pending', attempts: 0, nextAt: at, retryFrom: at, sendingAt: null })
      .where(and(eq(webhookOutbox.id, input.id), inArray(webhookOutbox.status, ['pending', 'delivered', 'failed'])))
      .returning({ eventId: webhookOutbox.eventId, orderNo: webhookOutbox.orderNo });
    if (!row) {
      const [exists] = await tx.select({ id: webhookOutbox.id }).from(webhookOutbox).where(eq(webhookOutbox.id, input.id));
      return exists ? 'in_flight' : 'not_found';
    }
    await audit(tx, { at, actor: input.actor, action: 'webhook_resent', orderNo: row.orderNo, detail: { eventId: row.eventId } });
    return 'queued';
  });
}

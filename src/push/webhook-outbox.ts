/**
 * The webhook that tells a pushing shop its order's keys were delivered, queued in the delivery's
 * own transaction (shops/builtin/deliver.ts), as the buyer's email is (mail/outbox.ts): it exists
 * exactly when the keys do. One event per delivery (unique delivery_key), so a repeated enqueue is
 * harmless; its `event_id`, made here once, is what the shop de-duplicates on, however many times
 * the dispatcher (jobs/webhooks.ts) or an agent's resend sends it.
 */
import { randomUUID } from 'node:crypto';
import type { Tx } from '../db/client.ts';
import { webhookOutbox } from '../db/schema.ts';

export interface KeysDeliveredInput {
  /** the diagnosis that issued the keys */
  deliveryKey: string;
  orderNo: string;
  sku: string;
  quantity: number;
  /** keys delivered now */
  count: number;
  /** of them, replacements of voided keys */
  replacements: number;
  /** the issued_keys rows of this delivery: their sealed secrets become the event's keys when it is sent */
  issuedKeyIds: number[];
  now: Date;
}

/** What the event says besides the keys: stored as is, sent inside `data`. */
export interface KeysDeliveredData {
  orderNo: string;
  sku: string;
  quantity: number;
  count: number;
  replacements: number;
}

export async function enqueueKeysDelivered(tx: Tx, input: KeysDeliveredInput): Promise<'queued' | 'duplicate'> {
  const data: KeysDeliveredData = {
    orderNo: input.orderNo, sku: input.sku, quantity: input.quantity, count: input.count, replacements: input.replacements,
  };
  const inserted = await tx
    .insert(webhookOutbox)
    .values({
      eventId: `evt_${randomUUID().replaceAll('-', '')}`, deliveryKey: input.deliveryKey, type: 'keys.delivered',
      orderNo: input.orderNo, payload: data, issuedKeyIds: input.issuedKeyIds,
      status: 'pending', attempts: 0, nextAt: input.now, retryFrom: input.now, createdAt: input.now,
    })
    .onConflictDoNothing({ target: webhookOutbox.deliveryKey })
    .returning({ id: webhookOutbox.id });
  return inserted.length ? 'queued' : 'duplicate';
}

/**
 * Reissue and restore: keys go into the shop (through the shop port, exactly once), and this
 * records it in order-doctor's own database, in the caller's transaction: the audit row and, when
 * the buyer is not watching, the email telling them (an outbox row, sent afterwards).
 */
import type { Tx } from '../db/client.ts';
import type { Config } from '../config.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { ShopOrder, ShopProduct } from '../domain/order.ts';
import { enqueueDeliveryMail } from '../mail/outbox.ts';
import type { DeliveryOutcome } from '../shops/port.ts';
import { audit, type Actor } from './audit.ts';
import { settleJournal } from './journal.ts';

type Issued = Extract<DeliveryOutcome, { kind: 'issued' }>;

export interface RecordInput {
  outcome: Issued;
  mode: 'reissue' | 'restore';
  shop: string;
  order: Pick<ShopOrder, 'orderNo' | 'quantity' | 'contact'>;
  product: Pick<ShopProduct, 'title'>;
  actor: Actor;
  diagnosisId: string;
  now: Date;
  /** set by recovery: the record is finished after a crash between the shop's commit and ours */
  recovered?: boolean;
  /** told when this call is the one that settled the journal entry (and so wrote the record) */
  onSettled?: () => void;
}

/**
 * Writes the delivery's record. For a delivery into a separate database, the journal entry is
 * settled first: if recovery already settled it (and wrote the record), nothing is written twice.
 */
export async function recordDelivery(
  tx: Tx,
  deps: { box: SecretBox; config: Pick<Config, 'mail' | 'publicUrl'> },
  input: RecordInput,
): Promise<void> {
  const { outcome, order } = input;
  if (outcome.journalId && !(await settleJournal(tx, outcome.journalId, 'committed', input.now))) return;
  input.onSettled?.();
  await audit(tx, {
    at: input.now, actor: input.actor, action: input.mode === 'restore' ? 'keys_restored' : 'keys_issued',
    orderNo: order.orderNo, diagnosisId: input.diagnosisId,
    detail: { ...outcome.detail, shop: input.shop, ...(input.recovered ? { recovered: true } : {}) },
  });
  // a buyer who checked the order sees the keys on the page; anyone else's delivery is announced,
  // and so is a buyer's whose check died before answering (recovery finishes its record)
  if (input.actor.kind !== 'customer' || input.recovered) {
    await enqueueDeliveryMail(tx, {
      deliveryKey: outcome.journalId ?? input.diagnosisId, orderNo: order.orderNo, to: order.contact, now: input.now,
      productTitle: input.product.title, count: outcome.count, quantity: order.quantity,
      keys: outcome.keys.length ? outcome.keys : undefined,
    }, deps);
  }
}

/**
 * The outbox: a delivery that happened while the buyer was not watching (the sweep, an agent, a
 * restock) queues the buyer's email in the delivery's own transaction, so the email exists exactly
 * when the keys do: a rolled-back delivery leaves no email, a committed one cannot lose it. The
 * dispatcher (jobs/mail.ts) sends it later; one row per delivery (unique delivery_key) makes a
 * repeated enqueue harmless.
 */
import type { Config } from '../config.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Tx } from '../db/client.ts';
import { mailOutbox } from '../db/schema.ts';
import { isOrderNo } from '../domain/order-number.ts';
import type { DeliveryMailPayload } from './compose.ts';

export interface DeliveryMailInput {
  /** the diagnosis (or shop delivery) that issued the keys: one email per delivery */
  deliveryKey: string;
  orderNo: string;
  /** the buyer's contact as the shop has it: an email address, or a phone or QQ number, or nothing */
  to: string | null;
  now: Date;
  productTitle: string;
  /** keys delivered now */
  count: number;
  /** keys the order holds in all */
  quantity: number;
  /** the secrets delivered now: stored (encrypted) only when the operator opted in */
  keys?: string[];
}

export interface OutboxDeps {
  box: SecretBox;
  config: Pick<Config, 'mail' | 'publicUrl'>;
}

export type EnqueueOutcome = 'queued' | 'no_mail' | 'no_address' | 'duplicate';

/**
 * @example
 * await db.transaction(async (tx) => {
 *   const out = await reissue(tx, ...);
 *   if (out.kind === 'issued') await enqueueDeliveryMail(tx, { deliveryKey: diagnosisId, ... }, svc);
 * });
 */
export async function enqueueDeliveryMail(tx: Tx, input: DeliveryMailInput, deps: OutboxDeps): Promise<EnqueueOutcome> {
  const mail = deps.config.mail;
  if (!mail) return 'no_mail';
  const to = emailAddress(input.to);
  if (!to) return 'no_address';
  const payload: DeliveryMailPayload = {
    orderNo: input.orderNo,
    productTitle: input.productTitle,
    count: input.count,
    quantity: input.quantity,
    link: checkPageLink(deps.config.publicUrl, input.orderNo),
  };
  // one sealed value for all the keys: the row never holds a key readable without CARD_KEY_SECRET
  const keysEnc = mail.includeKeys && input.keys?.length ? await deps.box.encrypt(JSON.stringify(input.keys)) : null;
  const inserted = await tx
    .insert(mailOutbox)
    .values({
      deliveryKey: input.deliveryKey, kind: 'keys_delivered', orderNo: input.orderNo, toAddress: to, payload, keysEnc,
      status: 'pending', attempts: 0, nextAt: input.now, createdAt: input.now,
    })
    .onConflictDoNothing({ target: mailOutbox.deliveryKey })
    .returning({ id: mailOutbox.id });
  return inserted.length ? 'queued' : 'duplicate';
}

/**
 * The check page with the order number to pre-fill. A number the page would not pre-fill (see
 * domain/order-number.ts) gets the bare page rather than a link that looks broken.
 */
export function checkPageLink(publicUrl: string, orderNo: string): string {
  return isOrderNo(orderNo) ? `${publicUrl}/?orderNo=${encodeURIComponent(orderNo)}` : `${publicUrl}/`;
}

/**
 * The contact if it is plausibly one email address, else null. The built-in store's contact may be
 * a phone or QQ number; a shop field may hold several addresses or stray text. Strict on purpose:
 * no display names, lists, spaces or quoted local parts, so the SMTP envelope gets exactly one
 * address and a header can never be injected through it.
 */
export function emailAddress(contact: string | null | undefined): string | null {
  const s = contact?.trim() ?? '';
  if (s.length > 254) return null;
  const m = /^([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64})@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})$/.exec(s);
  if (!m) return null;
  const local = m[1]!;
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return null;
  return s;
}

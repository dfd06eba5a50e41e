/**
 * Delivery into dujiao-next, doing what its own automatic fulfilment does (FulfillmentService
 * CreateAuto, then the parent's status summed up from its children), exactly once, in ONE
 * Postgres transaction:
 *   lock the top-level order, then its children (dujiao-next locks parent before child too); take
 *   the automatic parts still without a fulfillment; per item, the keys reserved for that order
 *   first, then available ones (FOR UPDATE SKIP LOCKED: a racing delivery of another order takes
 *   other keys and never waits); mark them used, conditionally (still available or reserved for
 *   this order), checking every row changed; insert the fulfillment (type auto, delivered, the keys
 *   one per line; unique per order, so a racer that slipped past the lock fails here); set the
 *   part completed; the parent's status as dujiao-next sums it up.
 * All parts or none: when one part lacks keys, nothing is written (out of stock, for the sweep).
 * A payment dujiao-next never recorded (a lost callback, or one it refused because the order had
 * been canceled) is recorded as its callback would have: the attempt `success` with the gateway's
 * transaction number and time, the orders' `paid_at` and the online amount.
 * Before the shop commits, the delivery is journalled in order-doctor's own database, so a crash
 * between the two commits is recovered from facts (engine/recover.ts).
 */
import { and, asc, eq, inArray, isNull, notInArray, or, sql } from 'drizzle-orm';
import type { DeliveryContext, DeliveryOutcome, DeliveryRequest } from '../port.ts';
import type { DujiaoNextContext } from './context.ts';
import { autoTargets, parentStatus, payloadKeys, type FulfillmentRow, type ItemRow, type OrderRow } from './map.ts';
import { cardSecrets, fulfillments, orderItems, orders, payments, SECRET_STATUS, STATUS } from './tables.ts';

/** A statement that changed fewer rows than it must: the transaction is abandoned, nothing lands. */
class LostRace extends Error {}
/** One part lacks keys: the transaction is abandoned, nothing lands. */
class Short extends Error {
  constructor(readonly missing: number, readonly available: number) { super('short of keys'); }
}

/** Statuses a part may be completed from: paid (fulfilment failed), or never paid in the shop's eyes. */
const DELIVERABLE: readonly string[] = [STATUS.PAID, STATUS.PENDING_PAYMENT, STATUS.CANCELED];

const lockedOrder = {
  id: orders.id, orderNo: orders.orderNo, parentId: orders.parentId, userId: orders.userId, guestEmail: orders.guestEmail,
  guestPassword: orders.guestPassword, status: orders.status, totalAmount: orders.totalAmount, walletPaidAmount: orders.walletPaidAmount,
  paidAt: orders.paidAt, createdAt: orders.createdAt, updatedAt: orders.updatedAt,
};

export async function deliverDujiaoNext(ctx: DujiaoNextContext, req: DeliveryRequest, dc: DeliveryContext): Promise<DeliveryOutcome> {
  if (req.mode === 'restore') return { kind: 'nothing_to_restore', keysHeld: 0 };
  const now = req.now;
  try {
    return await ctx.db.transaction(async (tx) => {
      const [parent] = await tx.select(lockedOrder).from(orders)
        .where(and(eq(orders.id, req.order.id), isNull(orders.deletedAt))).for('update');
      if (!parent || parent.orderNo !== req.order.orderNo) throw new Error(`order ${req.order.orderNo} vanished from the shop`);
      const children = await tx.select(lockedOrder).from(orders)
        .where(and(eq(orders.parentId, parent.id), isNull(orders.deletedAt))).orderBy(asc(orders.id)).for('update');
      const targets: OrderRow[] = children.length ? children : [parent];
      const ids = [parent.id, ...children.map((c) => c.id)];
      const items: ItemRow[] = await tx.select({
        orderId: orderItems.orderId, productId: orderItems.productId, skuId: orderItems.skuId, quantity: orderItems.quantity,
        fulfillmentType: orderItems.fulfillmentType, title: sql<null>`null`,
      }).from(orderItems).where(and(inArray(orderItems.orderId, ids), isNull(orderItems.deletedAt))).orderBy(asc(orderItems.id));
      const fs: FulfillmentRow[] = await tx.select({ orderId: fulfillments.orderId, status: fulfillments.status, payload: fulfillments.payload, deliveredAt: fulfillments.deliveredAt })
        .from(fulfillments).where(and(inArray(fulfillments.orderId, ids), isNull(fulfillments.deletedAt)));
      const autos = autoTargets({ targets, items });
      // manual and upstream goods are the owner's to fulfil: never issued automatically (the decision never asks)
      if (autos.length === 0) throw new Error(`order ${parent.orderNo} has no automatic goods: not delivered automatically`);
      const held = autos.flatMap((t) => payloadKeys(fs.find((f) => f.orderId === t.id && f.status === 'delivered')?.payload ?? null));
      const open = autos.filter((t) => !fs.some((f) => f.orderId === t.id));
      if (open.length === 0) return { kind: 'already_delivered', keysHeld: held.length } as const;
      for (const t of open) {
        if (!DELIVERABLE.includes(t.status)) throw new Error(`order ${t.orderNo} has status ${t.status}: not delivered automatically`);
      }

      // claim every part's keys before writing anything
      const claims: { target: OrderRow; ids: number[]; keys: string[] }[] = [];
      let missing = 0;
      let available = 0;
      // keys this transaction claimed for an earlier part or item: its own row locks do not make
      // SKIP LOCKED skip them, so two parts of one product would otherwise be handed the same keys
      const taken: number[] = [];
      const notTaken = () => (taken.length > 0 ? notInArray(cardSecrets.id, taken) : undefined);
      for (const t of open) {
        const claim = { target: t, ids: [] as number[], keys: [] as string[] };
        for (const i of items.filter((x) => x.orderId === t.id)) {
          const own = await tx.select({ id: cardSecrets.id, secret: cardSecrets.secret }).from(cardSecrets)
            .where(and(eq(cardSecrets.orderId, t.id), eq(cardSecrets.status, SECRET_STATUS.RESERVED), eq(cardSecrets.productId, i.productId), eq(cardSecrets.skuId, i.skuId), isNull(cardSecrets.deletedAt), notTaken()))
            .orderBy(asc(cardSecrets.id)).limit(i.quantity).for('update');
          const need = i.quantity - own.length;
          const free = need > 0
            ? await tx.select({ id: cardSecrets.id, secret: cardSecrets.secret }).from(cardSecrets)
              .where(and(eq(cardSecrets.productId, i.productId), eq(cardSecrets.skuId, i.skuId), eq(cardSecrets.status, SECRET_STATUS.AVAILABLE), isNull(cardSecrets.deletedAt), notTaken()))
              .orderBy(asc(cardSecrets.id)).limit(need).for('update', { skipLocked: true })
            : [];
          missing += i.quantity;
          available += own.length + free.length;
          for (const k of [...own, ...free]) {
            claim.ids.push(Number(k.id));
            claim.keys.push(k.secret);
            taken.push(Number(k.id));
          }
        }
        claims.push(claim);
      }
      if (available < missing) throw new Short(missing, available);

      const pay = await recordPayment(tx, parent, req, now);
      const done = new Map<number, string>();
      for (const c of claims) {
        const used = await tx.update(cardSecrets)
          .set({ status: SECRET_STATUS.USED, orderId: c.target.id, usedAt: now, reservedAt: null, updatedAt: now })
          .where(and(
            inArray(cardSecrets.id, c.ids), inArray(cardSecrets.status, [SECRET_STATUS.AVAILABLE, SECRET_STATUS.RESERVED]),
            or(isNull(cardSecrets.orderId), eq(cardSecrets.orderId, c.target.id)),
          ))
          .returning({ id: cardSecrets.id });
        if (used.length !== c.ids.length) throw new LostRace(`only ${used.length} of ${c.ids.length} keys were still free`);
        const inserted = await tx.insert(fulfillments)
          .values({ orderId: c.target.id, type: 'auto', status: 'delivered', payload: c.keys.join('\n'), deliveredAt: now, createdAt: now, updatedAt: now })
          .onConflictDoNothing().returning({ id: fulfillments.id });
        if (inserted.length !== 1) throw new LostRace(`order ${c.target.orderNo} got a fulfillment meanwhile`);
        const updated = await tx.update(orders)
          .set({ status: STATUS.COMPLETED, paidAt: sql`coalesce(${orders.paidAt}, ${pay.paidAt.toISOString()}::timestamptz)`, updatedAt: now })
          .where(and(eq(orders.id, c.target.id), eq(orders.status, c.target.status))).returning({ id: orders.id });
        if (updated.length !== 1) throw new LostRace(`order ${c.target.orderNo} changed under its lock`);
        done.set(c.target.id, STATUS.COMPLETED);
      }
      if (children.length) {
        const next = parentStatus(children.map((c) => done.get(c.id) ?? c.status), parent.status);
        await tx.update(orders).set({ status: next, paidAt: sql`coalesce(${orders.paidAt}, ${pay.paidAt.toISOString()}::timestamptz)`, updatedAt: now }).where(eq(orders.id, parent.id));
      }

      const fresh = claims.flatMap((c) => c.keys);
      const keyHashes: string[] = [];
      for (const k of fresh) keyHashes.push(await ctx.box.keyHash(k));
      const journalId = globalThis.crypto.randomUUID();
      const detail = {
        count: fresh.length, keysHeld: held.length + fresh.length, orderRef: parent.id,
        parts: claims.map((c) => ({ orderId: c.target.id, orderNo: c.target.orderNo, previousStatus: c.target.status, cardSecretIds: c.ids })),
        keyHashes, previousStatus: parent.status, payment: pay.detail,
      };
      // the last thing before the shop commits: from here on, a crash leaves a journal entry to settle
      await dc.journal.prepare({ id: journalId, orderNo: parent.orderNo, detail });
      return { kind: 'issued', count: fresh.length, replacements: 0, keysHeld: held.length + fresh.length, keys: fresh, detail, journalId } as const;
    });
  } catch (err) {
    if (err instanceof Short) return { kind: 'out_of_stock', missing: err.missing, available: err.available };
    throw err;
  }
}

type Tx = Parameters<Parameters<DujiaoNextContext['db']['transaction']>[0]>[0];

/**
 * What dujiao-next's payment callback would have written had it landed: the attempt the gateway
 * confirmed (the one asked, by its gateway_order_no) marked success with the gateway's number and
 * time, and the order's paid_at and online amount. Nothing when the shop already knew.
 */
async function recordPayment(tx: Tx, parent: OrderRow, req: DeliveryRequest, now: Date): Promise<{ paidAt: Date; detail: Record<string, unknown> | null }> {
  const paidAt = req.payment?.paidAt ? new Date(req.payment.paidAt) : (parent.paidAt ?? now);
  if (parent.paidAt) return { paidAt: parent.paidAt, detail: null };
  const asked = req.order.gatewayOrderNo;
  const [attempt] = await tx.select({ id: payments.id, status: payments.status, providerRef: payments.providerRef }).from(payments)
    .where(and(eq(payments.orderId, parent.id), isNull(payments.deletedAt), asked ? eq(payments.gatewayOrderNo, asked) : sql`true`))
    .orderBy(sql`${payments.id} desc`).limit(1).for('update');
  if (attempt && attempt.status !== 'success') {
    await tx.update(payments).set({
      status: 'success', paidAt, updatedAt: now,
      providerRef: sql`case when coalesce(${payments.providerRef}, '') = '' then ${req.payment?.tradeNo ?? ''} else ${payments.providerRef} end`,
    }).where(and(eq(payments.id, attempt.id), eq(payments.status, attempt.status)));
  }
  await tx.update(orders)
    .set({ onlinePaidAmount: sql`greatest(${orders.totalAmount} - ${orders.walletPaidAmount}, 0)` })
    .where(and(eq(orders.id, parent.id), sql`${orders.onlinePaidAmount} = 0`));
  return { paidAt, detail: attempt ? { paymentId: attempt.id, previousStatus: attempt.status, tradeNo: req.payment?.tradeNo ?? null } : null };
}

/**
 * Whether a journalled delivery reached the shop: every part it filled holds a fulfillment with
 * every key the journal recorded (by keyed hash). Read under the top-level order's row lock, so a
 * delivery still in flight is waited out rather than misread.
 */
export async function landedDujiaoNext(ctx: DujiaoNextContext, entry: { orderNo: string; detail: Record<string, unknown> }): Promise<'landed' | 'not_landed'> {
  const wanted = Array.isArray(entry.detail.keyHashes) ? (entry.detail.keyHashes as string[]) : [];
  const parts = Array.isArray(entry.detail.parts) ? (entry.detail.parts as { orderId: number }[]).map((p) => Number(p.orderId)) : [];
  if (wanted.length === 0 || parts.length === 0) return 'not_landed';
  return ctx.db.transaction(async (tx) => {
    const [top] = await tx.select({ id: orders.id }).from(orders).where(eq(orders.orderNo, entry.orderNo)).for('update');
    if (!top) return 'not_landed';
    const fs = await tx.select({ payload: fulfillments.payload }).from(fulfillments)
      .where(and(inArray(fulfillments.orderId, parts), eq(fulfillments.status, 'delivered'), isNull(fulfillments.deletedAt)));
    const have = new Set<string>();
    for (const f of fs) for (const k of payloadKeys(f.payload)) have.add(await ctx.box.keyHash(k));
    return wanted.every((h) => have.has(h)) ? 'landed' : 'not_landed';
  });
}

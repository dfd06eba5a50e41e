/**
 * Delivery into acg-faka, doing what its own payment path does for an automatic product
 * (Order::orderSuccess + pullCardForLocal), exactly once, in ONE MySQL transaction:
 *   lock the order row; re-check it still holds fewer sold cards than card_num; claim the cards it
 *   may take (cards.ts) FOR UPDATE SKIP LOCKED (claimCards), so a racing delivery of another order
 *   takes other cards and never waits; sell them (status 1, order_id, purchase_time = the order's pay_time: a
 *   conditional update whose affected rows are checked); the order paid (status 1, pay_time once),
 *   its keys in `secret` one per line (replacing a shortage apology), delivery_status 1.
 * acg-faka counts no sales and keeps no stock figure for automatic products, so nothing else moves.
 * Before the shop commits, the delivery is written to order-doctor's journal (in its own database),
 * so a crash between the two commits is recovered from facts, never guessed (engine/recover.ts).
 *
 * Not done, on purpose: the commission bills (`bill`, user balances) and the member's recharge total
 * acg-faka books when IT completes an unpaid order are money movements of the shop's own
 * bookkeeping, left to the owner; the audit detail names them (`creditsLeftToOwner`).
 * Older servers (MariaDB < 10.6, MySQL < 8.0.1) have no SKIP LOCKED: the claim waits instead.
 */
import { and, eq, inArray, notInArray } from 'drizzle-orm';
import type { DeliveryContext, DeliveryOutcome, DeliveryRequest } from '../port.ts';
import { toShopTime } from '../local-time.ts';
import type { AcgFakaContext } from './context.ts';
import { claimableWhere, claimOrder, heldCards, type CardChoice } from './cards.ts';
import { isAutomatic } from './map.ts';
import { CARD, DELIVERY, ORDER } from './tables.ts';

/** A statement that changed fewer rows than it must: the transaction is abandoned, nothing lands. */
class LostRace extends Error {}

export async function deliverAcgFaka(ctx: AcgFakaContext, req: DeliveryRequest, dc: DeliveryContext): Promise<DeliveryOutcome> {
  const { order: o, card: c, commodity: g } = ctx.t;
  return ctx.db.transaction(async (tx) => {
    const [order] = await tx
      .select({
        id: o.id, tradeNo: o.tradeNo, commodityId: o.commodityId, cardId: o.cardId, cardNum: o.cardNum, status: o.status,
        payTime: o.payTime, race: o.race, sku: o.sku, owner: o.owner, divideAmount: o.divideAmount, rebate: o.rebate,
      })
      .from(o)
      .where(eq(o.id, req.order.id))
      .for('update');
    if (!order || order.tradeNo.trim() !== req.order.orderNo) throw new Error(`order ${req.order.orderNo} vanished from the shop`);
    const [product] = await tx.select({ deliveryWay: g.deliveryWay, deliveryAutoMode: g.deliveryAutoMode, sharedId: g.sharedId })
      .from(g).where(eq(g.id, order.commodityId));
    // manual and shared-platform products are the owner's (or the platform's) to deliver: never issued here (the decision never asks)
    if (!product || !isAutomatic(product)) throw new Error(`order ${req.order.orderNo} is not an automatic product: not delivered automatically`);
    const held = await heldCards(tx, ctx, order.id);
    const missing = order.cardNum - held.length;
    if (missing <= 0) return { kind: 'already_delivered', keysHeld: held.length };
    // keys live in card rows here: a legacy record's keys have no card to be sold from
    if (req.mode === 'restore') return { kind: 'nothing_to_restore', keysHeld: held.length };
    // req.overrideLimit has nothing to lift: acg-faka cannot void a key, so no replacement is ever counted

    const claimed = await claimCards(ctx, tx, order, product.deliveryAutoMode, missing);
    if (claimed.length < missing) return { kind: 'out_of_stock', missing, available: claimed.length };

    // paid once: an order acg-faka already marked paid keeps its pay_time; one it never heard of gets the gateway's
    const paidAt = req.payment?.paidAt ? new Date(req.payment.paidAt) : req.now;
    const payTime = order.status === ORDER.PAID && order.payTime ? order.payTime : toShopTime(Number.isNaN(paidAt.getTime()) ? req.now : paidAt, ctx.zone);
    const ids = claimed.map((k) => k.id);
    const [sold] = await tx.update(c).set({ status: CARD.SOLD, orderId: order.id, purchaseTime: payTime })
      .where(and(inArray(c.id, ids), eq(c.status, CARD.UNSOLD)));
    if (sold.affectedRows !== ids.length) throw new LostRace(`only ${sold.affectedRows} of ${ids.length} cards were still unsold`);

    const keys = [...held.map((k) => k.secret), ...claimed.map((k) => k.secret)];
    const [updated] = await tx.update(o)
      .set({ status: ORDER.PAID, payTime, secret: keys.join('\n'), deliveryStatus: DELIVERY.DELIVERED })
      .where(and(eq(o.id, order.id), eq(o.status, order.status)));
    if (updated.affectedRows !== 1) throw new LostRace(`order ${req.order.orderNo} changed under its lock`);

    const fresh = claimed.map((k) => k.secret);
    const keyHashes: string[] = [];
    for (const k of fresh) keyHashes.push(await ctx.box.keyHash(k));
    const journalId = globalThis.crypto.randomUUID();
    const wasUnpaid = order.status !== ORDER.PAID;
    const detail = {
      count: fresh.length, keysHeld: keys.length, orderRef: order.id, commodityId: order.commodityId,
      cardIds: ids, keyHashes, previousStatus: order.status,
      creditsLeftToOwner: wasUnpaid && (Number(order.divideAmount ?? 0) > 0 || Number(order.rebate ?? 0) > 0 || order.owner > 0),
    };
    // the last thing before the shop commits: from here on, a crash leaves a journal entry to settle
    await dc.journal.prepare({ id: journalId, orderNo: req.order.orderNo, detail });
    return { kind: 'issued', count: fresh.length, replacements: 0, keysHeld: keys.length, keys: fresh, detail, journalId };
  }, { isolationLevel: 'read committed' });
}

type Tx = Parameters<Parameters<AcgFakaContext['db']['transaction']>[0]>[0];

/**
 * Locks `missing` cards the order may take, skipping those a racing delivery holds. The transaction
 * is read committed because under repeatable read InnoDB keeps the lock on every row a locking read
 * scans, also those it then rejects (another race, another SKU), and a racing order of that race
 * would skip them as taken (the two-races test guards it; on MariaDB 10.11 with acg-faka's indexes it
 * also passes under repeatable read). A random-order product cannot be claimed by one
 * ORDER BY rand() ... FOR UPDATE at all: sorting reads, and locks, every candidate first (20 orders
 * for 10 cards gave 3 delivered, 17 out of stock). So it picks random candidates without a lock and
 * then locks them one at a time by primary key.
 */
async function claimCards(ctx: AcgFakaContext, tx: Tx, order: CardChoice, mode: number | null, missing: number): Promise<{ id: number; secret: string }[]> {
  const got: { id: number; secret: string }[] = [];
  for (let attempt = 0; attempt <= SHORT_RETRIES && got.length < missing; attempt++) {
    // Short: a racing delivery of another race or SKU may only have been passing over one of our
    // cards. InnoDB locks a row it scans before the race/SKU filter rejects it (and, at read
    // committed, lets go of it at once), so SKIP LOCKED can skip a card nobody takes. Look again a
    // moment later; a product that is really out of stock pays these few waits, once per delivery.
    if (attempt > 0) await new Promise((r) => setTimeout(r, SHORT_RETRY_MS));
    got.push(...await claimOnce(ctx, tx, order, mode, missing - got.length, got.map((g) => g.id)));
  }
  return got;
}

async function claimOnce(
  ctx: AcgFakaContext, tx: Tx, order: CardChoice, mode: number | null, missing: number, mine: number[],
): Promise<{ id: number; secret: string }[]> {
  const c = ctx.t.card;
  const lock = <Q extends { for: (s: 'update', o?: { skipLocked: true }) => unknown }>(q: Q) =>
    (ctx.server.skipLocked ? q.for('update', { skipLocked: true }) : q.for('update')) as Promise<{ id: number; secret: string }[]>;
  // cards this transaction locked already would be found again: our own locks are not skipped
  const where = mine.length ? and(claimableWhere(ctx, order), notInArray(c.id, mine))! : claimableWhere(ctx, order);
  if (mode !== 1) {
    return lock(tx.select({ id: c.id, secret: c.secret }).from(c).where(where).orderBy(claimOrder(ctx, mode)).limit(missing));
  }
  const candidates = await tx.select({ id: c.id }).from(c).where(where).orderBy(claimOrder(ctx, mode)).limit(missing + RANDOM_SPARE);
  const got: { id: number; secret: string }[] = [];
  for (const { id } of candidates) {
    if (got.length === missing) break;
    const [card] = await lock(tx.select({ id: c.id, secret: c.secret }).from(c).where(and(eq(c.id, id), claimableWhere(ctx, order))));
    if (card) got.push(card);
  }
  return got;
}

/** Looks after a short claim: a few, briefly (see claimCards). */
const SHORT_RETRIES = 3;
const SHORT_RETRY_MS = 25;

/** Random candidates read beyond the order's need, for the racers that take some first. */
const RANDOM_SPARE = 200;

/**
 * Whether a journalled delivery reached the shop: the order is paid and every card the journal
 * names is sold to it. Read under the order's row lock, so a delivery still in flight is waited
 * out rather than misread.
 */
export async function landedAcgFaka(ctx: AcgFakaContext, entry: { orderNo: string; detail: Record<string, unknown> }): Promise<'landed' | 'not_landed'> {
  const { order: o, card: c } = ctx.t;
  const ids = Array.isArray(entry.detail.cardIds) ? (entry.detail.cardIds as unknown[]).map(Number).filter(Number.isSafeInteger) : [];
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx.select({ id: o.id, status: o.status }).from(o).where(eq(o.tradeNo, entry.orderNo)).for('update');
    if (!row || row.status !== ORDER.PAID || ids.length === 0) return 'not_landed';
    const sold = await tx.select({ id: c.id }).from(c).where(and(inArray(c.id, ids), eq(c.orderId, row.id), eq(c.status, CARD.SOLD)));
    return sold.length === ids.length ? 'landed' : 'not_landed';
  });
}

/**
 * Delivery into dujiaoka, doing what its own automatic completion does (OrderProcessService
 * completedOrder + processAuto), exactly once, in ONE MySQL transaction:
 *   lock the order row; re-check it still lacks keys; claim unsold `carmis` rows FOR UPDATE SKIP
 *   LOCKED (a racing delivery of another order takes other keys and never waits); mark them sold
 *   (a conditional update whose affected rows are checked; loop keys stay unsold, as dujiaoka
 *   leaves them); write the keys into `orders.info`, one per line; status completed and trade_no;
 *   count the sale in `goods.sales_volume` only where dujiaoka's own completion did not already
 *   (it counts an abnormal order's sale; a completion it rolled back counted nothing).
 * Before the shop commits, the delivery is written to order-doctor's journal (in its own database),
 * so a crash between the two commits is recovered from facts, never guessed (engine/recover.ts).
 *
 * Older servers (MariaDB < 10.6, MySQL < 8.0.1) have no SKIP LOCKED: the claim then uses a plain
 * FOR UPDATE, which waits for a racing delivery of the same product instead of skipping its keys.
 * Still exactly once (the order row lock and the conditional updates hold), only slower under load.
 */
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { DeliveryContext, DeliveryOutcome, DeliveryRequest } from '../port.ts';
import { toShopTime } from '../local-time.ts';
import type { DujiaokaContext } from './context.ts';
import { infoKeys } from './map.ts';
import { CARMI, STATUS, TYPE } from './tables.ts';

/** A statement that changed fewer rows than it must: the transaction is abandoned, nothing lands. */
class LostRace extends Error {}

/** Statuses a delivery may complete: waiting/expired (the completion never ran or was rolled back), abnormal, completed short. */
const DELIVERABLE: readonly number[] = [STATUS.WAITING, STATUS.EXPIRED, STATUS.ABNORMAL, STATUS.COMPLETED];
/** Where dujiaoka's own completion already counted the sale. */
const SALE_COUNTED: readonly number[] = [STATUS.ABNORMAL, STATUS.COMPLETED];

export async function deliverDujiaoka(ctx: DujiaokaContext, req: DeliveryRequest, dc: DeliveryContext): Promise<DeliveryOutcome> {
  const { orders: o, carmis: c, goods: g } = ctx.t;
  const at = toShopTime(req.now, ctx.zone);
  return ctx.db.transaction(async (tx) => {
    const [order] = await tx
      .select({ id: o.id, orderSn: o.orderSn, goodsId: o.goodsId, type: o.type, status: o.status, buyAmount: o.buyAmount, info: o.info, tradeNo: o.tradeNo })
      .from(o)
      .where(and(eq(o.id, req.order.id), isNull(o.deletedAt)))
      .for('update');
    if (!order || order.orderSn !== req.order.orderNo) throw new Error(`order ${req.order.orderNo} vanished from the shop`);
    // manual goods are the owner's to fulfil: never issued automatically (the decision never asks)
    if (order.type !== TYPE.AUTOMATIC) throw new Error(`order ${order.orderSn} is manual goods: not delivered automatically`);
    const held = order.status === STATUS.COMPLETED ? infoKeys(order.info) : [];
    const missing = order.buyAmount - held.length;
    if (missing <= 0) return { kind: 'already_delivered', keysHeld: held.length };
    if (!DELIVERABLE.includes(order.status)) throw new Error(`order ${order.orderSn} has status ${order.status}: not delivered automatically`);

    let fresh: string[];
    let sold: number[] = [];
    let loops: number[] = [];
    if (req.mode === 'restore') {
      const have = new Set(held);
      fresh = req.given.filter((k) => !have.has(k)).slice(0, missing);
      if (fresh.length === 0) return { kind: 'nothing_to_restore', keysHeld: held.length };
    } else {
      // req.overrideLimit has nothing to lift here: dujiaoka cannot void a key, so it counts no
      // replacements (map.ts reports maxReplacements 0 and no voided slot) and no limit is reached
      const claim = tx
        .select({ id: c.id, carmi: c.carmi, isLoop: c.isLoop })
        .from(c)
        .where(and(eq(c.goodsId, order.goodsId), eq(c.status, CARMI.UNSOLD), isNull(c.deletedAt)))
        .orderBy(asc(c.id))
        .limit(missing);
      const claimed = await (ctx.server.skipLocked ? claim.for('update', { skipLocked: true }) : claim.for('update'));
      if (claimed.length < missing) return { kind: 'out_of_stock', missing, available: claimed.length };
      fresh = claimed.map((k) => k.carmi);
      sold = claimed.filter((k) => k.isLoop !== 1).map((k) => k.id);
      loops = claimed.filter((k) => k.isLoop === 1).map((k) => k.id);
      if (sold.length) {
        const [res] = await tx.update(c).set({ status: CARMI.SOLD, updatedAt: at })
          .where(and(inArray(c.id, sold), eq(c.status, CARMI.UNSOLD)));
        if (res.affectedRows !== sold.length) throw new LostRace(`only ${res.affectedRows} of ${sold.length} keys were still unsold`);
      }
    }

    const [updated] = await tx.update(o)
      .set({
        info: [...held, ...fresh].join('\n'),
        status: STATUS.COMPLETED,
        // dujiaoka records the gateway's number at completion; keep one the shop already has
        tradeNo: sql`case when ${o.tradeNo} is null or ${o.tradeNo} = '' then ${req.payment?.tradeNo ?? ''} else ${o.tradeNo} end`,
        updatedAt: at,
      })
      .where(and(eq(o.id, order.id), eq(o.status, order.status)));
    if (updated.affectedRows !== 1) throw new LostRace(`order ${order.orderSn} changed under its lock`);
    const countSale = !SALE_COUNTED.includes(order.status);
    if (countSale) {
      await tx.update(g).set({ salesVolume: sql`coalesce(${g.salesVolume}, 0) + ${order.buyAmount}`, updatedAt: at }).where(eq(g.id, order.goodsId));
    }

    const keyHashes: string[] = [];
    for (const k of fresh) keyHashes.push(await ctx.box.keyHash(k));
    const journalId = globalThis.crypto.randomUUID();
    const detail = {
      count: fresh.length, keysHeld: held.length + fresh.length, orderRef: order.id, goodsId: order.goodsId,
      carmisIds: sold, loopCarmisIds: loops, keyHashes, previousStatus: order.status, salesCounted: countSale,
      tradeNo: order.tradeNo || req.payment?.tradeNo || null,
    };
    // the last thing before the shop commits: from here on, a crash leaves a journal entry to settle
    await dc.journal.prepare({ id: journalId, orderNo: order.orderSn, detail });
    return {
      kind: 'issued', count: fresh.length, replacements: 0, keysHeld: held.length + fresh.length, keys: fresh,
      detail, journalId,
    };
  });
}

/**
 * Whether a journalled delivery reached the shop: the order is completed and holds every key the
 * journal recorded (by keyed hash). Read under the order's row lock, so a delivery still in flight
 * is waited out rather than misread.
 */
export async function landedDujiaoka(ctx: DujiaokaContext, entry: { orderNo: string; detail: Record<string, unknown> }): Promise<'landed' | 'not_landed'> {
  const o = ctx.t.orders;
  const wanted = Array.isArray(entry.detail.keyHashes) ? (entry.detail.keyHashes as string[]) : [];
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx.select({ status: o.status, info: o.info }).from(o).where(eq(o.orderSn, entry.orderNo)).for('update');
    if (!row || row.status !== STATUS.COMPLETED || wanted.length === 0) return 'not_landed';
    const have = new Set<string>();
    for (const k of infoKeys(row.info)) have.add(await ctx.box.keyHash(k));
    return wanted.every((h) => have.has(h)) ? 'landed' : 'not_landed';
  });
}

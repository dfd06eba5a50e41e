/**
 * PUT /api/v1/shop/orders/{orderNo}: a shop with no connector tells the built-in store about one of
 * its orders, creating or updating it, in one transaction with its audit row.
 *
 * Idempotent: the push states what the order is, not what to change, so the same push twice (a
 * retry after a lost answer, signed again) writes nothing the second time and answers the same
 * state. Once the order holds a key (ours or the shop's) the facts the payment was checked against
 * are fixed: product, quantity, amount and channel, and a gateway number once known; a push that
 * contradicts them is refused whole (PushConflict), since a later "the amount was 1 fen" must not
 * make an issued key look paid for, and the slots the keys fill are numbered by the quantity.
 * A stale status (pending, paid or closed after the order's keys were delivered) is ignored
 * rather than refused: the shop's own retry of an older push is then harmless too.
 */
import { and, eq, inArray, ne } from 'drizzle-orm';
import type { Database, Tx } from '../db/client.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import { issuedKeys, orders, stockKeys } from '../db/schema.ts';
import { audit, type Actor } from '../actions/audit.ts';
import { upsertProduct, type PushedProduct } from './product.ts';

type OrderRow = typeof orders.$inferSelect;
export type PushedChannel = OrderRow['channel'];
export type PushedStatus = OrderRow['status'];

export interface PushedOrder {
  product: PushedProduct;
  quantity: number;
  /** what the buyer pays, in fen (分): integers, never a rounded decimal */
  amountFen: number;
  channel: PushedChannel;
  status: PushedStatus;
  createdAt: Date;
  /** undefined or null: keep what is recorded */
  paidAt?: Date | null;
  /** the gateway's transaction number; undefined or null: keep what is recorded */
  tradeNo?: string | null;
  /** the number the gateway knows the payment by, when not the order number; undefined or null: keep */
  gatewayOrderNo?: string | null;
  /** undefined: keep; null: clear */
  contact?: string | null;
  /** the buyer's query secret itself: only its keyed hash is stored. Required when the order is new */
  querySecret?: string;
  /** keys the shop delivered itself: recorded (encrypted) as keys the order holds */
  keys?: string[];
}

export interface PushedOrderState {
  orderNo: string;
  sku: string;
  quantity: number;
  amountFen: number;
  channel: PushedChannel;
  status: PushedStatus;
  tradeNo: string | null;
  gatewayOrderNo: string | null;
  paidAt: string | null;
  /** valid keys the order holds, whoever issued them */
  keysHeld: number;
}

/** A push the store refuses whole: `conflict` contradicts the record, `unprocessable` cannot be applied as given. */
export class PushRefused extends Error {
  constructor(readonly code: 'conflict' | 'unprocessable', message: string) {
    super(message);
  }
}

export async function pushOrder(
  deps: { database: Database; box: SecretBox; now: () => Date },
  input: { orderNo: string; order: PushedOrder; actor: Actor },
): Promise<PushedOrderState> {
  const { orderNo, order: p } = input;
  const { box } = deps;
  // hashing and sealing are CPU work: done before the transaction holds any lock
  const querySecretHash = p.querySecret === undefined ? undefined : await box.querySecretHash(orderNo, p.querySecret);
  const keys: { hash: string; sealed: string }[] = [];
  for (const secret of new Set(p.keys ?? [])) keys.push({ hash: await box.keyHash(secret), sealed: await box.encrypt(secret) });
  if (keys.length > p.quantity) throw new PushRefused('unprocessable', `keys: ${keys.length} keys for a quantity of ${p.quantity}`);

  return deps.database.db.transaction(async (tx) => {
    const at = deps.now();
    if (p.gatewayOrderNo) await refuseTakenGatewayNumber(tx, orderNo, p.gatewayOrderNo);
    const productWritten = await upsertProduct(tx, p.product, Math.floor(p.amountFen / p.quantity));
    const changed: string[] = productWritten ? ['product'] : [];
    let [row] = await tx.select().from(orders).where(eq(orders.orderNo, orderNo)).for('update');
    if (!row) {
      if (querySecretHash === undefined) throw new PushRefused('unprocessable', 'querySecret: required when an order is pushed for the first time');
      // two first pushes racing: one inserts, the other finds its row (after it commits) and updates
      [row] = await tx.insert(orders).values({
        orderNo, sku: p.product.sku, quantity: p.quantity, amountCents: p.amountFen, channel: p.channel, status: p.status,
        createdAt: p.createdAt, paidAt: p.paidAt ?? null, tradeNo: p.tradeNo ?? null, gatewayOrderNo: p.gatewayOrderNo ?? null,
        querySecretHash, contact: p.contact ?? null,
      }).onConflictDoNothing({ target: orders.orderNo }).returning();
      if (row) changed.push('created');
      else [row] = await tx.select().from(orders).where(eq(orders.orderNo, orderNo)).for('update');
    }
    if (!row) throw new Error(`order ${orderNo} vanished under its push`);
    if (!changed.includes('created')) {
      const update = await plannedUpdate(tx, row, p, querySecretHash);
      if (Object.keys(update).length) {
        [row] = await tx.update(orders).set(update).where(eq(orders.id, row.id)).returning();
        changed.push(...Object.keys(update));
      }
    }
    const recorded = await recordShopKeys(tx, row!, keys, at).catch((err: unknown) => {
      // a racing push (or delivery) took the key or the slot first: the constraint said no
      if (isUniqueViolation(err)) throw new PushRefused('conflict', 'keys: a concurrent push or delivery recorded a key or slot first; push again');
      throw err;
    });
    if (recorded > 0) changed.push('keys');
    const keysHeld = await tx.$count(issuedKeys, and(eq(issuedKeys.orderId, row!.id), eq(issuedKeys.status, 'delivered')));
    if (changed.length) {
      await audit(tx, {
        at, actor: input.actor, action: 'order_pushed', orderNo,
        detail: { changed, status: row!.status, keysRecorded: recorded, keysHeld },
      });
    }
    return stateOf(row!, keysHeld);
  }).catch((err: unknown) => {
    // two orders pushed at once naming one gateway number: the unique index takes the first
    if (!(err instanceof PushRefused) && isUniqueViolation(err)) {
      throw new PushRefused('conflict', 'a concurrent push recorded the same number first; push again');
    }
    throw err;
  });
}

/** The columns a push changes on a recorded order, after checking it contradicts nothing fixed. */
async function plannedUpdate(tx: Tx, row: OrderRow, p: PushedOrder, querySecretHash: string | undefined): Promise<Partial<OrderRow>> {
  const held = await tx.select({ status: issuedKeys.status }).from(issuedKeys).where(eq(issuedKeys.orderId, row.id));
  const fixed: [string, unknown, unknown][] = [
    ['product.sku', row.sku, p.product.sku], ['quantity', row.quantity, p.quantity],
    ['amountFen', row.amountCents, p.amountFen], ['channel', row.channel, p.channel],
  ];
  const update: Partial<OrderRow> = {};
  for (const [field, was, now] of fixed) {
    if (was === now) continue;
    if (held.length) throw new PushRefused('conflict', `${field}: the order holds keys, so it stays ${String(was)} (pushed: ${String(now)})`);
  }
  if (!held.length) Object.assign(update, diff(row, { sku: p.product.sku, quantity: p.quantity, amountCents: p.amountFen, channel: p.channel }));
  if (p.tradeNo) {
    if (row.tradeNo && row.tradeNo !== p.tradeNo) throw new PushRefused('conflict', `tradeNo: the order's gateway number is already ${row.tradeNo}`);
    if (!row.tradeNo) update.tradeNo = p.tradeNo;
  }
  // the number the payment was checked by: another may come while nothing was delivered (a new
  // payment attempt), never once keys were issued on the strength of the old one
  if (p.gatewayOrderNo && p.gatewayOrderNo !== row.gatewayOrderNo) {
    if (held.length) throw new PushRefused('conflict', `gatewayOrderNo: the order holds keys, so it stays ${row.gatewayOrderNo ?? 'its order number'}`);
    update.gatewayOrderNo = p.gatewayOrderNo;
  }
  const delivered = held.some((k) => k.status === 'delivered');
  // a delivered order's keys are real: only a refund (or the shop saying delivered) moves it on
  const stale = delivered && row.status === 'delivered' && p.status !== 'refunded';
  if (!stale && p.status !== row.status) update.status = p.status;
  if (p.paidAt && p.paidAt.getTime() !== row.paidAt?.getTime()) update.paidAt = p.paidAt;
  if (p.contact !== undefined && p.contact !== row.contact) update.contact = p.contact;
  if (querySecretHash !== undefined && querySecretHash !== row.querySecretHash) update.querySecretHash = querySecretHash;
  return update;
}

function diff<T extends Partial<OrderRow>>(row: OrderRow, wanted: T): Partial<OrderRow> {
  return Object.fromEntries(Object.entries(wanted).filter(([k, v]) => row[k as keyof OrderRow] !== v));
}

/**
 * The shop's own deliveries as keys the order holds, in its free slots. A key the order holds
 * already is skipped (a retry); a key another order holds is refused; a key sitting in our stock is
 * taken out of it, so it is never handed to a second buyer.
 */
async function recordShopKeys(tx: Tx, row: OrderRow, keys: { hash: string; sealed: string }[], at: Date): Promise<number> {
  if (!keys.length) return 0;
  const hashes = keys.map((k) => k.hash);
  const holders = await tx.select({ orderId: issuedKeys.orderId, hash: issuedKeys.secretHash, status: issuedKeys.status })
    .from(issuedKeys).where(inArray(issuedKeys.secretHash, hashes));
  if (holders.some((h) => h.orderId !== row.id && h.status === 'delivered')) {
    throw new PushRefused('conflict', 'keys: a key is already held by another order');
  }
  const mine = new Set(holders.filter((h) => h.orderId === row.id).map((h) => h.hash));
  const fresh = keys.filter((k) => !mine.has(k.hash));
  if (!fresh.length) return 0;
  const taken = await tx.select({ slot: issuedKeys.slot }).from(issuedKeys)
    .where(and(eq(issuedKeys.orderId, row.id), eq(issuedKeys.status, 'delivered')));
  const filled = new Set(taken.map((t) => t.slot));
  const free = [];
  for (let s = 1; s <= row.quantity; s++) if (!filled.has(s)) free.push(s);
  if (fresh.length > free.length) {
    throw new PushRefused('conflict', `keys: the order holds ${filled.size} of ${row.quantity} keys, no room for ${fresh.length} more`);
  }
  const inStock = await tx.update(stockKeys).set({ status: 'issued' })
    .where(and(inArray(stockKeys.secretHash, fresh.map((k) => k.hash)), eq(stockKeys.status, 'available')))
    .returning({ id: stockKeys.id, hash: stockKeys.secretHash });
  const stockId = new Map(inStock.map((s) => [s.hash, s.id]));
  const rows = [];
  for (const [i, k] of fresh.entries()) {
    rows.push({
      orderId: row.id, orderQuantity: row.quantity, slot: free[i]!, stockKeyId: stockId.get(k.hash) ?? null,
      secretEnc: k.sealed, secretHash: k.hash, status: 'delivered' as const, source: 'initial' as const, issuedAt: at,
    });
  }
  await tx.insert(issuedKeys).values(rows);
  return rows.length;
}

/** A gateway number another order already has would make the gateway's answer lead to the wrong order. */
async function refuseTakenGatewayNumber(tx: Tx, orderNo: string, gatewayOrderNo: string): Promise<void> {
  const [other] = await tx.select({ orderNo: orders.orderNo }).from(orders)
    .where(and(eq(orders.gatewayOrderNo, gatewayOrderNo), ne(orders.orderNo, orderNo))).limit(1);
  if (other) throw new PushRefused('conflict', `gatewayOrderNo: another order already has ${gatewayOrderNo}`);
}

function isUniqueViolation(err: unknown): boolean {
  for (let e = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
}

function stateOf(row: OrderRow, keysHeld: number): PushedOrderState {
  return {
    orderNo: row.orderNo, sku: row.sku, quantity: row.quantity, amountFen: row.amountCents, channel: row.channel,
    status: row.status, tradeNo: row.tradeNo, gatewayOrderNo: row.gatewayOrderNo, paidAt: row.paidAt?.toISOString() ?? null, keysHeld,
  };
}

/**
 * The shop port: everything the checkers, the actions and the sweep need from a shop's records,
 * whichever shop it is. The built-in store (order-doctor's own tables: the demo, the scenario
 * worlds) is one adapter; dujiaoka (its own MySQL database) is another. order-doctor's own records
 * (diagnoses, tickets, audit, sweep queue, agents) never go through here: they stay in its own
 * database whatever the shop is.
 */
import type { Database, Tx } from '../db/client.ts';
import type { Postgres } from '../db/postgres-guard.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Channel } from '../domain/verdicts.ts';
import type { OrderView, ShopOrder, ShopProduct } from '../domain/order.ts';

/** An order as a list of search results shows it: enough to pick the right one, no keys. */
export interface OrderSummary {
  order: ShopOrder;
  productTitle: string;
}

/** How many of a buyer's orders a contact search returns at most (newest first). */
export const CONTACT_SEARCH_LIMIT = 50;

export type ShopKind = 'builtin' | 'dujiaoka' | 'dujiao-next' | 'acg-faka';

export interface RevealedKey {
  slot: number;
  secret: string;
  issuedAt: string;
  replacement: boolean;
}

export interface DeliveryRequest {
  order: ShopOrder;
  product: ShopProduct;
  /**
   * reissue: fill the order's missing slots, with `given` keys first (the supplier's), then stock;
   * restore: only `given` keys (proven by the legacy record), skipping those the order holds
   */
  mode: 'reissue' | 'restore';
  given: string[];
  /** what the verified payment evidence said: a shop that never heard of the payment records it */
  payment?: { paidAt?: string; tradeNo?: string };
  now: Date;
  diagnosisId: string;
  /**
   * A supervisor lifted the replacement limit for this delivery (a reason given, audited by the
   * caller): voided slots are refilled even past the product's maxReplacements. Every other check
   * (the order's lock, keys still missing, stock) holds. An adapter whose shop counts replacements
   * must skip only that count when this is set; one that has no limit has nothing to lift.
   */
  overrideLimit?: boolean;
}

export type DeliveryOutcome =
  | {
      kind: 'issued';
      count: number;
      replacements: number;
      keysHeld: number;
      /** the secrets delivered now, for the buyer's email only when the operator opted in; never stored in clear */
      keys: string[];
      /** for the audit row: slots, sources, the shop's key row ids, previous status (never a key) */
      detail: Record<string, unknown>;
      /** the journal entry of a delivery into a separate database, committed with our own record */
      journalId?: string;
    }
  /** the order holds its keys already (a racing check delivered them): `keysHeld` as found under the lock */
  | { kind: 'already_delivered'; keysHeld: number }
  | { kind: 'limit_reached' }
  | { kind: 'out_of_stock'; missing: number; available: number }
  | { kind: 'nothing_to_restore'; keysHeld: number };

/** What a delivery into a separate database leaves in the journal before the shop commits. */
export interface JournalEntry {
  id: string;
  orderNo: string;
  /** counts, the shop's key row ids, keyed hashes of the keys: enough to tell later whether it landed */
  detail: Record<string, unknown>;
}

/**
 * How a delivery in a separate database is made safe across two commits: `prepare` is called
 * inside the shop's transaction, after its writes and before its commit (db/schema.ts shopDeliveries).
 */
export interface DeliveryJournal {
  prepare(entry: JournalEntry): Promise<void>;
}

export interface DeliveryContext {
  /** our database transaction: the built-in store's rows live there and deliver in it */
  tx?: Tx;
  journal: DeliveryJournal;
}

/** What a separate shop says about a journal entry whose commit order-doctor did not see. */
export type LandedCheck = 'landed' | 'not_landed';

export type StuckReason = 'undelivered' | 'supplier_overdue' | 'closed_maybe_paid' | 'manual_overdue';

/** An order the sweep should look at, from the shop's records. */
export interface StuckOrder {
  orderNo: string;
  reason: StuckReason;
  channel: Channel | null;
  sku: string;
  createdAt: Date;
  /** when to look first (a manual order: once its window has passed) */
  dueAt: Date;
}

/**
 * One selection's candidates. `done()` is called once they are queued: a shop that reads its
 * orders incrementally moves its cursor only then, so a crash in between loses no candidate.
 */
export interface StuckBatch {
  orders: StuckOrder[];
  done(): Promise<void>;
}

export interface StuckQuery {
  now: Date;
  horizonMs: number;
  limit: number;
  /** a dry run: read, remember nothing (the shop's selection cursor stays where it was) */
  dryRun?: boolean;
}

/** A payment channel as the shop records it, with credentials when the shop keeps them (dujiaoka's `pays`). */
export interface ShopChannel {
  ref: string;
  name: string;
  handler: string;
  /** the protocol family order-doctor speaks for it; null: one it does not */
  channel: Channel | null;
  open: boolean;
  credentials?: ShopCredentials;
}

export type ShopCredentials =
  | { protocol: 'alipay'; appId: string; merchantPrivateKey: string; alipayPublicKey: string }
  | { protocol: 'wechatpay-v2'; appid: string; mchid: string; key: string }
  | { protocol: 'epay-v1'; apiUrl: string; pid: string; key: string };

export interface ShopPort {
  readonly kind: ShopKind;
  /**
   * false: the shop's rows live in order-doctor's database and a delivery commits in the diagnosis'
   * own transaction; true: two commits, made safe by the delivery journal.
   */
  readonly separate: boolean;
  /** what is worth saying at start (the server, optional indexes a large shop wants); serve prints it */
  readonly notes: string[];
  /** the order by the shop's number, or by the gateway's transaction number when the shop knows it */
  find(asked: string): Promise<OrderView | undefined>;
  /** the order by the shop's number only */
  findByOrderNo(orderNo: string): Promise<OrderView | undefined>;
  /**
   * The orders a buyer placed with this contact (an email address, compared without case), newest
   * first, at most `limit`: agents find a buyer who has no order number at hand. Uses an index in
   * both shops (ours: lower(contact); dujiaoka's own index on email).
   */
  findByContact(contact: string, limit: number): Promise<OrderSummary[]>;
  /** whether `secret` opens this order (查询密码), compared in constant time */
  verifySecret(order: ShopOrder, secret: string): Promise<boolean>;
  /** the order's valid keys, decrypted: the caller audits the reveal */
  revealKeys(order: ShopOrder): Promise<RevealedKey[]>;
  /** exactly once: re-checks under the order's row lock that the keys are still missing */
  deliver(req: DeliveryRequest, ctx: DeliveryContext): Promise<DeliveryOutcome>;
  /** whether a journalled delivery reached the shop (called only for entries left `prepared`) */
  landed(entry: { orderNo: string; detail: Record<string, unknown> }): Promise<LandedCheck>;
  /** orders that may be stuck and were not handed to the sweep before, oldest first */
  findStuck(q: StuckQuery): Promise<StuckBatch>;
  /** how many findStuck would return now (an estimate where the shop cannot count cheaply) */
  countStuck(q: Omit<StuckQuery, 'limit'>): Promise<number>;
  /** of these products, the ones with stock to deliver now (out-of-stock orders wait for it) */
  inStock(skus: string[]): Promise<string[]>;
  /** the shop's payment channels (empty for a shop that keeps none) */
  channels(): Promise<ShopChannel[]>;
  /** one round trip to the shop's own database (/healthz); resolves at once for the built-in store, which lives in ours */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What opening a connected shop needs from order-doctor: its own database (the journal, cursors), the key box, the clock. */
export interface ShopOpenDeps {
  database: Database;
  box: SecretBox;
  now: () => Date;
  /** a shop on Postgres: postgres.js itself (Workers: its workerd build); default the guarded build (db/postgres-guard.ts) */
  postgres?: Postgres;
}

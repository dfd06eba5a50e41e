/**
 * The order as every shop presents it, whatever its own tables look like: what the checkers, the
 * decision and the actions read. Shop adapters (src/shops/) build these; nothing here knows a table.
 */
import type { Channel, OrderStatus } from './verdicts.ts';

/** How the shop names the way an order was paid (dujiaoka: its `pays` row). */
export interface PaymentMethod {
  /** the shop's own id of the method (its `pays.id`) */
  ref: string;
  /** what the shop calls it (支付宝当面付, Stripe, ...) */
  name: string;
  /** the shop's handler for it (`/pay/alipay`, `/pay/stripe`, ...) */
  handler: string;
}

export interface ShopOrder {
  /** the shop's own row id for the order */
  id: number;
  /** the shop's order number (ours for the built-in store, `order_sn` for dujiaoka) */
  orderNo: string;
  sku: string;
  quantity: number;
  /** what the buyer must pay, in fen */
  amountCents: number;
  /** the gateway protocol that can answer for the payment; null when it is one order-doctor does not speak */
  channel: Channel | null;
  payment?: PaymentMethod;
  status: OrderStatus;
  createdAt: Date;
  paidAt: Date | null;
  /** the gateway's own transaction number, once the shop learnt it */
  tradeNo: string | null;
  /**
   * the number the gateway knows the payment by (its out_trade_no), when it is not `orderNo`:
   * dujiao-next sends each payment attempt's own `gateway_order_no`
   */
  gatewayOrderNo?: string;
  /** the buyer's contact (an email address, when the shop asks for one) */
  contact: string | null;
}

export interface ShopProduct {
  sku: string;
  title: string;
  /** stock: keys from own inventory; supplier: bought upstream; manual: the shop's owner fulfils it by hand */
  fulfilment: 'stock' | 'supplier' | 'manual';
  deliveryWindowMinutes: number;
  /** automatic replacements of voided keys allowed per order */
  maxReplacements: number;
}

export interface HeldKey {
  status: 'delivered' | 'voided';
  replacement: boolean;
  /** the secret's keyed hash (never the secret) */
  hash: string;
}

export interface Holdings {
  keys: HeldKey[];
  /** available stock of the product, counted only up to the order's quantity */
  stockAvailable: number;
  /** manual goods: what the shop's owner did with it so far */
  manual?: 'waiting' | 'failed';
}

/** An order with its product and what it holds: one shop lookup. */
export interface OrderView {
  order: ShopOrder;
  product: ShopProduct;
  holdings: Holdings;
  /**
   * order-doctor's migration ledger row naming this order as the new one, when the shop's lookup
   * read it in the same statement (the built-in store shares our database; null: no such row).
   * Absent: the shop did not, and engine/lookup.ts asks the ledger itself.
   */
  ledger?: MigrationEntry | null;
}

/** An order of the pre-migration platform, as exported from it (order-doctor's own records). */
export interface LegacyOrder {
  orderNo: string;
  sku: string;
  quantity: number;
  amountCents: number;
  status: string;
  paidAt: Date | null;
  querySecretHash: string;
  /** encrypted JSON array of the card secrets the legacy platform delivered */
  keysEnc: string;
  keyCount: number;
}

/** Where a legacy order is in its migration. */
export interface MigrationEntry {
  legacyOrderNo: string;
  state: 'pending' | 'migrated' | 'failed' | 'conflict';
  batch: string | null;
  eta: Date | null;
  newOrderNo: string | null;
}

/** Everything known about a number a buyer or agent typed. */
export interface Lookup {
  /** the number as the caller gave it */
  asked: string;
  order?: ShopOrder;
  product?: ShopProduct;
  /** what the order holds; present with the order */
  holdings?: Holdings;
  legacy?: LegacyOrder;
  ledger?: MigrationEntry;
}

export function exists(l: Lookup): boolean {
  return Boolean(l.order || l.legacy || l.ledger);
}

/** The number diagnoses, tickets and audit rows are filed under. */
export function canonicalOrderNo(l: Lookup): string {
  return l.order?.orderNo ?? l.legacy?.orderNo ?? l.ledger?.legacyOrderNo ?? l.asked;
}

export function validKeys(h: Holdings): number {
  return h.keys.filter((k) => k.status === 'delivered').length;
}

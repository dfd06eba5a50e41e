import type { PaymentEvidence } from './payment.ts';
import type { Channel, OrderStatus } from './verdicts.ts';

/**
 * Facts the checkers find. The decision (decide.ts) is a pure function of these, so every verdict
 * can be table-tested without a database or a network.
 */

/** The order as the new platform holds it (absent when only legacy data knows the number). */
export interface OrderFacts {
  orderNo: string;
  sku: string;
  productTitle: string;
  fulfilment: 'stock' | 'supplier' | 'manual';
  deliveryWindowMinutes: number;
  quantity: number;
  amountCents: number;
  /** null: paid through a gateway order-doctor does not speak (see paymentMethod) */
  channel: Channel | null;
  /** how the shop names the payment method, when it keeps one per order (dujiaoka) */
  paymentMethod?: string;
  status: OrderStatus;
  createdAt: string;
  paidAt?: string;
  tradeNo?: string;
}

/** Every checker's result is either evidence or "no trustworthy evidence" (never an exception). */
export type Finding<T> =
  | { ok: true; ms: number; data: T }
  | { ok: false; ms: number; error: string; skipped?: boolean };

/** Why an order's payment cannot be asked about at all. */
export interface Unverifiable {
  /** unsupported_gateway: one order-doctor does not speak (Stripe, PayPal, USDT, 码支付...); no_credentials: none configured */
  reason: 'unsupported_gateway' | 'no_credentials';
  channel?: Channel;
  /** the shop's name for the payment method, and its handler */
  method?: string;
  handler?: string;
}

export type PaymentFinding = { evidence: PaymentEvidence } | { unverifiable: Unverifiable };

export interface SupplierFacts {
  state: 'processing' | 'success' | 'failed' | 'untreated' | 'unknown';
  since?: string;
  reason?: string;
  /** number of keys the supplier delivered that the order does not hold yet */
  keysAvailable: number;
}

export interface IssuanceFinding {
  quantity: number;
  /** delivered (not voided) keys the order holds */
  validKeys: number;
  voidedKeys: number;
  /** automatic replacements already issued for this order */
  replacementsUsed: number;
  maxReplacements: number;
  /** keys of this SKU in own stock, free to claim */
  stockAvailable: number;
  /** supplier products only; absent when the product ships from own stock */
  supplier?: SupplierFacts;
  /** manual goods only: the shop's owner has not delivered yet (waiting), or marked it failed */
  manual?: 'waiting' | 'failed';
}

export type MigrationFinding =
  | { kind: 'none' } // not a migrated order, nothing in legacy data
  | { kind: 'pending'; legacyOrderNo: string; batch?: string; eta?: string }
  | { kind: 'failed'; legacyOrderNo: string; batch?: string }
  | { kind: 'conflict'; legacyOrderNo: string; fields: string[]; batch?: string }
  | {
      kind: 'migrated';
      legacyOrderNo: string;
      batch?: string;
      /** keys the legacy record proves were delivered but the new order lacks */
      missingKeys: number;
      legacyPaidAt?: string;
    };

export interface Findings {
  now: string;
  order?: OrderFacts;
  /** true when no new order exists but legacy data knows the number */
  legacyOnly: boolean;
  migration: Finding<MigrationFinding>;
  issuance?: Finding<IssuanceFinding>;
  /** absent when no payment evidence was needed (e.g. delivered) or the order is legacy-only */
  payment?: Finding<PaymentFinding>;
}

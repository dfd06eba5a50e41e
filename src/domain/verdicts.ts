/**
 * The verdict and action codes of ../shared/spec/verdicts.md. They are stable API: the page, the
 * agent API, the sweep, the scenario runner and reports all speak them.
 */
export const VERDICTS = [
  'ORDER_NOT_FOUND',
  'MIGRATION_PENDING',
  'MIGRATION_CONFLICT',
  'MIGRATION_INCOMPLETE',
  'DELIVERED',
  'PAYMENT_UNVERIFIABLE',
  'UPSTREAM_UNAVAILABLE',
  'REFUNDED',
  'PAYMENT_CLOSED',
  'PAYMENT_FAILED',
  'NOT_PAID',
  'AMOUNT_MISMATCH',
  'DELIVERY_IN_PROGRESS',
  'DELIVERY_DELAYED',
  'KEY_VOIDED',
  'REISSUE_LIMIT_REACHED',
  'OUT_OF_STOCK',
  'PAID_NOT_DELIVERED',
] as const;
export type Verdict = (typeof VERDICTS)[number];

export const ACTIONS = ['none', 'reissued', 'restored', 'escalated', 'deferred'] as const;
export type Action = (typeof ACTIONS)[number];

/** The action each verdict calls for (the contract's table). */
export const ACTION_FOR: Record<Verdict, Action> = {
  ORDER_NOT_FOUND: 'none',
  MIGRATION_PENDING: 'none',
  MIGRATION_CONFLICT: 'escalated',
  MIGRATION_INCOMPLETE: 'restored',
  DELIVERED: 'none',
  PAYMENT_UNVERIFIABLE: 'escalated',
  UPSTREAM_UNAVAILABLE: 'deferred',
  REFUNDED: 'none',
  PAYMENT_CLOSED: 'none',
  PAYMENT_FAILED: 'none',
  NOT_PAID: 'none',
  AMOUNT_MISMATCH: 'escalated',
  DELIVERY_IN_PROGRESS: 'none',
  DELIVERY_DELAYED: 'escalated',
  KEY_VOIDED: 'reissued',
  REISSUE_LIMIT_REACHED: 'escalated',
  OUT_OF_STOCK: 'escalated',
  PAID_NOT_DELIVERED: 'reissued',
};

export const CHANNELS = ['alipay', 'wechat', 'epay'] as const;
export type Channel = (typeof CHANNELS)[number];

/**
 * Payment methods shops take that order-doctor cannot query (no protocol of theirs is spoken here):
 * an order paid through one of them is PAYMENT_UNVERIFIABLE, for a person to check.
 */
export const UNSPOKEN_METHODS = { stripe: 'Stripe', paypal: 'PayPal', usdt: 'USDT' } as const;
export type UnspokenMethod = keyof typeof UNSPOKEN_METHODS;

export function isChannel(v: string): v is Channel {
  return (CHANNELS as readonly string[]).includes(v);
}

export const ORDER_STATUSES = ['pending', 'paid', 'delivered', 'closed', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export type Lang = 'zh-CN' | 'en';
export type Explanation = Record<Lang, string>;

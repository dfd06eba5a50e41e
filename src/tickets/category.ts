/**
 * Categories and priorities. A ticket's category defaults from the verdict that opened it (a buyer's
 * "not solved" takes the verdict of the diagnosis they saw); an agent can change it.
 */
export const CATEGORIES = ['payment', 'delivery', 'stock', 'migration', 'account'] as const;
export type Category = (typeof CATEGORIES)[number];
export const PRIORITIES = ['urgent', 'normal'] as const;
export type Priority = (typeof PRIORITIES)[number];

const PAYMENT = new Set(['PAYMENT_UNVERIFIABLE', 'AMOUNT_MISMATCH', 'UPSTREAM_UNAVAILABLE', 'NOT_PAID', 'PAYMENT_CLOSED', 'PAYMENT_FAILED', 'REFUNDED']);

/** Kept in step with the backfill in migrations/0008_tickets_sla.sql. */
export function categoryFor(verdictOrReason: string): Category {
  if (verdictOrReason.startsWith('MIGRATION')) return 'migration';
  if (verdictOrReason === 'OUT_OF_STOCK') return 'stock';
  if (PAYMENT.has(verdictOrReason)) return 'payment';
  if (verdictOrReason === 'ORDER_NOT_FOUND') return 'account';
  return 'delivery';
}

export const isCategory = (v: unknown): v is Category => typeof v === 'string' && (CATEGORIES as readonly string[]).includes(v);
export const isPriority = (v: unknown): v is Priority => typeof v === 'string' && (PRIORITIES as readonly string[]).includes(v);

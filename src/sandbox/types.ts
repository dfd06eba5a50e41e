import type { Channel } from '../domain/verdicts.ts';
import type { TradeRef } from '../domain/payment.ts';

/** What a scenario says a gateway will answer for one order (../shared/spec/scenarios.md). */
export const GATEWAY_STATES = [
  'paid', 'unpaid', 'in_progress', 'not_found', 'closed', 'refunded', 'failed',
  'unreachable', 'timeout', 'http_500', 'malformed', 'bad_signature', 'stale',
] as const;
export type GatewayAnswerState = (typeof GATEWAY_STATES)[number];

export interface GatewayAnswer {
  state: GatewayAnswerState;
  amountCents?: number;
  paidAt?: string;
  tradeNo?: string;
  refundedAt?: string;
  reason?: string;
}

/** One trade as the sandbox gateway knows it. */
export interface SandboxTrade {
  orderNo: string;
  channel: Channel;
  subject: string; // product title, for the protocols' name/subject fields
  totalCents: number; // the order total (what the shop asked for)
  createdAt: string;
  answer: GatewayAnswer;
}

/** What the supplier sandbox will answer for one order (scenario `orders[].supplier`). */
export interface SupplierAnswer {
  state: 'processing' | 'success' | 'failed';
  since: string;
  keys?: string[];
  reason?: string;
}

export interface SandboxWorld {
  /** Finds the trade by our order number or by the gateway's own transaction number. */
  findTrade(channel: Channel, ref: TradeRef): Promise<SandboxTrade | null>;
  findSupplierOrder(orderNo: string): Promise<{ sku: string; quantity: number; answer: SupplierAnswer } | null>;
}

/** The clock and latency every sandbox upstream shares. */
export interface SandboxContext {
  world: SandboxWorld;
  now: () => Date;
  latencyMs: number;
}

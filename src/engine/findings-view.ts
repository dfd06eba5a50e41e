/**
 * Findings as agents see them (and as they are persisted): every checker's evidence and timing,
 * with secrets already redacted by the adapters and card keys never present.
 */
import type { Finding, Findings, OrderFacts, PaymentFinding } from '../domain/findings.ts';
import { trustsPaymentClaim, type TrustPolicy } from '../domain/decide.ts';
import type { IssuanceResult } from '../checkers/issuance.ts';
import type { Lookup } from '../domain/order.ts';

export interface CheckerView {
  ok: boolean;
  ms: number;
  skipped?: boolean;
  error?: string;
  data?: unknown;
  evidence?: unknown;
}

export interface FindingsView {
  order?: OrderFacts;
  migration: CheckerView;
  issuance?: CheckerView;
  payment?: CheckerView;
}

export function orderFacts(l: Lookup): OrderFacts | undefined {
  const { order, product } = l;
  if (!order || !product) return undefined;
  return {
    orderNo: order.orderNo,
    sku: order.sku,
    productTitle: product.title,
    fulfilment: product.fulfilment,
    deliveryWindowMinutes: product.deliveryWindowMinutes,
    quantity: order.quantity,
    amountCents: order.amountCents,
    channel: order.channel,
    ...(order.payment ? { paymentMethod: order.payment.name } : {}),
    status: order.status,
    createdAt: order.createdAt.toISOString(),
    paidAt: order.paidAt?.toISOString(),
    tradeNo: order.tradeNo ?? undefined,
  };
}

function base(f: Finding<unknown>): CheckerView {
  return f.ok ? { ok: true, ms: f.ms } : { ok: false, ms: f.ms, error: f.error, ...(f.skipped ? { skipped: true } : {}) };
}

export function viewFindings(f: Findings, policy: TrustPolicy, issuance?: IssuanceResult, payment?: PaymentFinding): FindingsView {
  const view: FindingsView = { order: f.order, migration: { ...base(f.migration), data: f.migration.ok ? f.migration.data : undefined } };
  if (f.issuance) {
    view.issuance = { ...base(f.issuance), data: issuance?.finding, evidence: issuance?.supplier };
  }
  if (f.payment) {
    if (payment && 'unverifiable' in payment) {
      view.payment = { ...base(f.payment), data: { unverifiable: payment.unverifiable } };
    } else {
      const { exchange, ...summary } = payment?.evidence ?? { exchange: undefined };
      view.payment = { ...base(f.payment), data: payment ? { ...summary, trusted: trustsPaymentClaim(payment.evidence, policy) } : undefined, evidence: exchange };
    }
  }
  return view;
}

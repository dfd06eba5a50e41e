import type { PaymentEvidence } from '../../src/domain/payment.ts';
import type {
  Finding,
  Findings,
  IssuanceFinding,
  MigrationFinding,
  OrderFacts,
  PaymentFinding,
  SupplierFacts,
} from '../../src/domain/findings.ts';

/**
 * Findings for table tests. The default is the most common case: a paid Alipay order for one
 * stock key whose callback got lost (PAID_NOT_DELIVERED); each row overrides only what it is about.
 */

export const NOW = '2026-11-22T10:00:00+08:00';

export function order(over: Partial<OrderFacts> = {}): OrderFacts {
  return {
    orderNo: 'K202611220001',
    sku: 'STEAM-100',
    productTitle: 'Steam 钱包充值卡 100元',
    fulfilment: 'stock',
    deliveryWindowMinutes: 10,
    quantity: 1,
    amountCents: 10000,
    channel: 'alipay',
    status: 'pending',
    createdAt: '2026-11-22T09:40:00+08:00',
    ...over,
  };
}

export function issuance(over: Partial<IssuanceFinding> = {}): Finding<IssuanceFinding> {
  return {
    ok: true,
    ms: 3,
    data: {
      quantity: 1,
      validKeys: 0,
      voidedKeys: 0,
      replacementsUsed: 0,
      maxReplacements: 1,
      stockAvailable: 5,
      ...over,
    },
  };
}

export function supplier(over: Partial<SupplierFacts> = {}): SupplierFacts {
  return { state: 'processing', since: '2026-11-22T09:41:30+08:00', keysAvailable: 0, ...over };
}

export function evidence(over: Partial<PaymentEvidence> = {}): PaymentEvidence {
  return {
    channel: 'alipay',
    trust: 'verified',
    state: 'paid',
    amountCents: 10000,
    paidAt: '2026-11-22T09:41:10+08:00',
    tradeNo: '2026112222001400001',
    outTradeNo: 'K202611220001',
    exchange: [],
    attempts: 1,
    ms: 40,
    ...over,
  };
}

export function payment(over: Partial<PaymentEvidence> = {}): Finding<PaymentFinding> {
  return { ok: true, ms: 40, data: { evidence: evidence(over) } };
}

/** A gateway answer that could not be had or verified. */
export function faulty(kind: NonNullable<PaymentEvidence['fault']>['kind'], over: Partial<PaymentEvidence> = {}) {
  return payment({ trust: 'untrusted', state: undefined, fault: { kind, message: `${kind} talking to gateway` }, ...over });
}

export function migration(data: MigrationFinding): Finding<MigrationFinding> {
  return { ok: true, ms: 2, data };
}

export function failedChecker<T>(error: string): Finding<T> {
  return { ok: false, ms: 5000, error };
}

export function findings(over: Partial<Findings> = {}): Findings {
  return {
    now: NOW,
    order: order(),
    legacyOnly: false,
    migration: migration({ kind: 'none' }),
    issuance: issuance(),
    payment: payment(),
    ...over,
  };
}

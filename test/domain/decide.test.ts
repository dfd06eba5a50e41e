import { describe, expect, it } from 'vitest';
import { canDecideWithoutPayment, decide, trustsPaymentClaim } from '../../src/domain/decide.ts';
import type { Decision, DecisionFacts, TrustPolicy } from '../../src/domain/decide.ts';
import type { Findings } from '../../src/domain/findings.ts';
import { ACTION_FOR, VERDICTS } from '../../src/domain/verdicts.ts';
import type { Verdict } from '../../src/domain/verdicts.ts';
import {
  evidence,
  failedChecker,
  faulty,
  findings,
  issuance,
  migration,
  order,
  payment,
  supplier,
} from './findings-factory.ts';

const REJECT: TrustPolicy = { epayV1Trust: 'reject' };
const ACCEPT: TrustPolicy = { epayV1Trust: 'accept' };

interface Row {
  name: string;
  f: Findings;
  policy?: TrustPolicy;
  verdict: Verdict;
  /** facts that must be present with these values (others may be present too) */
  facts?: DecisionFacts;
  neededPayment?: boolean;
}

const legacyOnly = (over: Partial<Findings> = {}) =>
  findings({ order: undefined, legacyOnly: true, issuance: undefined, payment: undefined, ...over });
const supplierOrder = order({ fulfilment: 'supplier', deliveryWindowMinutes: 10 });

/** One row per verdict: the plain case of each. */
const ONE_PER_VERDICT: Row[] = [
  {
    name: 'no order under that number, new or legacy',
    f: findings({ order: undefined, issuance: undefined, payment: undefined }),
    verdict: 'ORDER_NOT_FOUND',
    neededPayment: false,
  },
  {
    name: 'legacy-only order whose migration has not run',
    f: legacyOnly({
      migration: migration({ kind: 'pending', legacyOrderNo: 'L88001', batch: 'B7', eta: '2026-11-23T02:00:00+08:00' }),
    }),
    verdict: 'MIGRATION_PENDING',
    facts: { legacyOrderNo: 'L88001', batch: 'B7', eta: '2026-11-23T02:00:00+08:00' },
    neededPayment: false,
  },
  {
    name: 'legacy and new records disagree on the amount',
    f: findings({ migration: migration({ kind: 'conflict', legacyOrderNo: 'L88002', fields: ['amountCents'], batch: 'B3' }) }),
    verdict: 'MIGRATION_CONFLICT',
    facts: { legacyOrderNo: 'L88002', conflictFields: ['amountCents'], batch: 'B3' },
    neededPayment: false,
  },
  {
    name: 'migrated order lacks keys the legacy record proves',
    f: findings({ migration: migration({ kind: 'migrated', legacyOrderNo: 'L88003', missingKeys: 2, batch: 'B2' }) }),
    verdict: 'MIGRATION_INCOMPLETE',
    facts: { legacyOrderNo: 'L88003', missing: 2 },
    neededPayment: false,
  },
  {
    name: 'order holds all its valid keys',
    f: findings({ issuance: issuance({ validKeys: 1 }) }),
    verdict: 'DELIVERED',
    neededPayment: false,
  },
  {
    name: 'paid through a gateway order-doctor does not speak (Stripe)',
    f: findings({
      order: order({ channel: null, paymentMethod: 'Stripe[微信支付宝]' }),
      payment: { ok: true, ms: 0, data: { unverifiable: { reason: 'unsupported_gateway', method: 'Stripe[微信支付宝]', handler: '/pay/stripe' } } },
    }),
    verdict: 'PAYMENT_UNVERIFIABLE',
    facts: { reason: 'unsupported_gateway', paymentMethod: 'Stripe[微信支付宝]' },
    neededPayment: true,
  },
  {
    name: 'gateway timed out',
    f: findings({ payment: faulty('timeout') }),
    verdict: 'UPSTREAM_UNAVAILABLE',
    facts: { upstreamProblem: 'payment: timeout' },
    neededPayment: true,
  },
  {
    name: 'paid then refunded',
    f: findings({ payment: payment({ state: 'refunded', refundedAt: '2026-11-21T15:00:00+08:00' }) }),
    verdict: 'REFUNDED',
    facts: { refundedAt: '2026-11-21T15:00:00+08:00', paidAmountCents: 10000, channel: 'alipay' },
  },
  {
    name: 'trade closed, never paid',
    f: findings({ payment: payment({ state: 'closed', amountCents: undefined, paidAt: undefined }) }),
    verdict: 'PAYMENT_CLOSED',
    facts: { paymentState: 'closed' },
  },
  {
    name: 'payment attempt failed with a reason',
    f: findings({ payment: payment({ channel: 'wechat', state: 'failed', reason: '银行卡余额不足', amountCents: undefined }) }),
    verdict: 'PAYMENT_FAILED',
    facts: { reason: '银行卡余额不足', channel: 'wechat' },
  },
  {
    name: 'gateway still waits for the buyer',
    f: findings({ payment: payment({ state: 'unpaid', amountCents: undefined, paidAt: undefined }) }),
    verdict: 'NOT_PAID',
    facts: { paymentState: 'unpaid' },
  },
  {
    name: 'paid total differs from the order total',
    f: findings({ payment: payment({ amountCents: 9900 }) }),
    verdict: 'AMOUNT_MISMATCH',
    facts: { paidAmountCents: 9900, orderAmountCents: 10000 },
  },
  {
    name: 'supplier still processing inside the window',
    f: findings({
      now: '2026-11-22T09:45:00+08:00',
      order: supplierOrder,
      issuance: issuance({ supplier: supplier() }),
    }),
    verdict: 'DELIVERY_IN_PROGRESS',
    facts: { deliveryDueAt: '2026-11-22T01:51:10.000Z', paidAt: '2026-11-22T09:41:10+08:00' },
  },
  {
    name: 'supplier still processing past the window',
    f: findings({ order: supplierOrder, issuance: issuance({ supplier: supplier({ state: 'untreated' }) }) }),
    verdict: 'DELIVERY_DELAYED',
    facts: { deliveryDueAt: '2026-11-22T01:51:10.000Z' },
  },
  {
    name: 'a delivered key was voided and a replacement is allowed',
    f: findings({ issuance: issuance({ voidedKeys: 1 }) }),
    verdict: 'KEY_VOIDED',
    facts: { missing: 1, voidedSlots: 1, neverDelivered: 0 },
  },
  {
    name: 'a voided key but the replacement was used already',
    f: findings({ issuance: issuance({ voidedKeys: 1, replacementsUsed: 1 }) }),
    verdict: 'REISSUE_LIMIT_REACHED',
    facts: { voidedSlots: 1 },
  },
  {
    name: 'keys missing and no stock',
    f: findings({ issuance: issuance({ stockAvailable: 0 }) }),
    verdict: 'OUT_OF_STOCK',
    facts: { missing: 1 },
  },
  {
    name: 'callback lost, stock available',
    f: findings(),
    verdict: 'PAID_NOT_DELIVERED',
    facts: { missing: 1, neverDelivered: 1, voidedSlots: 0, paidAmountCents: 10000, tradeNo: '2026112222001400001' },
    neededPayment: true,
  },
];

/** Precedence pairs that can co-occur, and the edges of each rule. */
const unverifiable = (reason: 'unsupported_gateway' | 'no_credentials'): Findings['payment'] =>
  ({ ok: true, ms: 0, data: { unverifiable: { reason, channel: reason === 'no_credentials' ? 'wechat' : undefined, method: '微信扫码' } } });
const manualOrder = order({ fulfilment: 'manual', deliveryWindowMinutes: 120, paidAt: undefined, createdAt: '2026-11-22T09:00:00+08:00' });

const PRECEDENCE: Row[] = [
  {
    name: 'delivered beats an unverifiable payment: the records decide, no gateway needed',
    f: findings({ issuance: issuance({ validKeys: 1 }), payment: unverifiable('unsupported_gateway') }),
    verdict: 'DELIVERED',
    neededPayment: false,
  },
  {
    name: 'no credentials for the order\'s channel: unverifiable, not a guess',
    f: findings({ payment: unverifiable('no_credentials') }),
    verdict: 'PAYMENT_UNVERIFIABLE',
    facts: { reason: 'no_credentials', channel: 'wechat', paymentMethod: '微信扫码' },
  },
  {
    name: 'unverifiable comes before an issuance checker that failed (nothing to retry for the payment)',
    f: findings({ issuance: failedChecker('db timeout'), payment: unverifiable('unsupported_gateway') }),
    verdict: 'PAYMENT_UNVERIFIABLE',
  },
  {
    name: 'manual goods, paid, inside the owner\'s window: in progress, never issued from stock',
    f: findings({ order: manualOrder, issuance: issuance({ stockAvailable: 5, manual: 'waiting' }), payment: payment({ paidAt: '2026-11-22T09:01:00+08:00' }) }),
    verdict: 'DELIVERY_IN_PROGRESS',
    facts: { deliveryDueAt: '2026-11-22T03:01:00.000Z' },
  },
  {
    name: 'manual goods past the owner\'s window: delayed (a ticket), never issued from stock',
    f: findings({ order: manualOrder, issuance: issuance({ stockAvailable: 5, manual: 'waiting' }), payment: payment({ paidAt: '2026-11-22T07:01:00+08:00' }) }),
    verdict: 'DELIVERY_DELAYED',
  },
  {
    name: 'manual goods the owner marked failed: delayed at once, whatever the window',
    f: findings({ order: manualOrder, issuance: issuance({ manual: 'failed' }), payment: payment({ paidAt: '2026-11-22T09:59:00+08:00' }) }),
    verdict: 'DELIVERY_DELAYED',
    facts: { reason: 'manual_failed' },
  },
  {
    name: 'migration pending beats delivered keys and a dead gateway',
    f: findings({
      migration: migration({ kind: 'pending', legacyOrderNo: 'L1', batch: 'B9' }),
      issuance: issuance({ validKeys: 1 }),
      payment: faulty('network'),
    }),
    verdict: 'MIGRATION_PENDING',
  },
  {
    name: 'migration conflict beats delivered keys',
    f: findings({
      migration: migration({ kind: 'conflict', legacyOrderNo: 'L2', fields: ['sku'] }),
      issuance: issuance({ validKeys: 1 }),
    }),
    verdict: 'MIGRATION_CONFLICT',
  },
  {
    name: 'a ledger "failed" (record lost) is a conflict a human must fix',
    f: legacyOnly({ migration: migration({ kind: 'failed', legacyOrderNo: 'L3', batch: 'B4' }) }),
    verdict: 'MIGRATION_CONFLICT',
    facts: { legacyOrderNo: 'L3', reason: 'migration_record_lost' },
  },
  {
    name: 'migration incomplete beats an unavailable gateway',
    f: findings({ migration: migration({ kind: 'migrated', legacyOrderNo: 'L4', missingKeys: 1 }), payment: faulty('http') }),
    verdict: 'MIGRATION_INCOMPLETE',
    neededPayment: false,
  },
  {
    name: 'a fully migrated order falls through to the ordinary rules',
    f: findings({ migration: migration({ kind: 'migrated', legacyOrderNo: 'L5', missingKeys: 0 }) }),
    verdict: 'PAID_NOT_DELIVERED',
  },
  {
    name: 'a failed migration checker does not block an order the new platform holds',
    f: findings({ migration: failedChecker('legacy db timeout') }),
    verdict: 'PAID_NOT_DELIVERED',
  },
  {
    name: 'a legacy-only order with a failed migration checker is unavailable, not guessed',
    f: legacyOnly({ migration: failedChecker('legacy db timeout') }),
    verdict: 'UPSTREAM_UNAVAILABLE',
    facts: { upstreamProblem: 'migration: legacy db timeout' },
    neededPayment: false,
  },
  {
    name: 'no new order and no migration evidence: cannot claim "not found"',
    f: findings({ order: undefined, issuance: undefined, payment: undefined, migration: failedChecker('legacy db down') }),
    verdict: 'UPSTREAM_UNAVAILABLE',
    facts: { upstreamProblem: 'migration: legacy db down' },
  },
  {
    name: 'delivered beats an unavailable gateway',
    f: findings({ issuance: issuance({ validKeys: 1 }), payment: faulty('timeout') }),
    verdict: 'DELIVERED',
    neededPayment: false,
  },
  {
    name: 'delivered needs no payment finding at all',
    f: findings({ issuance: issuance({ quantity: 2, validKeys: 2, voidedKeys: 1, replacementsUsed: 1 }), payment: undefined }),
    verdict: 'DELIVERED',
  },
  {
    name: 'untrusted evidence has no state: refunded-looking data is still unavailable',
    f: findings({ payment: faulty('signature', { state: 'refunded' }) }),
    verdict: 'UPSTREAM_UNAVAILABLE',
    facts: { upstreamProblem: 'payment: signature' },
  },
  {
    name: 'a bad-signature "paid" never issues a key',
    f: findings({ payment: faulty('signature', { state: 'paid', amountCents: 10000 }) }),
    verdict: 'UPSTREAM_UNAVAILABLE',
  },
  {
    name: 'a failed payment checker is unavailable',
    f: findings({ payment: failedChecker('circuit open') }),
    verdict: 'UPSTREAM_UNAVAILABLE',
    facts: { upstreamProblem: 'payment: circuit open' },
  },
  {
    name: 'a missing payment finding is unavailable when the order is not delivered',
    f: findings({ payment: undefined }),
    verdict: 'UPSTREAM_UNAVAILABLE',
  },
  {
    name: 'a failed issuance checker is unavailable even when the gateway says refunded',
    f: findings({ issuance: failedChecker('db timeout'), payment: payment({ state: 'refunded' }) }),
    verdict: 'UPSTREAM_UNAVAILABLE',
    facts: { upstreamProblem: 'issuance: db timeout' },
    neededPayment: true,
  },
  {
    name: 'a verified "paid" without an amount is not guessed to match',
    f: findings({ payment: payment({ amountCents: undefined }) }),
    verdict: 'UPSTREAM_UNAVAILABLE',
  },
  {
    name: 'refunded beats an amount mismatch',
    f: findings({ payment: payment({ state: 'refunded', amountCents: 5000 }) }),
    verdict: 'REFUNDED',
  },
  {
    name: 'payment in progress is not paid',
    f: findings({ payment: payment({ channel: 'wechat', state: 'in_progress', amountCents: undefined }) }),
    verdict: 'NOT_PAID',
    facts: { paymentState: 'in_progress' },
  },
  {
    name: 'no such trade at the gateway is not paid',
    f: findings({ payment: payment({ state: 'not_found', amountCents: undefined, tradeNo: undefined }) }),
    verdict: 'NOT_PAID',
    facts: { paymentState: 'not_found' },
  },
  {
    name: 'amount mismatch beats delivery in progress',
    f: findings({
      now: '2026-11-22T09:45:00+08:00',
      order: supplierOrder,
      issuance: issuance({ supplier: supplier() }),
      payment: payment({ amountCents: 9900 }),
    }),
    verdict: 'AMOUNT_MISMATCH',
  },
  {
    name: 'one fen more is still a mismatch',
    f: findings({ payment: payment({ amountCents: 10001 }) }),
    verdict: 'AMOUNT_MISMATCH',
  },
  {
    name: 'one millisecond before the window closes is still in progress',
    f: findings({
      now: '2026-11-22T09:59:59.999+08:00',
      order: supplierOrder,
      issuance: issuance({ supplier: supplier() }),
      payment: payment({ paidAt: '2026-11-22T09:50:00+08:00' }),
    }),
    verdict: 'DELIVERY_IN_PROGRESS',
    facts: { deliveryDueAt: '2026-11-22T02:00:00.000Z' },
  },
  {
    name: 'at the exact window boundary the delivery is delayed',
    f: findings({
      now: '2026-11-22T10:00:00+08:00',
      order: supplierOrder,
      issuance: issuance({ supplier: supplier() }),
      payment: payment({ paidAt: '2026-11-22T09:50:00+08:00' }),
    }),
    verdict: 'DELIVERY_DELAYED',
  },
  {
    name: 'without a gateway paidAt the window starts at the order\'s paidAt',
    f: findings({
      now: '2026-11-22T10:05:00+08:00',
      order: order({ fulfilment: 'supplier', paidAt: '2026-11-22T09:58:00+08:00' }),
      issuance: issuance({ supplier: supplier() }),
      payment: payment({ paidAt: undefined }),
    }),
    verdict: 'DELIVERY_IN_PROGRESS',
    facts: { paidAt: '2026-11-22T09:58:00+08:00', deliveryDueAt: '2026-11-22T02:08:00.000Z' },
  },
  {
    name: 'replacement limit beats out of stock',
    f: findings({ issuance: issuance({ voidedKeys: 1, replacementsUsed: 1, stockAvailable: 0 }) }),
    verdict: 'REISSUE_LIMIT_REACHED',
  },
  {
    name: 'out of stock beats key voided',
    f: findings({ issuance: issuance({ voidedKeys: 1, stockAvailable: 0 }) }),
    verdict: 'OUT_OF_STOCK',
  },
  {
    name: 'never-delivered slots do not count toward the replacement limit',
    f: findings({
      order: order({ quantity: 3, amountCents: 30000 }),
      issuance: issuance({ quantity: 3, validKeys: 1, replacementsUsed: 1, maxReplacements: 1 }),
      payment: payment({ amountCents: 30000 }),
    }),
    verdict: 'PAID_NOT_DELIVERED',
    facts: { missing: 2, voidedSlots: 0, neverDelivered: 2 },
  },
  {
    name: 'replacements beyond a since-lowered limit still do not block a first delivery',
    f: findings({ issuance: issuance({ replacementsUsed: 2, maxReplacements: 1 }) }),
    verdict: 'PAID_NOT_DELIVERED',
  },
  {
    name: 'quantity 3, one delivered, one voided: only the voided slot is a replacement',
    f: findings({
      order: order({ quantity: 3, amountCents: 30000 }),
      issuance: issuance({ quantity: 3, validKeys: 1, voidedKeys: 1 }),
      payment: payment({ amountCents: 30000 }),
    }),
    verdict: 'KEY_VOIDED',
    facts: { missing: 2, voidedSlots: 1, neverDelivered: 1 },
  },
  {
    name: 'voided keys already replaced do not fill a slot twice',
    f: findings({
      order: order({ quantity: 2, amountCents: 20000 }),
      issuance: issuance({ quantity: 2, validKeys: 1, voidedKeys: 2, replacementsUsed: 0, maxReplacements: 1 }),
      payment: payment({ amountCents: 20000 }),
    }),
    verdict: 'KEY_VOIDED',
    facts: { missing: 1, voidedSlots: 1, neverDelivered: 0 },
  },
  {
    name: 'quantity 2, partially delivered, stock for the rest',
    f: findings({
      order: order({ quantity: 2, amountCents: 20000 }),
      issuance: issuance({ quantity: 2, validKeys: 1, stockAvailable: 1 }),
      payment: payment({ amountCents: 20000 }),
    }),
    verdict: 'PAID_NOT_DELIVERED',
    facts: { missing: 1 },
  },
  {
    name: 'quantity 3, partially delivered, stock for only one of two',
    f: findings({
      order: order({ quantity: 3, amountCents: 30000 }),
      issuance: issuance({ quantity: 3, validKeys: 1, stockAvailable: 1 }),
      payment: payment({ amountCents: 30000 }),
    }),
    verdict: 'OUT_OF_STOCK',
    facts: { missing: 2 },
  },
  {
    name: 'EPay V1 unsigned "paid" with EPAY_V1_TRUST=accept',
    f: findings({ order: order({ channel: 'epay' }), payment: payment({ channel: 'epay', trust: 'unsigned' }) }),
    policy: ACCEPT,
    verdict: 'PAID_NOT_DELIVERED',
  },
  {
    name: 'EPay V1 unsigned "paid" with EPAY_V1_TRUST=reject',
    f: findings({ order: order({ channel: 'epay' }), payment: payment({ channel: 'epay', trust: 'unsigned' }) }),
    policy: REJECT,
    verdict: 'UPSTREAM_UNAVAILABLE',
    facts: { channel: 'epay' },
  },
  {
    name: 'an untrusted "paid" (bad signature) is never believed, even under EPAY_V1_TRUST=accept',
    f: findings({ order: order({ channel: 'epay' }), payment: payment({ channel: 'epay', trust: 'untrusted', fault: { kind: 'signature', message: 'bad sign' } }) }),
    policy: ACCEPT,
    verdict: 'UPSTREAM_UNAVAILABLE',
  },
  {
    name: 'EPay V1 unsigned "refunded" claims money moved: rejected under reject',
    f: findings({ order: order({ channel: 'epay' }), payment: payment({ channel: 'epay', trust: 'unsigned', state: 'refunded' }) }),
    policy: REJECT,
    verdict: 'UPSTREAM_UNAVAILABLE',
  },
  {
    name: 'EPay V1 unsigned "not paid" is accepted even under reject',
    f: findings({
      order: order({ channel: 'epay' }),
      payment: payment({ channel: 'epay', trust: 'unsigned', state: 'unpaid', amountCents: undefined }),
    }),
    policy: REJECT,
    verdict: 'NOT_PAID',
  },
  {
    name: 'EPay frozen / pre-authorised money is unavailable, not paid',
    f: findings({ order: order({ channel: 'epay' }), payment: payment({ channel: 'epay', state: 'held' }) }),
    policy: ACCEPT,
    verdict: 'UPSTREAM_UNAVAILABLE',
    facts: { paymentState: 'held', upstreamProblem: 'payment: held' },
  },
  {
    name: 'supplier failed but own stock can fill the order',
    f: findings({
      order: supplierOrder,
      issuance: issuance({ supplier: supplier({ state: 'failed', reason: 'upstream sold out', keysAvailable: 3 }), stockAvailable: 1 }),
    }),
    verdict: 'PAID_NOT_DELIVERED',
  },
  {
    name: 'supplier failed and no own stock: its keysAvailable is not believed',
    f: findings({
      order: supplierOrder,
      issuance: issuance({ supplier: supplier({ state: 'failed', reason: 'upstream sold out', keysAvailable: 3 }), stockAvailable: 0 }),
    }),
    verdict: 'OUT_OF_STOCK',
    facts: { reason: 'upstream sold out' },
  },
  {
    name: 'supplier delivered keys the order does not hold yet',
    f: findings({ order: supplierOrder, issuance: issuance({ supplier: supplier({ state: 'success', keysAvailable: 1 }), stockAvailable: 0 }) }),
    verdict: 'PAID_NOT_DELIVERED',
  },
  {
    name: 'supplier answer unknown and needed: unavailable',
    f: findings({ order: supplierOrder, issuance: issuance({ supplier: supplier({ state: 'unknown', reason: 'timeout' }) }) }),
    verdict: 'UPSTREAM_UNAVAILABLE',
    facts: { upstreamProblem: 'supplier: timeout' },
  },
  {
    name: 'supplier product with no supplier answer at all: unavailable',
    f: findings({ order: supplierOrder, issuance: issuance({ stockAvailable: 10 }) }),
    verdict: 'UPSTREAM_UNAVAILABLE',
  },
  {
    name: 'supplier answer unknown but not needed: refunded',
    f: findings({
      order: supplierOrder,
      issuance: issuance({ supplier: supplier({ state: 'unknown' }) }),
      payment: payment({ state: 'refunded' }),
    }),
    verdict: 'REFUNDED',
  },
  {
    name: 'supplier answer unknown but not needed: delivered',
    f: findings({ order: supplierOrder, issuance: issuance({ validKeys: 1, supplier: supplier({ state: 'unknown' }) }) }),
    verdict: 'DELIVERED',
  },
];

function check(row: Row): Decision {
  const input = structuredClone(row.f);
  const d = decide(row.f, row.policy ?? REJECT);
  expect(row.f, 'decide must not mutate its input').toEqual(input);
  expect(d.verdict).toBe(row.verdict);
  expect(d.action).toBe(ACTION_FOR[row.verdict]);
  if (row.facts) expect(d.facts).toMatchObject(row.facts);
  if (row.neededPayment !== undefined) expect(d.neededPayment).toBe(row.neededPayment);
  expect(JSON.parse(JSON.stringify(d)), 'a decision is plain JSON').toEqual(d);
  return d;
}

describe('decide: one row per verdict', () => {
  it('covers every verdict exactly once', () => {
    expect(ONE_PER_VERDICT.map((r) => r.verdict).sort()).toEqual([...VERDICTS].sort());
  });
  it.each(ONE_PER_VERDICT)('$verdict: $name', (row) => {
    check(row);
  });
});

describe('decide: precedence and edges', () => {
  it.each(PRECEDENCE)('$verdict: $name', (row) => {
    check(row);
  });
});

describe('canDecideWithoutPayment', () => {
  const without = ({ payment: _p, ...rest }: Findings) => rest;

  it.each([
    ['not found', findings({ order: undefined, issuance: undefined, payment: undefined })],
    ['migration pending', legacyOnly({ migration: migration({ kind: 'pending', legacyOrderNo: 'L1' }) })],
    ['migration incomplete', findings({ migration: migration({ kind: 'migrated', legacyOrderNo: 'L1', missingKeys: 1 }) })],
    ['delivered', findings({ issuance: issuance({ validKeys: 1 }) })],
    ['legacy-only with a failed migration checker', legacyOnly({ migration: failedChecker('down') })],
  ])('true when rules 1-3 decide: %s', (_name, f) => {
    expect(canDecideWithoutPayment(without(f))).toBe(true);
    expect(decide(f, REJECT).neededPayment).toBe(false);
  });

  it.each([
    ['keys missing', findings()],
    ['issuance checker failed', findings({ issuance: failedChecker('db timeout') })],
    ['voided key', findings({ issuance: issuance({ voidedKeys: 1 }) })],
  ])('false when payment evidence is needed: %s', (_name, f) => {
    expect(canDecideWithoutPayment(without(f))).toBe(false);
    expect(decide(f, REJECT).neededPayment).toBe(true);
  });

  it('agrees with decide: a delivered order is decided the same with or without the gateway', () => {
    const f = findings({ issuance: issuance({ validKeys: 1 }) });
    expect(decide({ ...f, payment: faulty('timeout') }, REJECT)).toEqual(decide({ ...f, payment: undefined }, REJECT));
  });
});

describe('trustsPaymentClaim: the one trust rule (decide and the agents\' evidence view both ask it)', () => {
  it.each([
    ['verified', 'paid', REJECT, true],
    ['verified', 'refunded', REJECT, true],
    ['unsigned', 'unpaid', REJECT, true],
    ['unsigned', 'closed', REJECT, true],
    ['unsigned', 'paid', REJECT, false],
    ['unsigned', 'refunded', REJECT, false],
    ['unsigned', 'held', REJECT, false],
    ['unsigned', 'paid', ACCEPT, true],
    ['untrusted', 'paid', ACCEPT, false],
    ['untrusted', 'unpaid', ACCEPT, false],
  ] as const)('%s %s under %o: %s', (trust, state, policy, expected) => {
    expect(trustsPaymentClaim(evidence({ trust, state }), policy)).toBe(expected);
  });
});

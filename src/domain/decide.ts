import type { PaymentEvidence, PaymentState } from './payment.ts';
import type { Findings, IssuanceFinding, SupplierFacts } from './findings.ts';
import { addMinutes } from './format.ts';
import { ACTION_FOR } from './verdicts.ts';
import type { Action, Verdict } from './verdicts.ts';

/**
 * The pure decision: findings -> one verdict and its action. It implements docs/verdict-rules.md
 * (which refines ../shared/spec/verdicts.md) rule by rule, in precedence order. No I/O and no clock
 * of its own: "now" is `f.now`, so every verdict is table-testable.
 */

export interface TrustPolicy {
  /** EPAY_V1_TRUST: whether an unsigned (EPay V1) claim that money moved may be believed */
  epayV1Trust: 'accept' | 'reject';
}

/** The facts the explanation and the action need, all plain JSON. */
export interface DecisionFacts {
  missing?: number;
  voidedSlots?: number;
  neverDelivered?: number;
  paidAmountCents?: number;
  orderAmountCents?: number;
  paidAt?: string;
  refundedAt?: string;
  reason?: string;
  deliveryDueAt?: string;
  legacyOrderNo?: string;
  batch?: string;
  eta?: string;
  conflictFields?: string[];
  /** which evidence was missing and why, e.g. 'payment: timeout' */
  upstreamProblem?: string;
  paymentState?: string;
  tradeNo?: string;
  channel?: string;
  /** PAYMENT_UNVERIFIABLE: the shop's name for the payment method order-doctor cannot ask */
  paymentMethod?: string;
  /** KEY_VOIDED past the replacement limit: a supervisor lifted the limit for this one diagnosis */
  limitOverridden?: boolean;
}

export interface Decision {
  verdict: Verdict;
  /** always ACTION_FOR[verdict] */
  action: Action;
  facts: DecisionFacts;
  /** whether the decision needed the payment evidence (false for not-found, migration, delivered) */
  neededPayment: boolean;
}

/** `reason` values decide() sets itself (the explanation maps them to words). */
export const REASON_MIGRATION_RECORD_LOST = 'migration_record_lost';
/** manual goods the shop's owner marked as failed (dujiaoka status 5): a person must look */
export const REASON_MANUAL_FAILED = 'manual_failed';

function verdictOf(verdict: Verdict, facts: DecisionFacts, neededPayment: boolean): Decision {
  return { verdict, action: ACTION_FOR[verdict], facts: dropUndefined(facts), neededPayment };
}

/** Facts stay plain JSON: no `undefined` members that would differ between deepEqual and JSON. */
function dropUndefined(facts: DecisionFacts): DecisionFacts {
  return Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined)) as DecisionFacts;
}

/**
 * True when rules 1-3 (not found, migration, delivered) already decide, so the engine may abort
 * the gateway query: a delivered order answers fast even while a gateway is down.
 */
export function canDecideWithoutPayment(f: Omit<Findings, 'payment'>): boolean {
  return decideWithoutPayment(f) !== undefined;
}

/**
 * What a person may lift for one diagnosis. `overrideLimit`: a supervisor's override of the
 * replacement limit (agents/override.ts), which only skips rule 8's limit check: every rule before
 * it (verified payment, the amount) still holds, so an override never issues on unverified evidence.
 */
export interface DecideOptions {
  overrideLimit?: boolean;
}

export function decide(f: Findings, policy: TrustPolicy, opts: DecideOptions = {}): Decision {
  const early = decideWithoutPayment(f);
  if (early) return early;
  // decideWithoutPayment returns a decision whenever the order or a usable issuance is missing
  const order = f.order!;
  const issuance = f.issuance;

  // Rule 4, first: no way at all to ask this order's gateway. A person must check the payment.
  const pay = f.payment;
  if (pay?.ok && 'unverifiable' in pay.data) {
    const u = pay.data.unverifiable;
    return verdictOf(
      'PAYMENT_UNVERIFIABLE',
      { reason: u.reason, channel: u.channel ?? order.channel ?? undefined, paymentMethod: u.method ?? order.paymentMethod },
      true,
    );
  }

  // Rule 4: evidence the rest of the rules need but cannot trust.
  if (!issuance || !issuance.ok) {
    const why = issuance ? issuance.error : 'not checked';
    return verdictOf('UPSTREAM_UNAVAILABLE', { upstreamProblem: `issuance: ${why}` }, true);
  }
  const payment = readPayment(f, policy);
  if (!payment.usable) {
    return verdictOf(
      'UPSTREAM_UNAVAILABLE',
      { upstreamProblem: payment.problem, paymentState: payment.heldState, channel: payment.channel },
      true,
    );
  }
  const ev = payment.evidence;
  const paymentFacts: DecisionFacts = {
    channel: ev.channel,
    paymentState: ev.state,
    tradeNo: ev.tradeNo,
    paidAmountCents: ev.amountCents,
    orderAmountCents: order.amountCents,
    paidAt: ev.paidAt,
  };

  // Rule 5: the gateway says no money is (still) ours.
  switch (ev.state) {
    case 'refunded':
      return verdictOf('REFUNDED', { ...paymentFacts, refundedAt: ev.refundedAt }, true);
    case 'closed':
      return verdictOf('PAYMENT_CLOSED', paymentFacts, true);
    case 'failed':
      return verdictOf('PAYMENT_FAILED', { ...paymentFacts, reason: ev.reason }, true);
    case 'unpaid':
    case 'in_progress':
    case 'not_found':
      return verdictOf('NOT_PAID', paymentFacts, true);
    case 'paid':
      break;
  }

  // Rule 6: amounts compare as integer fen against the order total, never as strings.
  if (ev.amountCents !== order.amountCents) {
    return verdictOf('AMOUNT_MISMATCH', paymentFacts, true);
  }

  const held = issuance.data;
  const missing = held.quantity - held.validKeys;
  const paidAt = ev.paidAt ?? order.paidAt;
  const paidFacts: DecisionFacts = { ...paymentFacts, paidAt, missing };

  // Rule 4, supplier part: the supplier's answer is needed from here on (rules 7 and 8).
  const supplier = supplierOf(held, order.fulfilment);
  if (supplier?.state === 'unknown') {
    return verdictOf(
      'UPSTREAM_UNAVAILABLE',
      { ...paidFacts, upstreamProblem: `supplier: ${supplier.reason ?? 'unknown'}` },
      true,
    );
  }

  // Rule 7: the supplier (or, for manual goods, the shop's owner) is still working on it; the
  // delivery window says whether that is normal. Manual goods are never issued automatically.
  const byHand = order.fulfilment === 'manual' && missing > 0;
  if (byHand || (supplier && (supplier.state === 'processing' || supplier.state === 'untreated'))) {
    // no paid time at all would be odd; the order's creation is the earliest safe stand-in
    const start = paidAt ?? order.createdAt;
    const deliveryDueAt = addMinutes(start, order.deliveryWindowMinutes);
    const failed = byHand && held.manual === 'failed';
    const inWindow = !failed && Date.parse(f.now) < Date.parse(deliveryDueAt);
    return verdictOf(
      inWindow ? 'DELIVERY_IN_PROGRESS' : 'DELIVERY_DELAYED',
      { ...paidFacts, deliveryDueAt, reason: failed ? REASON_MANUAL_FAILED : supplier?.reason },
      true,
    );
  }

  // Rule 8: keys missing. Filling never-delivered slots is a first delivery, not a replacement.
  const voidedSlots = Math.min(held.voidedKeys, missing);
  const neverDelivered = missing - voidedSlots;
  const slotFacts: DecisionFacts = { ...paidFacts, voidedSlots, neverDelivered };
  // a failed supplier purchase delivers nothing, so only own stock can fill the order
  const supplierKeys = supplier && supplier.state === 'success' ? supplier.keysAvailable : 0;
  const pastLimit = voidedSlots > 0 && held.replacementsUsed + voidedSlots > held.maxReplacements;
  if (pastLimit && !opts.overrideLimit) {
    return verdictOf('REISSUE_LIMIT_REACHED', slotFacts, true);
  }
  if (held.stockAvailable + supplierKeys < missing) {
    const reason = supplier?.state === 'failed' ? supplier.reason : undefined;
    return verdictOf('OUT_OF_STOCK', { ...slotFacts, reason }, true);
  }
  if (voidedSlots > 0) return verdictOf('KEY_VOIDED', { ...slotFacts, limitOverridden: pastLimit || undefined }, true);
  return verdictOf('PAID_NOT_DELIVERED', slotFacts, true);
}

/** Rules 1-3, plus the cases where no new order exists to decide about. */
function decideWithoutPayment(f: Omit<Findings, 'payment'>): Decision | undefined {
  const mig = f.migration;

  // Rule 1. Without the migration evidence we cannot say legacy data lacks the number either.
  if (!f.order && !f.legacyOnly) {
    if (mig.ok) {
      if (mig.data.kind === 'none') return verdictOf('ORDER_NOT_FOUND', {}, false);
    } else {
      return verdictOf('UPSTREAM_UNAVAILABLE', { upstreamProblem: `migration: ${mig.error}` }, false);
    }
  }

  // Rule 2.
  if (mig.ok) {
    const m = mig.data;
    switch (m.kind) {
      case 'pending':
        return verdictOf('MIGRATION_PENDING', { legacyOrderNo: m.legacyOrderNo, batch: m.batch, eta: m.eta }, false);
      case 'conflict':
        return verdictOf(
          'MIGRATION_CONFLICT',
          { legacyOrderNo: m.legacyOrderNo, batch: m.batch, conflictFields: [...m.fields] },
          false,
        );
      case 'failed':
        return verdictOf(
          'MIGRATION_CONFLICT',
          { legacyOrderNo: m.legacyOrderNo, batch: m.batch, reason: REASON_MIGRATION_RECORD_LOST },
          false,
        );
      case 'migrated':
        if (m.missingKeys > 0) {
          return verdictOf(
            'MIGRATION_INCOMPLETE',
            { legacyOrderNo: m.legacyOrderNo, batch: m.batch, missing: m.missingKeys, paidAt: m.legacyPaidAt },
            false,
          );
        }
        // legacy proves a migration whose new order is gone: the record was lost on the way
        if (!f.order) {
          return verdictOf(
            'MIGRATION_CONFLICT',
            { legacyOrderNo: m.legacyOrderNo, batch: m.batch, reason: REASON_MIGRATION_RECORD_LOST },
            false,
          );
        }
        break;
      case 'none':
        // legacy data knows the number but the ledger has no entry and no new order exists:
        // nothing to diagnose automatically, a human must look
        if (!f.order) return verdictOf('MIGRATION_CONFLICT', { reason: REASON_MIGRATION_RECORD_LOST }, false);
        break;
    }
  } else if (!f.order) {
    // a legacy-only order whose migration state could not be read
    return verdictOf('UPSTREAM_UNAVAILABLE', { upstreamProblem: `migration: ${mig.error}` }, false);
  }

  // Rule 3: local records prove delivery; the gateway is not needed.
  const iss = f.issuance;
  if (iss?.ok && iss.data.validKeys >= iss.data.quantity) {
    return verdictOf('DELIVERED', {}, false);
  }
  return undefined;
}

type PaymentRead =
  | { usable: true; evidence: PaymentEvidence & { state: PaymentState } }
  | { usable: false; problem: string; heldState?: 'held'; channel?: string };

/** States that claim money reached the merchant at some point. */
const MONEY_MOVED: ReadonlySet<PaymentState> = new Set(['paid', 'refunded', 'held']);

/**
 * Whether a gateway's answer may be believed: a verified (signed) one always; an unsigned one
 * (EPay V1) when it says nothing moved, and when it claims money moved only under
 * EPAY_V1_TRUST=accept (the operator's call); an untrusted one never.
 */
export function trustsPaymentClaim(ev: PaymentEvidence, policy: TrustPolicy): boolean {
  if (ev.trust === 'verified') return true;
  if (ev.trust !== 'unsigned') return false;
  return !MONEY_MOVED.has(ev.state as PaymentState) || policy.epayV1Trust === 'accept';
}

/**
 * Rule 4, payment part. Never guess "paid" or "unpaid" from evidence that is missing, unverified,
 * unsigned-while-claiming-money (under `reject`), or held (money moved but is not ours yet).
 */
function readPayment(f: Findings, policy: TrustPolicy): PaymentRead {
  const p = f.payment;
  if (!p) return { usable: false, problem: 'payment: not checked' };
  if (!p.ok) return { usable: false, problem: `payment: ${p.skipped ? 'skipped' : p.error}` };
  if (!('evidence' in p.data)) return { usable: false, problem: 'payment: no gateway to ask' };
  const ev = p.data.evidence;
  if (ev.trust === 'untrusted') {
    return { usable: false, problem: `payment: ${ev.fault?.kind ?? 'untrusted'}`, channel: ev.channel };
  }
  if (!ev.state) return { usable: false, problem: 'payment: no state in answer', channel: ev.channel };
  if (ev.state === 'held') {
    return { usable: false, problem: 'payment: held', heldState: 'held', channel: ev.channel };
  }
  if (!trustsPaymentClaim(ev, policy)) {
    const problem = `payment: unsigned ${ev.state} claim rejected (EPAY_V1_TRUST)`;
    return { usable: false, problem, channel: ev.channel };
  }
  if (ev.state === 'paid' && ev.amountCents === undefined) {
    return { usable: false, problem: 'payment: paid answer without amount', channel: ev.channel };
  }
  return { usable: true, evidence: ev as PaymentEvidence & { state: PaymentState } };
}

/** A supplier product whose issuance carries no supplier answer is treated as "unknown". */
function supplierOf(held: IssuanceFinding, fulfilment: 'stock' | 'supplier' | 'manual'): SupplierFacts | undefined {
  if (held.supplier) return held.supplier;
  if (fulfilment === 'supplier') return { state: 'unknown', keysAvailable: 0, reason: 'no supplier answer' };
  return undefined;
}

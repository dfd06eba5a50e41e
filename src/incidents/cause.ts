/**
 * The cause of an open ticket, read from its order's latest diagnosis: the verdict plus the one fact
 * that tells one outbreak from another (a gateway is down for one channel, a product is out of stock
 * for one sku, a legacy migration batch is stuck). Tickets with equal causes are one incident. Pure:
 * it reads only the stored diagnosis (verdict, facts, the order's facts in its findings).
 */
import type { DecisionFacts } from '../domain/decide.ts';
import type { OrderFacts } from '../domain/findings.ts';
import type { Verdict } from '../domain/verdicts.ts';

/** what distinguishes: payment channel, product, migration batch, payment method, or upstream part */
export type CauseFact = 'channel' | 'sku' | 'batch' | 'method' | 'supplier' | 'ledger';

export interface Cause {
  /** stable and URL-safe once encoded: equal keys, one incident */
  key: string;
  verdict: string;
  fact: CauseFact | null;
  /** the fact's value ('unknown' when the diagnosis did not record it) */
  value: string | null;
}

export interface DiagnosisLike {
  verdict: string;
  facts: unknown;
  findings: unknown;
}

/**
 * Which fact splits each verdict into causes. A gateway outage, a lost-callback wave or a wrong
 * amount is per payment channel; stock, slow or voided deliveries are per product; migrations per
 * batch. Verdicts about one buyer's own payment (not paid, refunded, closed) still group per
 * channel: many at once on one channel usually means the gateway, not the buyers.
 */
const FACT_OF: Record<Verdict, CauseFact | null> = {
  ORDER_NOT_FOUND: null,
  MIGRATION_PENDING: 'batch',
  MIGRATION_CONFLICT: 'batch',
  MIGRATION_INCOMPLETE: 'batch',
  DELIVERED: 'sku',
  PAYMENT_UNVERIFIABLE: 'method',
  UPSTREAM_UNAVAILABLE: 'channel', // refined by upstreamOf: the supplier or the ledger may be what is down
  REFUNDED: 'channel',
  PAYMENT_CLOSED: 'channel',
  PAYMENT_FAILED: 'channel',
  NOT_PAID: 'channel',
  AMOUNT_MISMATCH: 'channel',
  DELIVERY_IN_PROGRESS: 'sku',
  DELIVERY_DELAYED: 'sku',
  KEY_VOIDED: 'sku',
  REISSUE_LIMIT_REACHED: 'sku',
  OUT_OF_STOCK: 'sku',
  PAID_NOT_DELIVERED: 'channel',
};

/** UPSTREAM_UNAVAILABLE names the checker that could not get its evidence ("issuance: timeout") */
function upstreamOf(facts: DecisionFacts): CauseFact {
  const part = facts.upstreamProblem?.split(':')[0]?.trim();
  return part === 'issuance' ? 'supplier' : part === 'migration' ? 'ledger' : 'channel';
}

export function causeOf(d: DiagnosisLike): Cause {
  const facts = (d.facts ?? {}) as DecisionFacts;
  const order = ((d.findings ?? {}) as { order?: OrderFacts }).order;
  const known = d.verdict in FACT_OF ? FACT_OF[d.verdict as Verdict] : null;
  const fact = d.verdict === 'UPSTREAM_UNAVAILABLE' ? upstreamOf(facts) : known;
  let value: string | null | undefined = null;
  switch (fact) {
    case 'channel': value = facts.channel ?? order?.channel; break;
    case 'sku': case 'supplier': value = order?.sku; break;
    case 'batch': value = facts.batch; break;
    case 'method': value = facts.paymentMethod ?? facts.channel ?? order?.paymentMethod ?? order?.channel; break;
    case 'ledger': value = 'legacy'; break;
    case null: break;
  }
  const shown = fact ? (value || 'unknown') : null;
  return { key: fact ? `${d.verdict}.${fact}.${shown}` : d.verdict, verdict: d.verdict, fact, value: shown };
}

/** The cause in the words a support lead would use on the phone. */
export function describeCause(c: Cause): string {
  const v = c.value ?? '';
  switch (c.verdict) {
    case 'UPSTREAM_UNAVAILABLE':
      if (c.fact === 'supplier') return `The supplier of ${v} is not answering`;
      if (c.fact === 'ledger') return 'The legacy migration records cannot be read';
      return `Gateway ${v} is not answering (payments cannot be checked)`;
    case 'OUT_OF_STOCK': return `${v} is out of stock`;
    case 'MIGRATION_PENDING': return `Migration batch ${v} has not run yet`;
    case 'MIGRATION_INCOMPLETE': return `Migration batch ${v} lost keys on the way`;
    case 'MIGRATION_CONFLICT': return `Migration batch ${v} disagrees with the legacy records`;
    case 'PAID_NOT_DELIVERED': return `Paid on ${v} but no key delivered (lost payment callbacks?)`;
    case 'AMOUNT_MISMATCH': return `Paid amounts differ from the order on ${v}`;
    case 'PAYMENT_UNVERIFIABLE': return `Paid by ${v}, which cannot be checked automatically`;
    case 'DELIVERY_DELAYED': return `Deliveries of ${v} are late`;
    case 'DELIVERY_IN_PROGRESS': return `Deliveries of ${v} are still under way`;
    case 'KEY_VOIDED': return `Keys of ${v} were voided`;
    case 'REISSUE_LIMIT_REACHED': return `Keys of ${v} voided again past the replacement limit`;
    case 'DELIVERED': return `${v} delivered, buyers still asking`;
    case 'ORDER_NOT_FOUND': return 'Orders that cannot be found';
    default: return `${c.verdict.toLowerCase().replace(/_/g, ' ')} on ${v}`;
  }
}

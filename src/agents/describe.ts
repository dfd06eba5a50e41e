/**
 * What applying a diagnosis will do, in the words the confirmation shows the agent
 * ("issue 1 key from stock to order K..."): named from the diagnosis' own facts, so the agent
 * confirms exactly what the machine found.
 */
import type { DecisionFacts } from '../domain/decide.ts';
import type { IssuanceFinding } from '../domain/findings.ts';
import type { FindingsView } from '../engine/findings-view.ts';

export interface Describable {
  orderNo: string;
  verdict: string;
  suggested: string | null;
  facts: DecisionFacts;
  findings: FindingsView;
}

/** A stored diagnosis (its facts and findings are JSON columns) as describeAction reads it. */
export function describable(d: { orderNo: string; verdict: string; suggested: string | null; facts: unknown; findings: unknown }): Describable {
  return { orderNo: d.orderNo, verdict: d.verdict, suggested: d.suggested, facts: d.facts as DecisionFacts, findings: d.findings as FindingsView };
}

const keys = (n: number) => `${n} key${n === 1 ? '' : 's'}`;

/**
 * What a supervisor's override of the replacement limit will do (override.ts): the reissue the
 * limit stopped, said the same way as any reissue.
 */
export function describeOverride(d: Describable): string {
  return `${describeAction({ ...d, suggested: 'reissued' })}, past the replacement limit`;
}

/** The action in one sentence, or null when there is nothing to apply. */
export function describeAction(d: Describable): string | null {
  const f = d.facts;
  switch (d.suggested) {
    case 'reissued': {
      const n = f.missing ?? 1;
      const issuance = d.findings.issuance?.data as IssuanceFinding | undefined;
      const fromSupplier = Math.min(issuance?.supplier?.keysAvailable ?? 0, n);
      const source = fromSupplier >= n ? "from the supplier's delivery" : fromSupplier > 0 ? `(${fromSupplier} from the supplier, the rest from stock)` : 'from stock';
      const replacing = f.voidedSlots ? `, replacing ${keys(f.voidedSlots)} voided` : '';
      return `issue ${keys(n)} ${source} to order ${d.orderNo}${replacing}`;
    }
    case 'restored':
      return `restore ${keys(f.missing ?? 1)} from the legacy record ${f.legacyOrderNo ?? ''} to order ${d.orderNo}`.replace('  ', ' ');
    case 'escalated':
      return `open a ticket (or add to the open one) for order ${d.orderNo}: ${d.verdict}` +
        (d.verdict === 'OUT_OF_STOCK' ? ', and queue it to be delivered once stock is back' : '');
    case 'deferred':
      return `queue order ${d.orderNo} for the sweep to check again${f.upstreamProblem ? ` (${f.upstreamProblem})` : ''}`;
    default:
      return null;
  }
}

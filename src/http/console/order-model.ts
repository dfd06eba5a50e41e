/**
 * What the console's order page shows, read from the shop (through the port, no gateway call) and
 * from order-doctor's own records: the order, its keys masked, the diagnosis asked for (else the
 * latest), what applying it would do, and everything earlier.
 */
import { eq } from 'drizzle-orm';
import { consoleApplies } from '../../db/schema.ts';
import type { OrderFacts } from '../../domain/findings.ts';
import { canonicalOrderNo, exists, type Lookup } from '../../domain/order.ts';
import type { DecisionFacts } from '../../domain/decide.ts';
import { lookupOrder } from '../../engine/lookup.ts';
import { orderFacts, type FindingsView } from '../../engine/findings-view.ts';
import type { Services } from '../../services.ts';
import { describeAction } from '../../agents/describe.ts';
import { diagnosisOf, orderHistory, type DiagnosisRow, type OrderHistory } from '../../agents/history.ts';
import { maskedKeys, type AgentKey } from '../../agents/reveal.ts';

export interface OrderPageModel {
  orderNo: string;
  order?: OrderFacts;
  contact?: string | null;
  legacy?: { orderNo: string; status: string; migration?: string; batch?: string | null };
  keys: AgentKey[];
  history: OrderHistory;
  shown?: DiagnosisRow;
  /** what applying the shown diagnosis would do; null: nothing to apply */
  action: string | null;
  /** the shown diagnosis' confirmation was used already (by whom) */
  usedBy?: number;
}

export async function loadOrderPage(svc: Services, orderNo: string, diagnosisId?: string): Promise<{ model: OrderPageModel; lookup: Lookup } | null> {
  const lookup = await lookupOrder(svc, orderNo);
  // diagnoses are filed under the canonical number: a legacy or trade number leads to the same page
  const canonical = exists(lookup) ? canonicalOrderNo(lookup) : orderNo;
  const history = await orderHistory(svc, canonical);
  if (!exists(lookup) && history.diagnoses.length === 0) return null;
  const picked = diagnosisId ? await diagnosisOf(svc, canonical, diagnosisId) : null;
  const shown = picked ?? history.diagnoses[0];
  const [used] = shown
    ? await svc.database.db.select({ agentId: consoleApplies.agentId }).from(consoleApplies).where(eq(consoleApplies.diagnosisId, shown.id)).limit(1)
    : [];
  const action = shown
    ? describeAction({ orderNo: shown.orderNo, verdict: shown.verdict, suggested: shown.suggested, facts: shown.facts as DecisionFacts, findings: shown.findings as FindingsView })
    : null;
  const model: OrderPageModel = {
    orderNo: canonical,
    order: orderFacts(lookup),
    contact: lookup.order?.contact,
    ...(lookup.legacy || lookup.ledger ? {
      legacy: {
        orderNo: lookup.legacy?.orderNo ?? lookup.ledger!.legacyOrderNo, status: lookup.legacy?.status ?? '-',
        migration: lookup.ledger?.state, batch: lookup.ledger?.batch,
      },
    } : {}),
    keys: await maskedKeys(svc, lookup),
    history,
    shown,
    action,
    ...(used ? { usedBy: used.agentId } : {}),
  };
  return { model, lookup };
}

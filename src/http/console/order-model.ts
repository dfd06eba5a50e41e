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
import { describable, describeAction, describeOverride } from '../../agents/describe.ts';
import { overridable } from '../../agents/override.ts';
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
  /** what a supervisor's override of the replacement limit would do; null: the shown diagnosis stopped at no limit */
  override: string | null;
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
  const action = shown ? describeAction(describable(shown)) : null;
  const override = shown && overridable(shown) ? describeOverride(describable(shown)) : null;
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
    override,
    ...(used ? { usedBy: used.agentId } : {}),
  };
  return { model, lookup };
}

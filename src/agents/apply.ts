/**
 * Applying what a diagnosis suggested, from the console: once, whatever the number of clicks or
 * agents. Three layers, outermost first:
 * 1. the confirmation carries the diagnosis it was made from; when that diagnosis is no longer the
 *    truth (older than CONFIRM_TTL_MS, or a later diagnosis found another verdict or acted), the
 *    order is diagnosed again and shown, nothing applied: the agent confirms what is true now;
 * 2. each confirmation is used once (console_applies, keyed by its diagnosis id): a double click or
 *    a second agent with the same page is shown what the first did;
 * 3. the engine's own exactly-once (the order's row lock, the slot index) decides between different
 *    confirmations racing on one order: one delivers, the others find the keys there.
 * A supervisor's override of the replacement limit (override.ts) is a confirmation like any other,
 * through the same three layers: only the last step differs (the limit is lifted for that one
 * diagnosis) and its audit row carries the reason.
 */
import { and, eq, gt, ne, or } from 'drizzle-orm';
import { consoleApplies, diagnoses } from '../db/schema.ts';
import { audit } from '../actions/audit.ts';
import { diagnose, type DiagnosisResult } from '../engine/diagnose.ts';
import { resolveOrder } from '../engine/resolve.ts';
import type { LogContext } from '../observability/context.ts';
import type { Services } from '../services.ts';
import { agentActor, type AgentAccount } from './accounts.ts';
import { diagnosisOf } from './history.ts';
import { mayOverride, overridable } from './override.ts';

/** a confirmation older than this re-diagnoses: the world (a payment, the stock) may have moved */
export const CONFIRM_TTL_MS = 10 * 60_000;

export type ConfirmOutcome =
  | { kind: 'applied'; confirmed: string; result: DiagnosisResult }
  | { kind: 'stale'; why: 'expired' | 'changed'; result: DiagnosisResult }
  | { kind: 'used'; agentId: number; resultDiagnosisId: string | null }
  | { kind: 'nothing_to_apply' }
  | { kind: 'not_found' }
  /** an override asked by an agent who is no supervisor */
  | { kind: 'forbidden' };

/** A diagnosis run by an agent from the console: suggests, never applies. */
export async function agentDiagnose(svc: Services, agent: AgentAccount, orderNo: string, logContext: LogContext): Promise<DiagnosisResult> {
  const lookup = await resolveOrder(svc, orderNo, logContext);
  const result = await diagnose(svc, { orderNo, lookup, actor: agentActor(agent), apply: false, logContext });
  await audit(svc.database.db, {
    at: svc.now(), actor: agentActor(agent), action: 'agent_diagnosed', orderNo: result.orderNo, diagnosisId: result.id,
    detail: { via: 'console', verdict: result.verdict, suggested: result.suggested ?? 'none' },
  });
  return result;
}

export async function confirmApply(
  svc: Services,
  input: {
    agent: AgentAccount; orderNo: string; diagnosisId: string;
    /** a supervisor lifts the replacement limit: the reason is checked already (override.ts overrideReason) */
    override?: { reason: string };
    /** whose work this is (the request's id), for the log lines */
    logContext: LogContext;
  },
): Promise<ConfirmOutcome> {
  const { agent, orderNo, diagnosisId, override, logContext } = input;
  if (override && !mayOverride(agent)) return { kind: 'forbidden' };
  const confirmed = await diagnosisOf(svc, orderNo, diagnosisId);
  if (!confirmed) return { kind: 'not_found' };
  if (!confirmed.suggested || confirmed.suggested === 'none') return { kind: 'nothing_to_apply' };
  if (override && !overridable(confirmed)) return { kind: 'nothing_to_apply' };
  const db = svc.database.db;
  const used = async () => {
    const [row] = await db.select().from(consoleApplies).where(eq(consoleApplies.diagnosisId, diagnosisId)).limit(1);
    return row ? { kind: 'used' as const, agentId: row.agentId, resultDiagnosisId: row.resultDiagnosisId } : null;
  };
  const already = await used();
  if (already) return already;

  const now = svc.now();
  const expired = now.getTime() - confirmed.startedAt.getTime() > CONFIRM_TTL_MS;
  // a later diagnosis that saw another verdict, or acted (a buyer's check, the sweep, another agent)
  const [changed] = expired ? [] : await db.select({ id: diagnoses.id }).from(diagnoses)
    .where(and(eq(diagnoses.orderNo, orderNo), gt(diagnoses.startedAt, confirmed.startedAt),
      or(ne(diagnoses.verdict, confirmed.verdict), ne(diagnoses.action, 'none'))))
    .limit(1);
  if (expired || changed) {
    const result = await agentDiagnose(svc, agent, orderNo, logContext);
    return { kind: 'stale', why: expired ? 'expired' : 'changed', result };
  }

  const claimed = await db.insert(consoleApplies)
    .values({ diagnosisId, orderNo, agentId: agent.id, confirmedAt: now })
    .onConflictDoNothing()
    .returning({ id: consoleApplies.diagnosisId });
  if (claimed.length === 0) return (await used())!;

  const lookup = await resolveOrder(svc, orderNo, logContext);
  const result = await diagnose(svc, { orderNo, lookup, actor: agentActor(agent), apply: true, overrideLimit: override !== undefined, logContext });
  await db.transaction(async (tx) => {
    await tx.update(consoleApplies).set({ resultDiagnosisId: result.id }).where(eq(consoleApplies.diagnosisId, diagnosisId));
    await audit(tx, {
      at: svc.now(), actor: agentActor(agent), action: override ? 'agent_override_applied' : 'agent_applied', orderNo: result.orderNo, diagnosisId: result.id,
      detail: {
        via: 'console', confirmed: diagnosisId, suggested: confirmed.suggested, verdict: result.verdict, action: result.action, keysIssued: result.keysIssued ?? 0,
        ...(override ? { override: 'replacement_limit', reason: override.reason } : {}),
      },
    });
  });
  return { kind: 'applied', confirmed: diagnosisId, result };
}

/**
 * The diagnosis verb, shared by the customer check, the agent API, the CLI and the sweep:
 * look the order up, run the checkers concurrently, decide, apply the action, explain, persist.
 */
import type { Action, Explanation, Verdict } from '../domain/verdicts.ts';
import type { Findings } from '../domain/findings.ts';
import { canDecideWithoutPayment, decide, type Decision } from '../domain/decide.ts';
import { explain } from '../domain/explain.ts';
import { runChecker } from '../checkers/types.ts';
import { migrationChecker } from '../checkers/migration.ts';
import { issuanceChecker } from '../checkers/issuance.ts';
import { paymentChecker } from '../checkers/payment.ts';
import type { LogContext } from '../observability/context.ts';
import type { Services } from '../services.ts';
import type { Actor } from '../actions/audit.ts';
import { canonicalOrderNo, exists, type Lookup } from '../domain/order.ts';
import { openJournal } from '../actions/journal.ts';
import type { DeliveryOutcome } from '../shops/port.ts';
import { lookupOrder } from './lookup.ts';
import { applyAction, delivers, deliverInto, deliveryRequest, type AppliedAction } from './apply.ts';
import { orderFacts, viewFindings, type FindingsView } from './findings-view.ts';
import { persistDiagnosis } from './persist.ts';

export interface DiagnoseInput {
  /** our order number, a legacy order number, or the gateway's transaction number */
  orderNo: string;
  actor: Actor;
  /** customer and sweep apply the action; an agent only suggests it unless apply is true */
  apply: boolean;
  /** already looked up (the customer check verifies the secret first) */
  lookup?: Lookup;
  /** a supervisor's override of the replacement limit, with apply (agents/override.ts checks the role and the reason) */
  overrideLimit?: boolean;
  /** whose work this is (a request's or sweep run's id): every log line of the diagnosis carries it */
  logContext: LogContext;
}

export interface DiagnosisResult {
  id: string;
  orderNo: string;
  verdict: Verdict;
  action: Action;
  suggested?: Action;
  explanation: Explanation;
  facts: Decision['facts'];
  ticket?: AppliedAction['ticket'];
  keysIssued?: number;
  nextCheckAt?: string;
  keysHeld: number;
  findings: FindingsView;
  startedAt: string;
  durationMs: number;
}

export async function diagnose(svc: Services, input: DiagnoseInput): Promise<DiagnosisResult> {
  const started = performance.now();
  const now = svc.now();
  const id = globalThis.crypto.randomUUID();
  const lookup = input.lookup ?? (await lookupOrder(svc, input.orderNo));
  const ctx = { svc, lookup, now, logContext: input.logContext };
  const timeoutMs = svc.config.checkerTimeoutMs;

  const findings: Findings = {
    now: now.toISOString(),
    legacyOnly: !lookup.order && exists(lookup),
    migration: { ok: true, ms: 0, data: { kind: 'none' } },
  };
  let issuance: Awaited<ReturnType<typeof issuanceChecker.run>> | undefined;
  let payment: Awaited<ReturnType<typeof paymentChecker.run>> | undefined;

  if (exists(lookup)) {
    if (lookup.order) findings.order = orderFacts(lookup);
    // all three start at once; the gateway call is cancelled if the local records already decide
    const cancelPayment = new AbortController();
    const paymentRun = lookup.order
      ? runChecker(paymentChecker, ctx, { timeoutMs, cancel: cancelPayment.signal })
      : undefined;
    const [migration, issuanceFinding] = await Promise.all([
      runChecker(migrationChecker, ctx, { timeoutMs }),
      lookup.order ? runChecker(issuanceChecker, ctx, { timeoutMs }) : undefined,
    ]);
    findings.migration = migration;
    if (issuanceFinding) {
      findings.issuance = issuanceFinding.ok
        ? { ok: true, ms: issuanceFinding.ms, data: issuanceFinding.data.finding }
        : issuanceFinding;
      if (issuanceFinding.ok) issuance = issuanceFinding.data;
    }
    if (paymentRun) {
      if (canDecideWithoutPayment(findings)) cancelPayment.abort();
      const paid = await paymentRun;
      findings.payment = paid;
      if (paid.ok) payment = paid.data;
    }
  }

  const policy = { epayV1Trust: svc.config.epayV1Trust };
  const decision = exists(lookup)
    ? decide(findings, policy, { overrideLimit: input.overrideLimit === true && input.apply })
    : { verdict: 'ORDER_NOT_FOUND' as const, action: 'none' as const, facts: {}, neededPayment: false };

  const writes = input.apply && decision.action !== 'none';
  const evidence = payment && 'evidence' in payment ? payment.evidence : undefined;
  const base = {
    decision, lookup, now, diagnosisId: id, supplierKeys: issuance?.supplierKeys ?? [], payment: evidence,
    overrideLimit: input.overrideLimit === true && input.apply,
  };
  // A shop in a database of its own commits its delivery first, journalled (a crash between the
  // two commits is recovered from the journal); our record follows in our own transaction.
  let delivered: DeliveryOutcome | undefined;
  if (writes && svc.shop.separate && delivers(decision)) {
    const req = await deliveryRequest(svc, base);
    if (req) {
      const journal = openJournal(svc.database, {
        shop: svc.shop.kind, diagnosisId: id, actor: input.actor, now,
        record: {
          verdict: decision.verdict, mode: req.mode, facts: decision.facts as Record<string, unknown>,
          order: findings.order as Record<string, unknown> | undefined, contact: req.order.contact, startedAt: now.toISOString(),
        },
      });
      delivered = await deliverInto(svc, req, { journal });
    }
  }
  const applied = await persistDiagnosis(svc, { writes }, async (tx) => {
    const outcome = await applyAction(tx, svc, { ...base, actor: input.actor, apply: input.apply, delivered });
    const explanation = explain({
      decision: { ...decision, verdict: outcome.verdict, action: outcome.action },
      order: findings.order,
      applied: outcome,
    });
    return {
      outcome,
      explanation,
      row: {
        id,
        orderNo: canonicalOrderNo(lookup),
        actorKind: input.actor.kind,
        actorId: input.actor.id ?? null,
        verdict: outcome.verdict,
        action: outcome.action,
        suggested: outcome.suggested ?? null,
        findings: viewFindings(findings, policy, issuance, payment),
        facts: decision.facts,
        explanation,
        ticketNumber: outcome.ticket?.number ?? null,
        startedAt: now,
        durationMs: Math.round(performance.now() - started),
      },
    };
  });

  const outcome = applied.outcome;
  svc.metrics.diagnosis({ verdict: outcome.verdict, action: outcome.action, actor: input.actor.kind });
  svc.logger.info({
    ...input.logContext, diagnosisId: id, orderNo: canonicalOrderNo(lookup), actor: input.actor.kind, verdict: outcome.verdict, action: outcome.action,
    ...(outcome.suggested ? { suggested: outcome.suggested } : {}), ms: applied.row.durationMs, checkers: checkerTimes(findings),
  }, 'diagnosis');

  return {
    id,
    orderNo: canonicalOrderNo(lookup),
    verdict: applied.outcome.verdict,
    action: applied.outcome.action,
    suggested: applied.outcome.suggested,
    explanation: applied.explanation,
    facts: decision.facts,
    ticket: applied.outcome.ticket,
    keysIssued: applied.outcome.keysIssued,
    nextCheckAt: applied.outcome.nextCheckAt,
    keysHeld: applied.outcome.keysHeld,
    findings: applied.row.findings as FindingsView,
    startedAt: now.toISOString(),
    durationMs: applied.row.durationMs,
  };
}

/** Each checker's outcome for the log line: ok, time, and why not (never its evidence). */
function checkerTimes(findings: Findings): Record<string, { ok: boolean; ms: number; error?: string }> {
  const out: Record<string, { ok: boolean; ms: number; error?: string }> = {};
  for (const name of ['migration', 'issuance', 'payment'] as const) {
    const f = findings[name];
    if (f) out[name] = f.ok ? { ok: true, ms: f.ms } : { ok: false, ms: f.ms, error: f.error };
  }
  return out;
}

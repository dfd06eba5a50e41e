/**
 * Applies (or, for an agent who has not said apply, only suggests) the action a decision calls for.
 * Each action re-checks its preconditions under the order's row lock, so the verdict reported is
 * the one that held when the action ran: a racing second check reports DELIVERED, a reissue that
 * finds the stock gone becomes OUT_OF_STOCK and escalates.
 */
import type { Tx } from '../db/client.ts';
import type { Decision } from '../domain/decide.ts';
import type { Action, Verdict } from '../domain/verdicts.ts';
import type { PaymentEvidence } from '../domain/payment.ts';
import type { Services } from '../services.ts';
import type { Actor } from '../actions/audit.ts';
import { reissue, validKeyCount } from '../actions/reissue.ts';
import { restore } from '../actions/restore.ts';
import { escalate, type TicketRef } from '../actions/escalate.ts';
import { defer } from '../actions/defer.ts';
import type { Lookup } from './lookup.ts';

export interface AppliedAction {
  verdict: Verdict;
  action: Action;
  suggested?: Action;
  keysIssued?: number;
  ticket?: TicketRef;
  nextCheckAt?: string;
  keysHeld: number;
}

export interface ApplyInput {
  decision: Decision;
  lookup: Lookup;
  now: Date;
  actor: Actor;
  diagnosisId: string;
  apply: boolean;
  supplierKeys: string[];
  payment?: PaymentEvidence;
  /** valid keys the issuance checker just counted: reported as is when nothing is written */
  knownKeysHeld?: number;
}

/** The first re-check of a deferred order; the sweep owns the schedule after that. */
const FIRST_RETRY_MS = 60_000;

export async function applyAction(tx: Tx, svc: Services, input: ApplyInput): Promise<AppliedAction> {
  const { decision, lookup, now, actor, diagnosisId } = input;
  const order = lookup.order;
  const keysHeld = async () => (order ? validKeyCount(tx, order.id) : 0);
  const unchanged = async () => input.knownKeysHeld ?? (await keysHeld());
  if (!input.apply) {
    return { verdict: decision.verdict, action: 'none', suggested: decision.action, keysHeld: await unchanged() };
  }
  const orderNo = order?.orderNo ?? lookup.legacy?.orderNo ?? lookup.asked;

  const escalateAs = async (verdict: Verdict): Promise<AppliedAction> => {
    const ticket = await escalate(tx, {
      orderNo, reason: verdict, source: actor.kind === 'agent' ? 'agent' : 'auto', now,
      slaMinutes: svc.config.ticketSlaMinutes, actor, diagnosisId,
    });
    // paid but no stock: the remediation queue delivers it once stock is back
    if (verdict === 'OUT_OF_STOCK') {
      await defer(tx, { orderNo, reason: 'out_of_stock', now, nextAt: new Date(now.getTime() + FIRST_RETRY_MS), actor, diagnosisId, verdict });
    }
    return { verdict, action: 'escalated', ticket, keysHeld: await unchanged() };
  };

  switch (decision.action) {
    case 'none':
      return { verdict: decision.verdict, action: 'none', keysHeld: await unchanged() };
    case 'escalated':
      return escalateAs(decision.verdict);
    case 'deferred': {
      const { nextAt } = await defer(tx, {
        orderNo, reason: decision.facts.upstreamProblem ?? decision.verdict, now,
        nextAt: new Date(now.getTime() + FIRST_RETRY_MS), actor, diagnosisId, verdict: decision.verdict,
      });
      return { verdict: decision.verdict, action: 'deferred', nextCheckAt: nextAt, keysHeld: await unchanged() };
    }
    case 'restored': {
      if (!order || !lookup.legacy) return escalateAs('MIGRATION_CONFLICT');
      const out = await restore(tx, { orderId: order.id, legacyOrderNo: lookup.legacy.orderNo, now, actor, diagnosisId, box: svc.box });
      if (out.kind === 'restored') return { verdict: decision.verdict, action: 'restored', keysIssued: out.count, keysHeld: await keysHeld() };
      return { verdict: 'DELIVERED', action: 'none', keysHeld: await keysHeld() };
    }
    case 'reissued': {
      if (!order || !lookup.product) throw new Error('reissue needs an order');
      const out = await reissue(tx, {
        orderId: order.id, now, actor, diagnosisId, box: svc.box, supplierKeys: input.supplierKeys,
        payment: { paidAt: input.payment?.paidAt, tradeNo: input.payment?.tradeNo },
        maxReplacements: lookup.product.maxReplacements,
      });
      switch (out.kind) {
        case 'issued':
          return { verdict: decision.verdict, action: 'reissued', keysIssued: out.count, keysHeld: out.keysHeld };
        case 'already_delivered':
          return { verdict: 'DELIVERED', action: 'none', keysHeld: await keysHeld() };
        case 'limit_reached':
          return escalateAs('REISSUE_LIMIT_REACHED');
        case 'out_of_stock':
          return escalateAs('OUT_OF_STOCK');
      }
    }
  }
}

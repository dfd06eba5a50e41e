/**
 * Applies (or, for an agent who has not said apply, only suggests) the action a decision calls for.
 * Each action re-checks its preconditions under the order's row lock (in the shop), so the verdict
 * reported is the one that held when the action ran: a racing second check reports DELIVERED, a
 * reissue that finds the stock gone becomes OUT_OF_STOCK and escalates.
 */
import type { Tx } from '../db/client.ts';
import type { Decision } from '../domain/decide.ts';
import type { Action, Verdict } from '../domain/verdicts.ts';
import type { PaymentEvidence } from '../domain/payment.ts';
import { validKeys, type Lookup } from '../domain/order.ts';
import { legacyKeys } from '../domain/legacy.ts';
import type { Services } from '../services.ts';
import type { Actor } from '../actions/audit.ts';
import { recordDelivery } from '../actions/deliver.ts';
import { escalate, type TicketRef } from '../actions/escalate.ts';
import { defer } from '../actions/defer.ts';
import { NO_JOURNAL } from '../actions/journal.ts';
import type { DeliveryJournal, DeliveryOutcome, DeliveryRequest } from '../shops/port.ts';

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
  /**
   * A delivery already made into a shop with a database of its own, before this transaction (the
   * shop's commit cannot join ours): its outcome is recorded here instead of delivering again.
   */
  delivered?: DeliveryOutcome;
  /** a supervisor's override of the replacement limit (agents/override.ts): handed to the shop's deliver */
  overrideLimit?: boolean;
}

/** The first re-check of a deferred order; the sweep owns the schedule after that. */
const FIRST_RETRY_MS = 60_000;

/** Whether a decision's action puts keys into the shop. */
export function delivers(decision: Decision): decision is Decision & { action: 'reissued' | 'restored' } {
  return decision.action === 'reissued' || decision.action === 'restored';
}

/** What to ask the shop for; null when the records needed are missing. */
export async function deliveryRequest(svc: Services, input: Omit<ApplyInput, 'delivered' | 'apply' | 'actor'>): Promise<DeliveryRequest | null> {
  const { lookup, decision } = input;
  if (!lookup.order || !lookup.product) return null;
  const mode = decision.action === 'restored' ? 'restore' : 'reissue';
  if (mode === 'restore' && !lookup.legacy) return null;
  return {
    order: lookup.order, product: lookup.product, mode, now: input.now, diagnosisId: input.diagnosisId,
    given: mode === 'restore' ? await legacyKeys(svc.box, lookup.legacy!) : input.supplierKeys,
    payment: { paidAt: input.payment?.paidAt, tradeNo: input.payment?.tradeNo },
    ...(input.overrideLimit ? { overrideLimit: true } : {}),
  };
}

/** Delivers into the shop: in our transaction for the built-in store, under the journal otherwise. */
export function deliverInto(svc: Services, req: DeliveryRequest, ctx: { tx?: Tx; journal: DeliveryJournal }): Promise<DeliveryOutcome> {
  return svc.shop.deliver(req, ctx);
}

export async function applyAction(tx: Tx, svc: Services, input: ApplyInput): Promise<AppliedAction> {
  const { decision, lookup, now, actor, diagnosisId } = input;
  const order = lookup.order;
  const held = lookup.holdings ? validKeys(lookup.holdings) : 0;
  if (!input.apply) {
    return { verdict: decision.verdict, action: 'none', suggested: decision.action, keysHeld: held };
  }
  const orderNo = order?.orderNo ?? lookup.legacy?.orderNo ?? lookup.asked;
  const queueFacts = { channel: order?.channel ?? null, sku: order?.sku ?? null, orderCreatedAt: order?.createdAt ?? null };

  const escalateAs = async (verdict: Verdict): Promise<AppliedAction> => {
    const ticket = await escalate(tx, {
      orderNo, reason: verdict, source: actor.kind === 'agent' ? 'agent' : 'auto', now, actor, diagnosisId,
    });
    // paid but no stock: the remediation queue delivers it once stock is back
    if (verdict === 'OUT_OF_STOCK') {
      await defer(tx, { orderNo, ...queueFacts, reason: 'out_of_stock', now, nextAt: new Date(now.getTime() + FIRST_RETRY_MS), actor, diagnosisId, verdict });
    }
    return { verdict, action: 'escalated', ticket, keysHeld: held };
  };

  switch (decision.action) {
    case 'none':
      return { verdict: decision.verdict, action: 'none', keysHeld: held };
    case 'escalated':
      return escalateAs(decision.verdict);
    case 'deferred': {
      const { nextAt } = await defer(tx, {
        orderNo, ...queueFacts, reason: decision.facts.upstreamProblem ?? decision.verdict, now,
        nextAt: new Date(now.getTime() + FIRST_RETRY_MS), actor, diagnosisId, verdict: decision.verdict,
      });
      return { verdict: decision.verdict, action: 'deferred', nextCheckAt: nextAt, keysHeld: held };
    }
    case 'restored':
    case 'reissued': {
      const req = await deliveryRequest(svc, input);
      if (!req) {
        if (decision.action === 'restored') return escalateAs('MIGRATION_CONFLICT');
        throw new Error('reissue needs an order');
      }
      const out = input.delivered ?? (await deliverInto(svc, req, { tx, journal: NO_JOURNAL }));
      switch (out.kind) {
        case 'issued':
          await recordDelivery(tx, svc, {
            outcome: out, mode: req.mode, shop: svc.shop.kind, order: req.order, product: req.product, actor, diagnosisId, now,
          });
          return { verdict: decision.verdict, action: decision.action, keysIssued: out.count, keysHeld: out.keysHeld };
        case 'already_delivered':
        case 'nothing_to_restore':
          return { verdict: 'DELIVERED', action: 'none', keysHeld: out.keysHeld };
        case 'limit_reached':
          return escalateAs('REISSUE_LIMIT_REACHED');
        case 'out_of_stock':
          return escalateAs('OUT_OF_STOCK');
      }
    }
  }
}

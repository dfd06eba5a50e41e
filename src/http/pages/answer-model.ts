/**
 * What the answer page shows, loaded from the stored diagnosis the buyer was given (never re-run on
 * a mere page view): verdict, explanation, facts, the order, the keys masked, the ticket if any.
 */
import { and, desc, eq, isNull, ne } from 'drizzle-orm';
import { diagnoses, sweepQueue, tickets } from '../../db/schema.ts';
import { maskSecret } from '../../crypto/secret-box.ts';
import type { DecisionFacts } from '../../domain/decide.ts';
import type { OrderFacts } from '../../domain/findings.ts';
import type { Action, Explanation, Verdict } from '../../domain/verdicts.ts';
import type { Services } from '../../services.ts';
import { lookupOrder } from '../../engine/lookup.ts';
import type { Lookup } from '../../domain/order.ts';
import type { FindingsView } from '../../engine/findings-view.ts';
import type { BuyerSession } from './session.ts';
import { messagesOf } from '../../tickets/messages.ts';

export interface ShownKey {
  slot: number;
  masked: string;
  issuedAt: string;
  replacement: boolean;
  /** only after an audited reveal */
  secret?: string;
}

export interface TicketView {
  number: string;
  status: 'open' | 'waiting_on_buyer' | 'resolved' | 'reopened';
  openedAt: string;
  dueAt: string;
  resolvedAt?: string;
  /** support's replies and the buyer's own messages, oldest first (internal notes never come here) */
  replies: { at: string; author: string; body: string; fromBuyer?: boolean }[];
}

export interface AnswerModel {
  orderNo: string;
  diagnosisId: string;
  verdict: Verdict;
  action: Action;
  explanation: Explanation;
  facts: DecisionFacts;
  order?: OrderFacts;
  keys: ShownKey[];
  ticket?: TicketView;
  nextCheckAt?: string;
}

/**
 * The order's valid keys, masked. Decrypting to mask happens server-side only and is not a reveal:
 * no secret leaves this function, so nothing is audited here.
 */
export async function maskedKeys(svc: Services, lookup: Lookup): Promise<ShownKey[]> {
  if (!lookup.order) return [];
  const keys = await svc.shop.revealKeys(lookup.order);
  return keys.map((k) => ({ slot: k.slot, masked: maskSecret(k.secret), issuedAt: k.issuedAt, replacement: k.replacement }));
}

/** The ticket as its buyer sees it: its state, deadline and support's replies, never an internal note. */
export async function ticketView(svc: Pick<Services, 'database'>, row: typeof tickets.$inferSelect): Promise<TicketView> {
  const replies = await messagesOf(svc, row.id, true);
  return {
    number: row.number, status: row.status, openedAt: row.openedAt.toISOString(), dueAt: row.dueAt.toISOString(),
    ...(row.resolvedAt ? { resolvedAt: row.resolvedAt.toISOString() } : {}),
    replies: replies.map((m) => ({ at: m.createdAt.toISOString(), author: m.authorName, body: m.body, ...(m.kind === 'buyer' ? { fromBuyer: true } : {}) })),
  };
}

/** The order's open ticket, else the one the diagnosis named. */
async function ticketFor(svc: Services, orderNo: string, named: string | null): Promise<TicketView | undefined> {
  const db = svc.database.db;
  const [open] = await db.select().from(tickets).where(and(eq(tickets.orderNo, orderNo), ne(tickets.status, 'resolved'))).limit(1);
  if (open) return ticketView(svc, open);
  if (!named) return undefined;
  const [row] = await db.select().from(tickets).where(and(eq(tickets.number, named), eq(tickets.orderNo, orderNo))).limit(1);
  return row ? ticketView(svc, row) : undefined;
}

/** The answer for a verified session, or null when its diagnosis is gone. */
export async function loadAnswer(svc: Services, session: BuyerSession): Promise<{ model: AnswerModel; lookup: Lookup } | null> {
  const db = svc.database.db;
  const [row] = await db
    .select()
    .from(diagnoses)
    .where(and(eq(diagnoses.id, session.diagnosisId), eq(diagnoses.orderNo, session.orderNo)))
    .orderBy(desc(diagnoses.startedAt))
    .limit(1);
  if (!row) return null;
  const lookup = await lookupOrder(svc, session.orderNo);
  const [queued] = row.action === 'deferred'
    ? await db.select({ nextAt: sweepQueue.nextAt }).from(sweepQueue)
      .where(and(eq(sweepQueue.orderNo, session.orderNo), isNull(sweepQueue.doneAt))).limit(1)
    : [];
  const findings = row.findings as FindingsView;
  const model: AnswerModel = {
    orderNo: row.orderNo,
    diagnosisId: row.id,
    verdict: row.verdict as Verdict,
    action: row.action as Action,
    explanation: row.explanation as Explanation,
    facts: row.facts as DecisionFacts,
    order: findings.order,
    keys: await maskedKeys(svc, lookup),
    ticket: await ticketFor(svc, row.orderNo, row.ticketNumber),
    ...(queued ? { nextCheckAt: queued.nextAt.toISOString() } : {}),
  };
  return { model, lookup };
}

/**
 * Escalate: one active ticket per order (open, waiting on the buyer or reopened), holding the
 * diagnosis, reused while it stays active (the partial unique index tickets_one_open_per_order_uq
 * makes racing escalations agree). A new ticket takes its category from the verdict and the SLA
 * policy's normal terms (tickets/policy.ts), and stores both deadlines. The buyer saying "not
 * solved" is a buyer reply: a ticket waiting on them runs again, and one resolved in the last
 * REOPEN_WINDOW_MS is reopened rather than a new one opened.
 */
import { and, desc, eq, gt, ne, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { diagnoses, tickets } from '../db/schema.ts';
import { categoryFor } from '../tickets/category.ts';
import { transition, type TicketRow } from '../tickets/lifecycle.ts';
import { loadPolicy, termsFor } from '../tickets/policy.ts';
import { deadlines } from '../tickets/sla.ts';
import { audit, type Actor } from './audit.ts';

export interface TicketRef {
  number: string;
  dueAt: string;
  /** the API's two states: anything not resolved is open to the buyer */
  status: 'open' | 'resolved';
  openedAt: string;
  reused: boolean;
}

/** a buyer coming back within a week about a resolved ticket reopens it */
export const REOPEN_WINDOW_MS = 7 * 24 * 60 * 60_000;

export async function escalate(
  tx: Tx,
  input: {
    orderNo: string; reason: string; source: 'auto' | 'buyer' | 'agent'; now: Date;
    actor: Actor; diagnosisId: string;
  },
): Promise<TicketRef> {
  const { now } = input;
  const active = () => tx.select().from(tickets).where(and(eq(tickets.orderNo, input.orderNo), ne(tickets.status, 'resolved'))).for('update');
  if (input.source === 'buyer') {
    const [current] = await active();
    if (current) return buyerCameBack(tx, current, input);
    const [recent] = await tx.select().from(tickets)
      .where(and(eq(tickets.orderNo, input.orderNo), eq(tickets.status, 'resolved'), gt(tickets.resolvedAt, new Date(now.getTime() - REOPEN_WINDOW_MS))))
      .orderBy(desc(tickets.resolvedAt)).limit(1).for('update');
    // locked, then read again: a racing "not solved" may have reopened it already (then it is active)
    if (recent?.status === 'resolved') return ref(await transition(tx, recent, 'buyer_reply', { now, actor: input.actor }), true);
  }
  const terms = termsFor(await loadPolicy(tx), 'normal');
  const due = deadlines({ openedAt: now, pausedMs: 0, ...terms });
  const inserted = await tx
    .insert(tickets)
    .values({
      number: newTicketNumber(now),
      orderNo: input.orderNo,
      reason: input.reason,
      source: input.source,
      diagnosisId: input.diagnosisId,
      openedAt: now,
      dueAt: due.firstResponseDueAt,
      category: categoryFor(await verdictBehind(tx, input)),
      priority: 'normal',
      ...terms,
      ...due,
    })
    .onConflictDoNothing({ target: tickets.orderNo, where: sql`status <> 'resolved'` })
    .returning();
  const ticket = inserted[0] ?? (await active())[0];
  if (!ticket) throw new Error(`no open ticket for ${input.orderNo} after escalation`);
  const reused = inserted.length === 0;
  await audit(tx, {
    at: now, actor: input.actor, action: reused ? 'ticket_reused' : 'ticket_opened', orderNo: input.orderNo,
    diagnosisId: input.diagnosisId, detail: { ticket: ticket.number, reason: input.reason, dueAt: ticket.dueAt.toISOString() },
  });
  return ref(ticket, reused);
}

/** The buyer's "not solved" on an active ticket: waiting on them ends; open ones are just reused. */
async function buyerCameBack(tx: Tx, t: TicketRow, input: { orderNo: string; reason: string; now: Date; actor: Actor; diagnosisId: string }): Promise<TicketRef> {
  const row = t.status === 'waiting_on_buyer' ? await transition(tx, t, 'buyer_reply', { now: input.now, actor: input.actor }) : t;
  await audit(tx, {
    at: input.now, actor: input.actor, action: 'ticket_reused', orderNo: input.orderNo, diagnosisId: input.diagnosisId,
    detail: { ticket: row.number, reason: input.reason, dueAt: row.dueAt.toISOString() },
  });
  return ref(row, true);
}

/** A buyer's "not solved" names no verdict: the diagnosis they saw does. */
async function verdictBehind(tx: Tx, input: { reason: string; diagnosisId: string }): Promise<string> {
  if (/^[A-Z_]+$/.test(input.reason)) return input.reason;
  const [d] = await tx.select({ verdict: diagnoses.verdict }).from(diagnoses).where(eq(diagnoses.id, input.diagnosisId)).limit(1);
  return d?.verdict ?? input.reason;
}

function ref(t: TicketRow, reused: boolean): TicketRef {
  return {
    number: t.number, dueAt: t.dueAt.toISOString(), status: t.status === 'resolved' ? 'resolved' : 'open',
    openedAt: t.openedAt.toISOString(), reused,
  };
}

/** `T2611220-4KQ7`: the day it was opened (easy to say on the phone) plus a random part. */
function newTicketNumber(now: Date): string {
  const day = now.toISOString().slice(2, 10).replaceAll('-', '');
  const alphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(5));
  return `T${day}-${Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('')}`;
}

/**
 * Ticket verbs that move a ticket: its state (states.ts), its assignee, its priority and category.
 * Each runs in one transaction on the ticket's locked row and writes its audit row there, with who
 * and when. Stopping the clocks (waiting on the buyer, resolving) first records any breach already
 * due; starting them again extends both deadlines by the working time they stood still.
 */
import { and, eq, isNull, or } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { agents, tickets } from '../db/schema.ts';
import { audit, type Actor } from '../actions/audit.ts';
import { recordBreaches } from './breaches.ts';
import { isCategory, isPriority, type Category, type Priority } from './category.ts';
import { loadPolicy, termsFor } from './policy.ts';
import { deadlines, workingBetween, type BusinessHours } from './sla.ts';
import { clockRuns, nextState, type TicketEvent, type TicketState } from './states.ts';

export type TicketRow = typeof tickets.$inferSelect;

/** A ticket verb refused (no such ticket, not allowed): one line for the person asking. */
export class TicketError extends Error {
  constructor(message: string, readonly kind: 'not_found' | 'forbidden' | 'invalid' = 'invalid') {
    super(message);
  }
}

export const hoursOf = (t: TicketRow) => (t.businessHours ?? null) as BusinessHours | null;
/** the deadline the buyer waits for next: the first response, then the resolution */
const nextDue = (t: Pick<TicketRow, 'firstRespondedAt' | 'firstResponseDueAt' | 'resolutionDueAt'>) => (t.firstRespondedAt ? t.resolutionDueAt : t.firstResponseDueAt);

const AUDITED: Record<TicketEvent, string> = {
  wait: 'ticket_waiting_on_buyer', resume: 'ticket_resumed', resolve: 'ticket_resolved', reopen: 'ticket_reopened', buyer_reply: 'ticket_buyer_replied',
};

export async function lockTicket(tx: Tx, number: string): Promise<TicketRow> {
  const [row] = /^T[0-9A-Z-]{4,32}$/.test(number) ? await tx.select().from(tickets).where(eq(tickets.number, number)).for('update') : [];
  if (!row) throw new TicketError(`no ticket ${number}`, 'not_found');
  return row;
}

/**
 * Moves a locked ticket by `event` (or refuses: TicketStateError). The clocks stop entering waiting
 * or resolved (after recording what was due), and restart leaving them.
 */
export async function transition(tx: Tx, row: TicketRow, event: TicketEvent, ctx: { now: Date; actor: Actor }): Promise<TicketRow> {
  const from = row.status as TicketState;
  const to = nextState(from, event);
  const { now } = ctx;
  let set: Partial<typeof tickets.$inferInsert> = { status: to };
  if (clockRuns(from) && !clockRuns(to)) {
    await recordBreaches(tx, now, row.id);
    set = { ...set, clockStoppedAt: now, ...(to === 'resolved' ? { resolvedAt: now } : {}) };
  } else if (!clockRuns(from) && clockRuns(to)) {
    const pausedMs = row.pausedMs + (row.clockStoppedAt ? workingBetween(row.clockStoppedAt, now, hoursOf(row)) : 0);
    const due = deadlines({ ...row, businessHours: hoursOf(row), pausedMs });
    set = { ...set, clockStoppedAt: null, resolvedAt: null, pausedMs, ...due, dueAt: nextDue({ ...row, ...due }) };
  } else if (to === 'resolved') {
    set = { ...set, resolvedAt: now };
  }
  const [updated] = await tx.update(tickets).set(set).where(eq(tickets.id, row.id)).returning();
  await audit(tx, {
    at: now, actor: ctx.actor, action: AUDITED[event],
    orderNo: row.orderNo, detail: { ticket: row.number, from, to, event },
  });
  return updated!;
}

export async function changeState(db: Db, input: { number: string; event: TicketEvent; actor: Actor; now: Date }): Promise<TicketRow> {
  return db.transaction(async (tx) => transition(tx, await lockTicket(tx, input.number), input.event, input));
}

/**
 * An agent takes a ticket for themselves: only one nobody holds (or they hold already); taking it
 * from a colleague is a supervisor's assignment.
 */
export async function claimTicket(db: Db, input: { number: string; agentId: number; actor: Actor; now: Date }): Promise<TicketRow> {
  return db.transaction(async (tx) => {
    const row = await lockTicket(tx, input.number);
    const [done] = await tx.update(tickets).set({ assigneeId: input.agentId })
      .where(and(eq(tickets.id, row.id), or(isNull(tickets.assigneeId), eq(tickets.assigneeId, input.agentId)))).returning();
    if (!done) throw new TicketError(`ticket ${row.number} is assigned to someone else: a supervisor can reassign it`, 'forbidden');
    if (row.assigneeId !== input.agentId) {
      await audit(tx, { at: input.now, actor: input.actor, action: 'ticket_claimed', orderNo: row.orderNo, detail: { ticket: row.number, assigneeId: input.agentId } });
    }
    return done;
  });
}

/** A supervisor gives a ticket to anyone active, or to nobody (null). */
export async function assignTicket(db: Db, input: { number: string; assigneeId: number | null; actor: Actor; now: Date }): Promise<TicketRow> {
  return db.transaction(async (tx) => {
    const row = await lockTicket(tx, input.number);
    if (input.assigneeId !== null) {
      const [a] = await tx.select({ id: agents.id }).from(agents).where(and(eq(agents.id, input.assigneeId), isNull(agents.revokedAt))).limit(1);
      if (!a) throw new TicketError('no active agent with that id');
    }
    const [done] = await tx.update(tickets).set({ assigneeId: input.assigneeId }).where(eq(tickets.id, row.id)).returning();
    await audit(tx, {
      at: input.now, actor: input.actor, action: 'ticket_assigned', orderNo: row.orderNo,
      detail: { ticket: row.number, from: row.assigneeId, to: input.assigneeId },
    });
    return done!;
  });
}

/**
 * Priority and category. A new priority takes that priority's terms from the current policy and
 * moves both deadlines accordingly (from opened_at, keeping the paused time); breaches already
 * recorded stay recorded.
 */
export async function triageTicket(db: Db, input: { number: string; priority: unknown; category: unknown; actor: Actor; now: Date }): Promise<TicketRow> {
  if (!isPriority(input.priority) || !isCategory(input.category)) throw new TicketError('priority is urgent or normal; category one of payment, delivery, stock, migration, account');
  const priority: Priority = input.priority;
  const category: Category = input.category;
  return db.transaction(async (tx) => {
    const row = await lockTicket(tx, input.number);
    let set: Partial<typeof tickets.$inferInsert> = { category };
    if (priority !== row.priority) {
      const terms = termsFor(await loadPolicy(tx), priority);
      const due = deadlines({ openedAt: row.openedAt, pausedMs: row.pausedMs, ...terms });
      set = { ...set, priority, ...terms, ...due, dueAt: nextDue({ ...row, ...due }) };
    }
    if (priority === row.priority && category === row.category) return row;
    const [done] = await tx.update(tickets).set(set).where(eq(tickets.id, row.id)).returning();
    await audit(tx, {
      at: input.now, actor: input.actor, action: 'ticket_triaged', orderNo: row.orderNo,
      detail: { ticket: row.number, priority: `${row.priority} -> ${priority}`, category: `${row.category} -> ${category}` },
    });
    return done!;
  });
}

/**
 * The console's queue: tickets with their running clock, soonest due first (clocks that stand,
 * waiting on the buyer, after those that run; resolved ones last), filtered by state, category,
 * assignee, "at risk" (sla.ts clockView: overdue, or under 20% of the clock or 5 minutes left) and
 * "the buyer wrote": a buyer's message newer than the last reply to them (buyer-messages.ts).
 */
import { and, asc, eq, isNull, ne, sql, type SQL } from 'drizzle-orm';
import { agents, ticketMessages, tickets } from '../db/schema.ts';
import type { Services } from '../services.ts';
import { isCategory } from './category.ts';
import { hoursOf, type TicketRow } from './lifecycle.ts';
import { clockView, type ClockView } from './sla.ts';
import { TICKET_STATES, type TicketState } from './states.ts';

export interface QueueFilters {
  /** a state, or 'active' (anything not resolved: the default), or 'all' */
  state?: string;
  category?: string;
  /** an agent id, 'me', or 'none' (unassigned) */
  assignee?: string;
  atRisk?: boolean;
  /** only tickets the buyer wrote on since the last reply */
  buyerWrote?: boolean;
}

export interface QueueItem {
  ticket: TicketRow;
  assignee: string | null;
  clock: ClockView;
  /** the buyer wrote since the last reply to them (the agents have not answered yet) */
  buyerWaiting: boolean;
}

/**
 * A buyer's message with no reply after it: read from the messages (ticket_messages_ticket_idx),
 * never a flag to keep in step. "After" is by time, then by id (two messages in the same instant:
 * the later insert is the answer).
 */
const buyerWaiting = sql<boolean>`exists (
  select 1 from ${ticketMessages} b
   where b.ticket_id = ${tickets.id} and b.kind = 'buyer'
     and not exists (select 1 from ${ticketMessages} r where r.ticket_id = ${tickets.id} and r.kind = 'reply'
                       and (r.created_at, r.id) > (b.created_at, b.id)))`;

/** enough for a desk's screen; the at-risk filter works on these */
const QUEUE_LIMIT = 300;

export async function listQueue(svc: Services, f: QueueFilters, me: number): Promise<QueueItem[]> {
  const where: (SQL | undefined)[] = [];
  if (f.state === 'all') {
    // everything
  } else if (TICKET_STATES.includes(f.state as TicketState)) where.push(eq(tickets.status, f.state as TicketState));
  else where.push(ne(tickets.status, 'resolved'));
  if (isCategory(f.category)) where.push(eq(tickets.category, f.category));
  if (f.assignee === 'me') where.push(eq(tickets.assigneeId, me));
  else if (f.assignee === 'none') where.push(isNull(tickets.assigneeId));
  else if (f.assignee && /^\d{1,9}$/.test(f.assignee)) where.push(eq(tickets.assigneeId, Number(f.assignee)));
  if (f.buyerWrote) where.push(buyerWaiting);
  const rows = await svc.database.db
    .select({ ticket: tickets, assignee: agents.name, buyerWaiting })
    .from(tickets)
    .leftJoin(agents, eq(agents.id, tickets.assigneeId))
    .where(and(...where))
    // running clocks by their next deadline, then standing ones, then resolved
    .orderBy(sql`case when ${tickets.status} = 'resolved' then 2 when ${tickets.clockStoppedAt} is not null then 1 else 0 end`, asc(tickets.dueAt), asc(tickets.id))
    .limit(QUEUE_LIMIT);
  const now = svc.now();
  const items = rows.map((r) => ({
    ticket: r.ticket, assignee: r.assignee, buyerWaiting: r.buyerWaiting === true || (r.buyerWaiting as unknown) === 't',
    clock: clockView({ ...r.ticket, businessHours: hoursOf(r.ticket) }, now),
  }));
  return f.atRisk ? items.filter((i) => i.clock.atRisk) : items;
}

export async function ticketByNumber(svc: Services, number: string): Promise<{ ticket: TicketRow; assignee: string | null } | null> {
  if (!/^T[0-9A-Z-]{4,32}$/.test(number)) return null;
  const [row] = await svc.database.db.select({ ticket: tickets, assignee: agents.name }).from(tickets)
    .leftJoin(agents, eq(agents.id, tickets.assigneeId)).where(eq(tickets.number, number)).limit(1);
  return row ?? null;
}

/** Active agents, for the supervisor's assign list and the assignee filter. */
export async function activeAgents(svc: Services): Promise<{ id: number; name: string }[]> {
  return svc.database.db.select({ id: agents.id, name: agents.name }).from(agents).where(isNull(agents.revokedAt)).orderBy(asc(agents.name));
}


/**
 * The buyer writes on their ticket (issue 11: free-text replies on the buyer's ticket page). Only
 * the verified buyer of the ticket's own order (the page's signed session) reaches this. In one
 * transaction on the ticket's locked row:
 * - the limits are counted from the stored messages themselves, so they hold across processes and
 *   restarts and two racing posts are counted one after the other (the row lock);
 * - the message is stored (kind `buyer`, no agent) and audited;
 * - a ticket waiting on the buyer goes back to open (its clocks run again, the paused time kept as
 *   lifecycle.ts transition does for any resume); a resolved one reopens within REOPEN_WINDOW_MS of
 *   its resolution; after that the buyer is told to check the order again ("not solved" opens a new
 *   ticket with a fresh diagnosis), since a week-old case is better looked at anew. When the order
 *   has another ticket open by then (a later check escalated again), the message goes there: an
 *   order has one active ticket (tickets_one_open_per_order_uq), and that is where agents look.
 * No email goes out: the message is for the agents, who see it in the queue (queue.ts buyerWaiting).
 */
import { and, count, eq, gt, ne } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { ticketMessages, tickets } from '../db/schema.ts';
import { audit, type Actor } from '../actions/audit.ts';
import type { Services } from '../services.ts';
import { lockTicket, TicketError, transition, type TicketRow } from './lifecycle.ts';
import { messageBody, type MessageRow } from './messages.ts';

/** shorter than an agent's reply: a buyer describes, support explains */
export const BUYER_MESSAGE_MAX = 2000;
/** a resolved ticket the buyer writes on within this reopens */
export const REOPEN_WINDOW_MS = 7 * 24 * 60 * 60_000;
/** per ticket: a few messages in a burst, a day's worth in all (a person types; a script is stopped) */
export const BUYER_MESSAGE_LIMITS = { burst: 5, burstMs: 10 * 60_000, daily: 30, dayMs: 24 * 60 * 60_000 } as const;
/** what the buyer's name is on every message they write (the page says "you") */
export const BUYER_AUTHOR = 'buyer';

export type BuyerMessageRefusal = 'not_found' | 'invalid' | 'too_many' | 'closed';

/** A refused buyer message: the page maps the kind to its words (and a status). */
export class BuyerMessageError extends Error {
  constructor(readonly kind: BuyerMessageRefusal, message: string, readonly retryAfterS?: number) {
    super(message);
  }
}

/** Whether the buyer may still write on this ticket now: any active one, a resolved one within the window. */
export function buyerMayWrite(t: Pick<TicketRow, 'status' | 'resolvedAt'>, now: Date): boolean {
  if (t.status !== 'resolved') return true;
  return t.resolvedAt !== null && now.getTime() - t.resolvedAt.getTime() <= REOPEN_WINDOW_MS;
}

export async function addBuyerMessage(
  svc: Services,
  input: { number: string; orderNo: string; body: unknown; actor: Actor },
): Promise<{ ticket: TicketRow; message: MessageRow; reopened: boolean }> {
  let body: string;
  try {
    body = messageBody(input.body, BUYER_MESSAGE_MAX);
  } catch (err) {
    if (err instanceof TicketError) throw new BuyerMessageError('invalid', err.message);
    throw err;
  }
  const now = svc.now();
  return svc.database.db.transaction(async (tx) => {
    let ticket: TicketRow;
    try {
      ticket = await lockTicket(tx, input.number);
    } catch (err) {
      if (err instanceof TicketError) throw new BuyerMessageError('not_found', err.message);
      throw err;
    }
    // another order's ticket is no ticket at all to this buyer
    if (ticket.orderNo !== input.orderNo) throw new BuyerMessageError('not_found', `no ticket ${input.number}`);
    if (ticket.status === 'resolved') ticket = (await activeTicketOf(tx, ticket.orderNo)) ?? ticket;
    if (!buyerMayWrite(ticket, now)) {
      throw new BuyerMessageError('closed', `ticket ${ticket.number} was resolved more than 7 days ago`);
    }
    const since = (ms: number) => tx.select({ n: count() }).from(ticketMessages)
      .where(and(eq(ticketMessages.ticketId, ticket.id), eq(ticketMessages.kind, 'buyer'), gt(ticketMessages.createdAt, new Date(now.getTime() - ms))));
    const L = BUYER_MESSAGE_LIMITS;
    const [[burst], [day]] = await Promise.all([since(L.burstMs), since(L.dayMs)]);
    if (Number(burst!.n) >= L.burst || Number(day!.n) >= L.daily) {
      const wait = Number(day!.n) >= L.daily ? L.dayMs : L.burstMs;
      throw new BuyerMessageError('too_many', 'too many messages on this ticket', Math.ceil(wait / 1000));
    }
    const [message] = await tx.insert(ticketMessages)
      .values({ ticketId: ticket.id, kind: 'buyer', agentId: null, authorName: BUYER_AUTHOR, body, createdAt: now })
      .returning();
    await audit(tx, {
      at: now, actor: input.actor, action: 'ticket_buyer_message', orderNo: ticket.orderNo,
      detail: { ticket: ticket.number, message: message!.id, length: body.length, status: ticket.status },
    });
    const reopened = ticket.status === 'resolved';
    if (ticket.status === 'waiting_on_buyer' || reopened) ticket = await transition(tx, ticket, 'buyer_reply', { now, actor: input.actor });
    return { ticket, message: message!, reopened };
  });
}

/** The order's active ticket, locked (there is at most one). */
async function activeTicketOf(tx: Tx, orderNo: string): Promise<TicketRow | undefined> {
  const [row] = await tx.select().from(tickets).where(and(eq(tickets.orderNo, orderNo), ne(tickets.status, 'resolved'))).for('update');
  return row;
}

/**
 * Replies and internal notes. A reply is the buyer's to read: shown on their ticket page and, when
 * mail is configured and the shop has an email address for them, queued in the outbox in the same
 * transaction (one email per reply: its delivery key is the message id; jobs/mail.ts sends at most
 * once). The first reply stops the first-response clock (recording its breach first when late).
 * A note is for agents only and never leaves the console.
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { mailOutbox, ticketMessages, tickets } from '../db/schema.ts';
import { audit, type Actor } from '../actions/audit.ts';
import { checkPageLink, emailAddress } from '../mail/outbox.ts';
import type { TicketReplyPayload } from '../mail/ticket-reply.ts';
import type { Services } from '../services.ts';
import { recordBreaches } from './breaches.ts';
import { lockTicket, TicketError, transition, type TicketRow } from './lifecycle.ts';
import type { TicketEvent } from './states.ts';

export type MessageRow = typeof ticketMessages.$inferSelect;
export const MAX_MESSAGE_LENGTH = 4000;

export interface MessageInput {
  number: string;
  kind: 'reply' | 'note';
  body: unknown;
  agent: { id: number; name: string };
  actor: Actor;
  /** after a reply: wait for the buyer, or resolve, in the same transaction */
  then?: Extract<TicketEvent, 'wait' | 'resolve'>;
  /** the buyer's contact, as the shop has it (read before the transaction: the shop may be another database) */
  contact?: string | null;
}

/** A message's text, trimmed with newlines normalised, or a TicketError: an agent's and a buyer's alike. */
export function messageBody(raw: unknown, max: number): string {
  const body = typeof raw === 'string' ? raw.replace(/\r\n/g, '\n').trim() : '';
  // a message may hold newlines and tabs; no other control characters reach a page or an email
  if (!body || body.length > max || /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(body)) {
    throw new TicketError(`a message of 1-${max} characters is expected`);
  }
  return body;
}

export async function addMessage(svc: Services, input: MessageInput): Promise<{ ticket: TicketRow; message: MessageRow; mail: 'queued' | 'no_mail' | 'no_address' | null }> {
  const body = messageBody(input.body, MAX_MESSAGE_LENGTH);
  const now = svc.now();
  return svc.database.db.transaction(async (tx) => {
    let ticket = await lockTicket(tx, input.number);
    const [message] = await tx.insert(ticketMessages)
      .values({ ticketId: ticket.id, kind: input.kind, agentId: input.agent.id, authorName: input.agent.name, body, createdAt: now })
      .returning();
    await audit(tx, {
      at: now, actor: input.actor, action: input.kind === 'reply' ? 'ticket_replied' : 'ticket_noted', orderNo: ticket.orderNo,
      detail: { ticket: ticket.number, message: message!.id, length: body.length },
    });
    let mail: 'queued' | 'no_mail' | 'no_address' | null = null;
    if (input.kind === 'reply') {
      if (!ticket.firstRespondedAt && ticket.status !== 'resolved') {
        await recordBreaches(tx, now, ticket.id);
        [ticket] = await tx.update(tickets).set({ firstRespondedAt: now, dueAt: ticket.resolutionDueAt })
          .where(eq(tickets.id, ticket.id)).returning() as [TicketRow];
      }
      mail = await queueReplyMail(svc, { tx, ticket, message: message!, contact: input.contact ?? null, now });
      if (input.then) ticket = await transition(tx, ticket, input.then, { now, actor: input.actor });
    }
    return { ticket, message: message!, mail };
  });
}

async function queueReplyMail(
  svc: Services,
  p: { tx: Tx; ticket: TicketRow; message: MessageRow; contact: string | null; now: Date },
): Promise<'queued' | 'no_mail' | 'no_address'> {
  if (!svc.config.mail) return 'no_mail';
  const to = emailAddress(p.contact);
  if (!to) return 'no_address';
  const payload: TicketReplyPayload = {
    orderNo: p.ticket.orderNo, ticket: p.ticket.number, body: p.message.body, author: p.message.authorName,
    link: checkPageLink(svc.config.publicUrl, p.ticket.orderNo),
  };
  await p.tx.insert(mailOutbox).values({
    deliveryKey: `ticket-reply:${p.message.id}`, kind: 'ticket_reply', orderNo: p.ticket.orderNo, toAddress: to, payload,
    status: 'pending', attempts: 0, nextAt: p.now, createdAt: p.now,
  }).onConflictDoNothing({ target: mailOutbox.deliveryKey });
  return 'queued';
}

/** A ticket's messages, oldest first; `forBuyer`: replies and the buyer's own messages (notes never leave the console). */
export async function messagesOf(svc: Pick<Services, 'database'>, ticketId: number, forBuyer = false): Promise<MessageRow[]> {
  const where = forBuyer ? and(eq(ticketMessages.ticketId, ticketId), inArray(ticketMessages.kind, ['reply', 'buyer'])) : eq(ticketMessages.ticketId, ticketId);
  return svc.database.db.select().from(ticketMessages).where(where).orderBy(asc(ticketMessages.createdAt), asc(ticketMessages.id));
}

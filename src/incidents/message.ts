/**
 * One message to every buyer of an incident: a reply on each of its tickets through
 * tickets/messages.ts addMessage, so each buyer sees it on their ticket page and gets it by email
 * once (the outbox's key is the message id), and each ticket's reply is audited as any reply.
 * One incident-level audit row says who sent what to how many.
 *
 * The form carries a random id, claimed once in console_applies (the table that makes every console
 * confirmation single-use) before anything is sent: a double click or a second agent resubmitting
 * the same page is told it was sent, and no buyer gets the message twice.
 */
import { eq } from 'drizzle-orm';
import { consoleApplies } from '../db/schema.ts';
import { audit } from '../actions/audit.ts';
import { agentActor, type AgentAccount } from '../agents/accounts.ts';
import { lookupOrder } from '../engine/lookup.ts';
import { addMessage, MAX_MESSAGE_LENGTH } from '../tickets/messages.ts';
import { TicketError } from '../tickets/lifecycle.ts';
import type { Services } from '../services.ts';
import type { Incident } from './group.ts';
import { mapLimit } from './pool.ts';
import { BULK_CONCURRENCY } from './bulk.ts';

export type MessageOutcome =
  | { kind: 'sent'; tickets: number; mailQueued: number; failed: string[] }
  | { kind: 'used'; agentId: number }
  | { kind: 'invalid'; why: string };

const onceKey = (id: string) => `incident-message:${id}`;

export async function messageIncident(
  svc: Services,
  input: { agent: AgentAccount; incident: Incident; body: unknown; once: unknown },
): Promise<MessageOutcome> {
  const { agent, incident } = input;
  if (typeof input.once !== 'string' || !/^[0-9a-f-]{36}$/.test(input.once)) return { kind: 'invalid', why: 'the form expired: open the incident again' };
  const body = typeof input.body === 'string' ? input.body.trim() : '';
  if (!body || body.length > MAX_MESSAGE_LENGTH) return { kind: 'invalid', why: `a message of 1-${MAX_MESSAGE_LENGTH} characters is expected` };
  const db = svc.database.db;
  const claimed = await db.insert(consoleApplies)
    .values({ diagnosisId: onceKey(input.once), orderNo: incident.cause.key.slice(0, 200), agentId: agent.id, confirmedAt: svc.now() })
    .onConflictDoNothing().returning({ id: consoleApplies.diagnosisId });
  if (claimed.length === 0) {
    const [row] = await db.select().from(consoleApplies).where(eq(consoleApplies.diagnosisId, onceKey(input.once))).limit(1);
    return { kind: 'used', agentId: row?.agentId ?? agent.id };
  }
  const actor = agentActor(agent);
  const failed: string[] = [];
  const sent = await mapLimit(incident.items, BULK_CONCURRENCY, async ({ ticket }) => {
    // the buyer's address, from the shop, read before the ticket's transaction (as a single reply does)
    const contact = (await lookupOrder(svc, ticket.orderNo)).order?.contact ?? null;
    try {
      return await addMessage(svc, { number: ticket.number, kind: 'reply', body, agent, actor, contact });
    } catch (err) {
      // a body addMessage refuses is refused for every ticket alike: the first one tells why
      if (err instanceof TicketError) { failed.push(`${ticket.number}: ${err.message}`); return null; }
      throw err;
    }
  });
  const done = sent.filter((s) => s !== null);
  await audit(db, {
    at: svc.now(), actor, action: 'incident_messaged',
    detail: {
      incident: incident.cause.key, tickets: done.map((s) => s.ticket.number), messages: done.map((s) => s.message.id),
      mailQueued: done.filter((s) => s.mail === 'queued').length, failed: failed.length, length: body.length,
    },
  });
  return { kind: 'sent', tickets: done.length, mailQueued: done.filter((s) => s.mail === 'queued').length, failed };
}

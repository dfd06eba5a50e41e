/**
 * Escalate: one open ticket per order, holding the diagnosis, reused while it stays open
 * (the partial unique index tickets_one_open_per_order_uq makes racing escalations agree).
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { tickets } from '../db/schema.ts';
import { audit, type Actor } from './audit.ts';

export interface TicketRef {
  number: string;
  dueAt: string;
  status: 'open' | 'resolved';
  openedAt: string;
  reused: boolean;
}

export async function escalate(
  tx: Tx,
  input: {
    orderNo: string; reason: string; source: 'auto' | 'buyer' | 'agent'; now: Date; slaMinutes: number;
    actor: Actor; diagnosisId: string;
  },
): Promise<TicketRef> {
  const dueAt = new Date(input.now.getTime() + input.slaMinutes * 60_000);
  const inserted = await tx
    .insert(tickets)
    .values({
      number: newTicketNumber(input.now),
      orderNo: input.orderNo,
      reason: input.reason,
      source: input.source,
      diagnosisId: input.diagnosisId,
      openedAt: input.now,
      dueAt,
    })
    .onConflictDoNothing({ target: tickets.orderNo, where: sql`status = 'open'` })
    .returning();
  const ticket =
    inserted[0] ??
    (await tx.select().from(tickets).where(and(eq(tickets.orderNo, input.orderNo), eq(tickets.status, 'open'))))[0];
  if (!ticket) throw new Error(`no open ticket for ${input.orderNo} after escalation`);
  const reused = inserted.length === 0;
  await audit(tx, {
    at: input.now, actor: input.actor, action: reused ? 'ticket_reused' : 'ticket_opened', orderNo: input.orderNo,
    diagnosisId: input.diagnosisId, detail: { ticket: ticket.number, reason: input.reason, dueAt: ticket.dueAt.toISOString() },
  });
  return {
    number: ticket.number, dueAt: ticket.dueAt.toISOString(), status: ticket.status,
    openedAt: ticket.openedAt.toISOString(), reused,
  };
}

/** `T2611220-4KQ7`: the day it was opened (easy to say on the phone) plus a random part. */
function newTicketNumber(now: Date): string {
  const day = now.toISOString().slice(2, 10).replaceAll('-', '');
  const alphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(5));
  return `T${day}-${Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('')}`;
}

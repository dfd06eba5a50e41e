/**
 * Records SLA breaches, each exactly once: a conditional update writes the deadline into
 * `*_breached_at` only where it is still null, so two checks racing (two sweepers, a sweep and an
 * agent's reply) agree on one row and one audit line; the loser's update finds nothing to change.
 *
 * Run by the sweep (jobs/sweep.ts), not on read: a breach is recorded when it happens whether or
 * not anyone has the console open (a night without agents still gets its breaches, for the report),
 * and a page view stays a read. The time recorded is exact anyway: the stored deadline itself, not
 * the moment the check noticed. Every action that stops a clock (a reply, waiting, resolving) runs
 * the same check for its ticket first, so a late first reply records its breach even between sweeps.
 */
import { and, eq, isNull, lte, ne, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { tickets } from '../db/schema.ts';
import { audit } from '../actions/audit.ts';

export interface Breach {
  ticket: string;
  orderNo: string;
  clock: 'first_response' | 'resolution';
  dueAt: Date;
}

async function breach(tx: Tx, now: Date, clock: Breach['clock'], only: SQL | undefined): Promise<Breach[]> {
  const due = clock === 'first_response' ? tickets.firstResponseDueAt : tickets.resolutionDueAt;
  const mark = clock === 'first_response' ? tickets.firstResponseBreachedAt : tickets.resolutionBreachedAt;
  const rows = await tx.update(tickets)
    .set(clock === 'first_response' ? { firstResponseBreachedAt: sql`${due}` } : { resolutionBreachedAt: sql`${due}` })
    .where(and(
      isNull(mark), ne(tickets.status, 'resolved'), isNull(tickets.clockStoppedAt), lte(due, now),
      clock === 'first_response' ? isNull(tickets.firstRespondedAt) : undefined, only,
    ))
    .returning({ ticket: tickets.number, orderNo: tickets.orderNo, dueAt: due });
  for (const r of rows) {
    await audit(tx, {
      at: now, actor: { kind: 'system', id: 'sla' }, action: 'sla_breached', orderNo: r.orderNo,
      detail: { ticket: r.ticket, clock, dueAt: r.dueAt.toISOString() },
    });
  }
  return rows.map((r) => ({ ...r, clock }));
}

/** Breaches due by `now` of one ticket, inside the caller's transaction (its row locked already). */
export async function recordBreaches(tx: Tx, now: Date, ticketId: number): Promise<Breach[]> {
  const only = eq(tickets.id, ticketId);
  return [...await breach(tx, now, 'first_response', only), ...await breach(tx, now, 'resolution', only)];
}

/** Every breach due by `now`, across all tickets: the sweep's check. */
export async function checkBreaches(db: Db, now: Date): Promise<Breach[]> {
  return db.transaction(async (tx) => [...await breach(tx, now, 'first_response', undefined), ...await breach(tx, now, 'resolution', undefined)]);
}

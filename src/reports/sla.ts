/**
 * SLA met: of the tickets opened in the window, how many were resolved by their deadline. Read from
 * what tickets hold today: `opened_at`, `due_at` (the one resolution deadline, TICKET_SLA_MINUTES
 * after opening) and `resolved_at`. A ticket resolved by its deadline is met; resolved after it, or
 * still open past it (as of `asOf`), breached; still open inside it, running (not in the rate).
 *
 * Grouping: tickets carry no priority and no assignee yet (the SLA work, migration 0008, adds them).
 * Until then every ticket falls in the one group `null` ("no priority", "unassigned"); the day the
 * columns exist, SLA_GROUPS names them (`tickets.priority`, the assignee's name) and nothing else
 * here changes. When 0008 also stores per-ticket breaches, `breached` should read them rather than
 * recompute them from the deadline.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { inWindow, rate } from './window-sql.ts';

export type SlaGrouping = 'all' | 'priority' | 'agent';

/** What each grouping groups by: an SQL expression over `tickets t`. */
export const SLA_GROUPS: Record<SlaGrouping, SQL> = {
  all: sql`null::text`,
  priority: sql`null::text`, // -> t.priority once migration 0008 lands
  agent: sql`null::text`, // -> the assignee's name (join agents on t.assignee_id) once migration 0008 lands
};

export interface SlaRow {
  /** the group's value (a priority, an agent's name); null: tickets carry none yet */
  key: string | null;
  tickets: number;
  met: number;
  breached: number;
  /** open and still inside their deadline */
  running: number;
  /** met / (met + breached) */
  rate: number | null;
}

export async function slaMet(
  database: Database,
  window: { since: Date; until: Date },
  opts: { asOf: Date; by: SlaGrouping },
): Promise<SlaRow[]> {
  const asOf = opts.asOf.toISOString();
  const rows = await database.rows<{ key: string | null; tickets: number; met: number; breached: number; running: number }>(sql`
    select ${SLA_GROUPS[opts.by]} as key, count(*)::int as tickets,
           count(*) filter (where t.resolved_at is not null and t.resolved_at <= t.due_at)::int as met,
           count(*) filter (where (t.resolved_at is not null and t.resolved_at > t.due_at)
                               or (t.resolved_at is null and t.due_at < ${asOf}::timestamptz))::int as breached,
           count(*) filter (where t.resolved_at is null and t.due_at >= ${asOf}::timestamptz)::int as running
      from tickets t
     where ${inWindow('t.opened_at', window)}
     group by 1 order by 1 nulls first`);
  return rows.map((r) => {
    const met = Number(r.met);
    const breached = Number(r.breached);
    return { key: r.key, tickets: Number(r.tickets), met, breached, running: Number(r.running), rate: rate(met, met + breached) };
  });
}

/**
 * SLA met: of the tickets opened in the window, per clock (first response, resolution), how many
 * met their deadline, breached it, or are still running. Read from what the tickets store (migration
 * 0008, tickets/sla.ts), never recomputed from deadlines on read:
 *  - breached: the clock's `*_breached_at` is set (written once, by tickets/breaches.ts, when the
 *    deadline passed with the clock running: the sweep, or an action that stopped the clock late);
 *  - met: the clock stopped with no breach recorded. The first-response clock stops at the first
 *    reply (`first_responded_at`) or when the ticket is resolved without one; the resolution clock
 *    when the ticket is resolved;
 *  - running: neither: still open, or waiting on the buyer (clocks paused), or reopened. A ticket past
 *    its deadline whose breach the sweep has not recorded yet is running too, until it is.
 * The rate is met / (met + breached); running tickets are not in it.
 *
 * Grouping: all tickets, per priority (`tickets.priority`), or per assignee (the agent's name; key
 * null: unassigned).
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { inWindow, rate } from './window-sql.ts';

export type SlaGrouping = 'all' | 'priority' | 'agent';

/** What each grouping groups by: an SQL expression over `tickets t` left-joined to `agents a` (the assignee). */
export const SLA_GROUPS: Record<SlaGrouping, { key: SQL; by: SQL }> = {
  all: { key: sql`null::text`, by: sql`null::text` },
  priority: { key: sql`t.priority`, by: sql`t.priority` },
  // grouped by the agent, named by their name (two agents of one name stay two rows)
  agent: { key: sql`a.name`, by: sql`a.id, a.name` },
};

export const SLA_CLOCKS = ['firstResponse', 'resolution'] as const;
export type SlaClock = (typeof SLA_CLOCKS)[number];

export interface SlaCounts {
  /** stopped with no breach recorded */
  met: number;
  /** a breach recorded */
  breached: number;
  /** still running or paused: neither stopped nor breached */
  running: number;
  /** met / (met + breached) */
  rate: number | null;
}

export interface SlaRow {
  /** the group's value: a priority, an agent's name; null: all tickets, or unassigned */
  key: string | null;
  tickets: number;
  firstResponse: SlaCounts;
  resolution: SlaCounts;
}

export const emptySlaRow = (key: string | null = null): SlaRow => ({
  key, tickets: 0,
  firstResponse: { met: 0, breached: 0, running: 0, rate: null },
  resolution: { met: 0, breached: 0, running: 0, rate: null },
});

interface Counted {
  key: string | null;
  tickets: number;
  fr_met: number; fr_breached: number; fr_running: number;
  res_met: number; res_breached: number; res_running: number;
}

export async function slaMet(database: Database, window: { since: Date; until: Date }, opts: { by: SlaGrouping }): Promise<SlaRow[]> {
  const g = SLA_GROUPS[opts.by];
  const frStopped = sql`(t.first_responded_at is not null or t.status = 'resolved')`;
  const resStopped = sql`(t.status = 'resolved')`;
  const rows = await database.rows<Counted>(sql`
    select ${g.key} as key, count(*)::int as tickets,
           count(*) filter (where t.first_response_breached_at is not null)::int as fr_breached,
           count(*) filter (where t.first_response_breached_at is null and ${frStopped})::int as fr_met,
           count(*) filter (where t.first_response_breached_at is null and not ${frStopped})::int as fr_running,
           count(*) filter (where t.resolution_breached_at is not null)::int as res_breached,
           count(*) filter (where t.resolution_breached_at is null and ${resStopped})::int as res_met,
           count(*) filter (where t.resolution_breached_at is null and not ${resStopped})::int as res_running
      from tickets t left join agents a on a.id = t.assignee_id
     where ${inWindow('t.opened_at', window)}
     group by ${g.by} order by 1 nulls last`);
  const counts = (met: unknown, breached: unknown, running: unknown): SlaCounts => {
    const m = Number(met);
    const b = Number(breached);
    return { met: m, breached: b, running: Number(running), rate: rate(m, m + b) };
  };
  return rows.map((r) => ({
    key: r.key, tickets: Number(r.tickets),
    firstResponse: counts(r.fr_met, r.fr_breached, r.fr_running),
    resolution: counts(r.res_met, r.res_breached, r.res_running),
  }));
}

/**
 * The outcome report: what order-doctor did over a window, in the terms a shop's operator asks
 * about. How many cases closed without an agent (self-service), how long a paid buyer waited for
 * a key order-doctor issued (pay to key), what the tickets and the sweep look like. Read-only,
 * set-based queries (one per section). `order-doctor report` prints it; the agents' console will
 * show it too.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { lastSweepRun } from '../jobs/run-record.ts';

export interface OutcomeReport {
  since: string;
  until: string;
  diagnoses: {
    total: number;
    /** distinct orders diagnosed */
    orders: number;
    byActor: Record<string, number>;
    byVerdict: Record<string, number>;
    byAction: Record<string, number>;
  };
  /** orders a buyer checked themselves, and how many of them needed no agent (no ticket opened) */
  selfService: { ordersChecked: number; closedWithoutAgent: number; rate: number | null };
  /** keys order-doctor issued (reissue, restore), by who asked, and the buyer's wait from payment */
  keys: {
    issued: number;
    orders: number;
    byActor: Record<string, number>;
    payToKeySeconds: { p50: number; p90: number; max: number } | null;
  };
  tickets: { opened: number; openNow: number; overdueNow: number };
  sweep: {
    runs: number;
    lastRun: { startedAt: string; picked: number; durationMs: number | null; errors: Record<string, number> } | null;
  };
}

export async function outcomeReport(database: Database, window: { since: Date; until: Date }): Promise<OutcomeReport> {
  const since = window.since.toISOString();
  const until = window.until.toISOString();
  // `column` is always one of the literal names below, never input
  const inWindow = (column: string) => sql`${sql.raw(column)} >= ${since}::timestamptz and ${sql.raw(column)} < ${until}::timestamptz`;
  const count = (rows: { key: string; n: number | string }[]) =>
    Object.fromEntries(rows.filter((r) => r.key !== null).map((r) => [r.key, Number(r.n)]));

  const [totals, byActor, byVerdict, byAction, self, keys, keysByActor, tickets, sweepRuns, lastRun] = await Promise.all([
    database.rows<{ total: number; orders: number }>(sql`
      select count(*)::int as total, count(distinct order_no)::int as orders from diagnoses where ${inWindow('started_at')}`),
    database.rows<{ key: string; n: number }>(sql`
      select actor_kind as key, count(*)::int as n from diagnoses where ${inWindow('started_at')} group by 1 order by 2 desc`),
    database.rows<{ key: string; n: number }>(sql`
      select verdict as key, count(*)::int as n from diagnoses where ${inWindow('started_at')} group by 1 order by 2 desc`),
    database.rows<{ key: string; n: number }>(sql`
      select action as key, count(*)::int as n from diagnoses where ${inWindow('started_at')} group by 1 order by 2 desc`),
    // an order counts as closed without an agent when no ticket was opened for it in the window
    database.rows<{ checked: number; closed: number }>(sql`
      with checked as (
        select distinct order_no from diagnoses where actor_kind = 'customer' and ${inWindow('started_at')}
      )
      select count(*)::int as checked,
             count(*) filter (where not exists (
               select 1 from tickets t where t.order_no = checked.order_no and ${inWindow('t.opened_at')}))::int as closed
        from checked`),
    // per order: from its payment (as the verified evidence said) to the first key order-doctor
    // issued it in the window. Read from order-doctor's own records (the audit row of each delivery
    // and its diagnosis), so it counts alike whatever the shop is.
    database.rows<{ keys: number; orders: number; p50: number | null; p90: number | null; max: number | null }>(sql`
      with ours as (
        select a.order_no, a.at, coalesce((a.detail->>'count')::int, 0) as n, a.diagnosis_id from audit_log a
         where a.action in ('keys_issued', 'keys_restored') and ${inWindow('a.at')}
      ), waits as (
        select extract(epoch from min(ours.at) - min((d.facts->>'paidAt')::timestamptz))::float8 as s
          from ours join diagnoses d on d.id = ours.diagnosis_id
         where d.facts ? 'paidAt'
         group by ours.order_no
      )
      select (select coalesce(sum(n), 0) from ours)::int as keys, (select count(distinct order_no) from ours)::int as orders,
             percentile_cont(0.5) within group (order by s) as p50,
             percentile_cont(0.9) within group (order by s) as p90,
             max(s) as max
        from waits`),
    database.rows<{ key: string; n: number }>(sql`
      select a.actor_kind as key, coalesce(sum((a.detail->>'count')::int), 0)::int as n
        from audit_log a
       where a.action in ('keys_issued', 'keys_restored') and ${inWindow('a.at')} group by 1 order by 2 desc`),
    database.rows<{ opened: number; open_now: number; overdue_now: number }>(sql`
      select count(*) filter (where ${inWindow('opened_at')})::int as opened,
             count(*) filter (where status <> 'resolved')::int as open_now,
             -- a ticket waiting on the buyer has its clocks stopped: not overdue while it waits
             count(*) filter (where status in ('open', 'reopened') and due_at < ${until}::timestamptz)::int as overdue_now
        from tickets`),
    database.rows<{ n: number }>(sql`select count(*)::int as n from sweep_runs where not dry_run and ${inWindow('started_at')}`),
    lastSweepRun(database),
  ]);

  const s = self[0]!;
  const k = keys[0]!;
  const t = tickets[0]!;
  return {
    since,
    until,
    diagnoses: {
      total: Number(totals[0]!.total), orders: Number(totals[0]!.orders),
      byActor: count(byActor), byVerdict: count(byVerdict), byAction: count(byAction),
    },
    selfService: {
      ordersChecked: Number(s.checked),
      closedWithoutAgent: Number(s.closed),
      rate: Number(s.checked) > 0 ? Number(s.closed) / Number(s.checked) : null,
    },
    keys: {
      issued: Number(k.keys),
      orders: Number(k.orders),
      byActor: count(keysByActor),
      payToKeySeconds: k.p50 === null ? null : { p50: Math.round(Number(k.p50)), p90: Math.round(Number(k.p90)), max: Math.round(Number(k.max)) },
    },
    tickets: { opened: Number(t.opened), openNow: Number(t.open_now), overdueNow: Number(t.overdue_now) },
    sweep: {
      runs: Number(sweepRuns[0]!.n),
      lastRun: lastRun
        ? { startedAt: lastRun.startedAt.toISOString(), picked: lastRun.picked, durationMs: lastRun.durationMs, errors: lastRun.errors as Record<string, number> }
        : null,
    },
  };
}

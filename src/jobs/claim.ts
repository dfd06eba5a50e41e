/**
 * Claims: a sweeper takes a batch of due queue rows under a lease. `FOR UPDATE SKIP LOCKED` lets
 * any number of sweepers claim at once without waiting on or taking each other's rows; the lease
 * keeps a claimed row away from the others until it is released, and a sweeper that dies simply
 * lets its leases run out, after which the rows are claimed again.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import type { NextStep } from './schedule.ts';

/**
 * An OUT_OF_STOCK row is only due once its product has stock again (the remediation queue). Written
 * as a scalar subquery so that it runs per such row on the available-stock index (an EXISTS here
 * is turned into a hash of every order whose product has stock).
 */
export const stockAllowsRetry = (q: SQL) => sql`(${q}.reason <> 'out_of_stock' or (
  select true from stock_keys s
   where s.sku = (select o.sku from orders o where o.order_no = ${q}.order_no) and s.status = 'available'
   order by s.added_at, s.id limit 1) is not null)`;

export interface Claim {
  orderNo: string;
  reason: string;
  /** checks already done */
  attempts: number;
  /** the order's payment channel (null: a legacy-only order, no gateway to ask) */
  channel: string | null;
  /** the order's creation, or for a legacy-only order when it was queued */
  createdAt: Date;
}

export async function claimBatch(
  database: Database,
  input: { sweeperId: string; now: Date; leaseMs: number; batch: number },
): Promise<Claim[]> {
  const now = input.now.toISOString();
  const until = new Date(input.now.getTime() + input.leaseMs).toISOString();
  const rows = await database.rows<{ order_no: string; reason: string; attempts: number; channel: string | null; created_at: string | Date }>(sql`
    with picked as (
      select q.order_no from sweep_queue q
       where q.next_at <= ${now}::timestamptz
         and (q.lease_until is null or q.lease_until < ${now}::timestamptz)
         and ${stockAllowsRetry(sql`q`)}
       order by q.next_at
       limit ${input.batch}
       for update of q skip locked
    ), claimed as (
      update sweep_queue s set lease_until = ${until}::timestamptz, leased_by = ${input.sweeperId}
        from picked where s.order_no = picked.order_no
      returning s.order_no, s.reason, s.attempts, s.enqueued_at
    )
    select c.order_no, c.reason, c.attempts, o.channel, coalesce(o.created_at, c.enqueued_at) as created_at
      from claimed c left join orders o on o.order_no = c.order_no`);
  return rows.map((r) => ({
    orderNo: r.order_no, reason: r.reason, attempts: Number(r.attempts), channel: r.channel, createdAt: new Date(r.created_at),
  }));
}

export interface Release {
  orderNo: string;
  step: NextStep;
  verdict: string;
}

/**
 * Ends claims after their diagnoses, many in two statements: closes each row (remembering the order
 * as done, so selection leaves it alone) or reschedules it. Only rows this sweeper still holds:
 * if a lease ran out and another sweeper took the row, that one decides.
 */
export async function releaseClaims(
  database: Database,
  input: { sweeperId: string; now: Date; releases: Release[] },
): Promise<void> {
  const done = input.releases.filter((r) => r.step.kind === 'done').map((r) => ({ order_no: r.orderNo, verdict: r.verdict }));
  const later = input.releases.flatMap((r) =>
    r.step.kind === 'done' ? [] : [{ order_no: r.orderNo, verdict: r.verdict, next_at: r.step.at.toISOString() }]);
  // rows travel as one JSON parameter: the same on postgres.js and PGlite, whatever the batch size
  await Promise.all([
    done.length && database.rows(sql`
      with gone as (
        delete from sweep_queue q
         using jsonb_to_recordset(${JSON.stringify(done)}::jsonb) as r(order_no text, verdict text)
         where q.order_no = r.order_no and q.leased_by = ${input.sweeperId}
        returning q.order_no, r.verdict
      )
      insert into sweep_done (order_no, verdict, done_at)
      select order_no, verdict, ${input.now.toISOString()}::timestamptz from gone
      on conflict (order_no) do update set verdict = excluded.verdict, done_at = excluded.done_at`),
    later.length && database.rows(sql`
      update sweep_queue q
         set attempts = q.attempts + 1, next_at = r.next_at, last_verdict = r.verdict, lease_until = null, leased_by = null
        from jsonb_to_recordset(${JSON.stringify(later)}::jsonb) as r(order_no text, verdict text, next_at timestamptz)
       where q.order_no = r.order_no and q.leased_by = ${input.sweeperId}`),
  ]);
}

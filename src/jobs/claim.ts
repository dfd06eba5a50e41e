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
const stockAllowsRetry = (q: SQL) => sql`(${q}.reason <> 'out_of_stock' or (
  select true from stock_keys s
   where s.sku = (select o.sku from orders o where o.order_no = ${q}.order_no) and s.status = 'available'
   order by s.added_at, s.id limit 1) is not null)`;

/**
 * A queue row a sweep may take at `now` (an ISO timestamp): still open, due, not under another
 * sweeper's live lease, and (if out of stock) with stock back. Claims, the dry-run preview and the
 * progress bar's total all count the same rows.
 */
export const dueRow = (q: SQL, now: string) => sql`${q}.done_at is null and ${q}.next_at <= ${now}::timestamptz
  and (${q}.lease_until is null or ${q}.lease_until < ${now}::timestamptz)
  and ${stockAllowsRetry(q)}`;

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
       where ${dueRow(sql`q`, now)}
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
 * Ends claims after their diagnoses, many in one statement: closes each row (marked done, so
 * selection leaves the order alone) or reschedules it. Only rows this sweeper still holds: if a
 * lease ran out and another sweeper took the row, that one decides.
 */
export async function releaseClaims(
  database: Database,
  input: { sweeperId: string; now: Date; releases: Release[] },
): Promise<void> {
  if (input.releases.length === 0) return;
  // rows travel as one JSON parameter: the same on postgres.js and PGlite, whatever the batch size
  const rows = input.releases.map((r) => ({
    order_no: r.orderNo, verdict: r.verdict, next_at: r.step.kind === 'done' ? null : r.step.at.toISOString(),
  }));
  await database.rows(sql`
    update sweep_queue q
       set attempts = q.attempts + 1, last_verdict = r.verdict, lease_until = null, leased_by = null,
           next_at = coalesce(r.next_at, q.next_at),
           done_at = case when r.next_at is null then ${input.now.toISOString()}::timestamptz end
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(order_no text, verdict text, next_at timestamptz)
     where q.order_no = r.order_no and q.leased_by = ${input.sweeperId}`);
}

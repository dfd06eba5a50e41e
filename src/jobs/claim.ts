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
 * A queue row a sweep may take at `now` (an ISO timestamp): still open, due, not under another
 * sweeper's live lease, and, if it waits for stock (the remediation queue), its product among those
 * the shop says have stock again (`restocked`, asked once per run: see restockedSkus). Claims, the
 * dry-run preview and the progress bar's total all count the same rows.
 */
export const dueRow = (q: SQL, now: string, restocked: string[]) => sql`${q}.done_at is null and ${q}.next_at <= ${now}::timestamptz
  and (${q}.lease_until is null or ${q}.lease_until < ${now}::timestamptz)
  and (${q}.reason <> 'out_of_stock' or ${q}.sku = any(select jsonb_array_elements_text(${JSON.stringify(restocked)}::jsonb)))`;

/**
 * The products of waiting out-of-stock orders that have stock again, by the shop's own count: one
 * question per run, not one per queue row (the shop's stock may live in another database).
 */
export async function restockedSkus(svc: { database: Database; shop: { inStock(skus: string[]): Promise<string[]> } }): Promise<string[]> {
  const waiting = await svc.database.rows<{ sku: string }>(sql`
    select distinct sku from sweep_queue where reason = 'out_of_stock' and done_at is null and sku is not null`);
  return waiting.length ? svc.shop.inStock(waiting.map((r) => r.sku)) : [];
}

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
  input: { sweeperId: string; now: Date; leaseMs: number; batch: number; restocked: string[] },
): Promise<Claim[]> {
  const now = input.now.toISOString();
  const until = new Date(input.now.getTime() + input.leaseMs).toISOString();
  const rows = await database.rows<{ order_no: string; reason: string; attempts: number; channel: string | null; created_at: string | Date }>(sql`
    with picked as (
      select q.order_no from sweep_queue q
       where ${dueRow(sql`q`, now, input.restocked)}
       order by q.next_at
       limit ${input.batch}
       for update of q skip locked
    )
    update sweep_queue s set lease_until = ${until}::timestamptz, leased_by = ${input.sweeperId}
      from picked where s.order_no = picked.order_no
    returning s.order_no, s.reason, s.attempts, s.channel, coalesce(s.order_created_at, s.enqueued_at) as created_at`);
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

/**
 * Lets go of every open row `sweeperId` still holds: claimed but never diagnosed (the run was
 * stopped, or a worker failed). Their schedule is left as it was, so the next sweep takes them at
 * once instead of waiting for the lease to run out. Returns how many rows it let go.
 */
export async function letGoClaims(database: Database, input: { sweeperId: string }): Promise<number> {
  const rows = await database.rows(sql`
    update sweep_queue set lease_until = null, leased_by = null
     where leased_by = ${input.sweeperId} and done_at is null
    returning order_no`);
  return rows.length;
}

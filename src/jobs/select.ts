/**
 * Selection: finds stuck orders and puts them on the sweep queue, set-based and bounded.
 *
 * Candidates (one INSERT ... SELECT, the reason telling the kinds apart):
 * - `undelivered`: pending or paid, fewer valid keys than ordered, past the delivery window
 *   (counted from payment, or from creation when we never heard of one: a lost notify);
 * - `supplier_overdue`: the same for a supplier product (its fulfilment is past the window);
 * - `closed_maybe_paid`: closed by the payment timeout, but a payment may still have landed.
 * Only orders created within the horizon (a payment can still turn up) and not already in the
 * queue (waiting, or closed by the sweep before). Deferred and OUT_OF_STOCK orders are queued by
 * the diagnosis itself (defer).
 * Times are compared with the injected clock, never SQL now(): scenarios fix the clock.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { dueRow } from './claim.ts';

export interface SelectInput {
  now: Date;
  horizonMs: number;
  /** at most this many orders queued per call */
  limit: number;
}

const CANDIDATES = (now: string, horizonMs: number) => sql`
  select o.order_no,
         case when o.status = 'closed' then 'closed_maybe_paid'
              when p.fulfilment = 'supplier' then 'supplier_overdue'
              else 'undelivered' end as reason,
         o.created_at
    from orders o
    join products p on p.sku = o.sku
   where o.status in ('pending', 'paid', 'closed')
     and o.created_at > ${now}::timestamptz - ${horizonMs} * interval '1 millisecond'
     and o.created_at <= ${now}::timestamptz
     and coalesce(o.paid_at, o.created_at) + p.delivery_window_minutes * interval '1 minute' <= ${now}::timestamptz
     and (select count(*) from issued_keys k where k.order_id = o.id and k.status = 'delivered') < o.quantity
     -- queued, or closed by the sweep before (its row stays, done): not a new candidate
     and not exists (select 1 from sweep_queue q where q.order_no = o.order_no)`;

/** Queues up to `limit` new candidates; returns how many were queued. Safe to run from many sweepers. */
export async function queueCandidates(database: Database, input: SelectInput): Promise<number> {
  const now = input.now.toISOString();
  const rows = await database.rows<{ order_no: string }>(sql`
    insert into sweep_queue (order_no, reason, attempts, next_at, enqueued_at)
    select c.order_no, c.reason, 0, ${now}::timestamptz, ${now}::timestamptz
      from (${CANDIDATES(now, input.horizonMs)} order by o.created_at limit ${input.limit}) c
    on conflict (order_no) do nothing
    returning order_no`);
  return rows.length;
}

/**
 * How many orders a sweep starting now would look at (due queue rows and new candidates): the
 * total for the progress bar. An estimate: other sweepers may take some of them meanwhile.
 */
export async function countDue(database: Database, input: Omit<SelectInput, 'limit'>): Promise<number> {
  const now = input.now.toISOString();
  const [row] = await database.rows<{ n: number }>(sql`
    select (select count(*) from (${CANDIDATES(now, input.horizonMs)}) c)
         + (select count(*) from sweep_queue q where ${dueRow(sql`q`, now)}) as n`);
  return Number(row?.n ?? 0);
}

export interface Candidate {
  orderNo: string;
  reason: string;
  attempts: number;
  channel: string | null;
  createdAt: Date;
}

/**
 * Dry run: what a sweep would pick now (new candidates, then due queue rows), without queueing,
 * claiming or changing anything.
 */
export async function previewCandidates(database: Database, input: SelectInput): Promise<Candidate[]> {
  const now = input.now.toISOString();
  const rows = await database.rows<{ order_no: string; reason: string; attempts: number; channel: string | null; created_at: string | Date }>(sql`
    select c.order_no, c.reason, 0 as attempts, o.channel, c.created_at
      from (${CANDIDATES(now, input.horizonMs)} order by o.created_at limit ${input.limit}) c
      join orders o on o.order_no = c.order_no
    union all
    (select q.order_no, q.reason, q.attempts, o.channel, coalesce(o.created_at, q.enqueued_at)
       from sweep_queue q left join orders o on o.order_no = q.order_no
      where ${dueRow(sql`q`, now)}
      order by q.next_at limit ${input.limit})`);
  return rows.slice(0, input.limit).map((r) => ({
    orderNo: r.order_no, reason: r.reason, attempts: Number(r.attempts), channel: r.channel, createdAt: new Date(r.created_at),
  }));
}

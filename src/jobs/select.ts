/**
 * Selection: asks the shop for its stuck orders (shops/port.ts findStuck: each shop knows what
 * stuck looks like in its own records) and puts them on the sweep queue, bounded. Deferred and
 * OUT_OF_STOCK orders are queued by the diagnosis itself (defer). An order already queued, or
 * closed by the sweep before (its row stays, done), is left alone: the insert meets its row and
 * does nothing, also when another sweeper's selection raced this one.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import type { Services } from '../services.ts';
import type { StuckOrder } from '../shops/port.ts';
import { dueRow } from './claim.ts';

export interface SelectInput {
  now: Date;
  horizonMs: number;
  /** at most this many orders queued per call */
  limit: number;
}

/** Queues up to `limit` new candidates; returns how many were queued. Safe to run from many sweepers. */
export async function queueCandidates(svc: Pick<Services, 'database' | 'shop'>, input: SelectInput): Promise<number> {
  const batch = await svc.shop.findStuck(input);
  const queued = await enqueue(svc.database, input.now, batch.orders);
  await batch.done();
  return queued;
}

/** Inserts candidates as new queue rows, one statement (rows travel as one JSON parameter). */
export async function enqueue(database: Database, now: Date, stuck: StuckOrder[]): Promise<number> {
  if (stuck.length === 0) return 0;
  const rows = stuck.map((s) => ({
    order_no: s.orderNo, reason: s.reason, channel: s.channel, sku: s.sku,
    created_at: s.createdAt.toISOString(), next_at: s.dueAt.toISOString(),
  }));
  const queued = await database.rows<{ order_no: string }>(sql`
    insert into sweep_queue (order_no, reason, attempts, next_at, enqueued_at, channel, sku, order_created_at)
    select r.order_no, r.reason, 0, r.next_at, ${now.toISOString()}::timestamptz, r.channel, r.sku, r.created_at
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as r(order_no text, reason text, channel text, sku text, created_at timestamptz, next_at timestamptz)
    on conflict (order_no) do nothing
    returning order_no`);
  return queued.length;
}

/**
 * How many orders a sweep starting now would look at (due queue rows and new candidates): the
 * total for the progress bar. An estimate: other sweepers may take some of them meanwhile.
 */
export async function countDue(svc: Pick<Services, 'database' | 'shop'>, input: Omit<SelectInput, 'limit'> & { restocked: string[] }): Promise<number> {
  const now = input.now.toISOString();
  const [[row], fresh] = await Promise.all([
    svc.database.rows<{ n: number }>(sql`select count(*) as n from sweep_queue q where ${dueRow(sql`q`, now, input.restocked)}`),
    svc.shop.countStuck({ now: input.now, horizonMs: input.horizonMs, dryRun: true }),
  ]);
  return Number(row?.n ?? 0) + fresh;
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
export async function previewCandidates(svc: Pick<Services, 'database' | 'shop'>, input: SelectInput & { restocked: string[] }): Promise<Candidate[]> {
  const now = input.now.toISOString();
  const fresh = (await svc.shop.findStuck({ ...input, dryRun: true })).orders.filter((s) => s.dueAt <= input.now);
  const due = await svc.database.rows<{ order_no: string; reason: string; attempts: number; channel: string | null; created_at: string | Date }>(sql`
    select q.order_no, q.reason, q.attempts, q.channel, coalesce(q.order_created_at, q.enqueued_at) as created_at
      from sweep_queue q
     where ${dueRow(sql`q`, now, input.restocked)}
     order by q.next_at limit ${input.limit}`);
  return [
    ...fresh.map((s) => ({ orderNo: s.orderNo, reason: s.reason, attempts: 0, channel: s.channel, createdAt: s.createdAt })),
    ...due.map((r) => ({ orderNo: r.order_no, reason: r.reason, attempts: Number(r.attempts), channel: r.channel, createdAt: new Date(r.created_at) })),
  ].slice(0, input.limit);
}

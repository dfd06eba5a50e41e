/**
 * The built-in store's stuck orders, set-based and bounded:
 * - `undelivered`: pending or paid, fewer valid keys than ordered, past the delivery window
 *   (counted from payment, or from creation when we never heard of one: a lost notify);
 * - `supplier_overdue`: the same for a supplier product (its fulfilment is past the window);
 * - `closed_maybe_paid`: closed by the payment timeout, but a payment may still have landed.
 * Orders paid through a method order-doctor cannot query are candidates only when recorded as
 * paid: the sweep would otherwise open a ticket for every abandoned cart.
 * Only orders created within the horizon (a payment can still turn up) and not already in the
 * sweep queue (waiting, or closed by the sweep before): the store shares order-doctor's database,
 * so it can leave those out in the same statement instead of reading them again on every run.
 * Times are compared with the injected clock, never SQL now(): scenarios fix the clock.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import type { Channel } from '../../domain/verdicts.ts';
import type { StuckBatch, StuckQuery, StuckReason } from '../port.ts';

const CANDIDATES = (now: string, horizonMs: number) => sql`
  select o.order_no,
         case when o.status = 'closed' then 'closed_maybe_paid'
              when p.fulfilment = 'supplier' then 'supplier_overdue'
              else 'undelivered' end as reason,
         case when o.channel in ('alipay', 'wechat', 'epay') then o.channel end as channel, o.sku, o.created_at
    from orders o
    join products p on p.sku = o.sku
   where o.status in ('pending', 'paid', 'closed')
     -- a gateway we cannot ask: only an order the shop records as paid is a case (not every abandoned cart)
     and (o.channel in ('alipay', 'wechat', 'epay') or o.status = 'paid')
     and o.created_at > ${now}::timestamptz - ${horizonMs} * interval '1 millisecond'
     and o.created_at <= ${now}::timestamptz
     and coalesce(o.paid_at, o.created_at) + p.delivery_window_minutes * interval '1 minute' <= ${now}::timestamptz
     and (select count(*) from issued_keys k where k.order_id = o.id and k.status = 'delivered') < o.quantity
     -- queued, or closed by the sweep before (its row stays, done): not a new candidate
     and not exists (select 1 from sweep_queue q where q.order_no = o.order_no)`;

export async function findBuiltinStuck(database: Database, q: StuckQuery): Promise<StuckBatch> {
  const now = q.now.toISOString();
  const rows = await database.rows<{ order_no: string; reason: StuckReason; channel: Channel; sku: string; created_at: string | Date }>(sql`
    ${CANDIDATES(now, q.horizonMs)} order by o.created_at limit ${q.limit}`);
  const orders = rows.map((r) => ({
    orderNo: r.order_no, reason: r.reason, channel: r.channel, sku: r.sku, createdAt: new Date(r.created_at), dueAt: q.now,
  }));
  // no cursor: the queue itself tells which orders were handed over already
  return { orders, done: async () => {} };
}

export async function countBuiltinStuck(database: Database, q: Omit<StuckQuery, 'limit'>): Promise<number> {
  const [row] = await database.rows<{ n: number }>(sql`select count(*) as n from (${CANDIDATES(q.now.toISOString(), q.horizonMs)}) c`);
  return Number(row?.n ?? 0);
}

/** Products with at least one available key (on the available-stock index, one probe each). */
export async function builtinInStock(database: Database, skus: string[]): Promise<string[]> {
  if (skus.length === 0) return [];
  const rows = await database.rows<{ sku: string }>(sql`
    select s.sku from jsonb_array_elements_text(${JSON.stringify(skus)}::jsonb) as s(sku)
     where (select true from stock_keys k where k.sku = s.sku and k.status = 'available'
             order by k.added_at, k.id limit 1) is not null`);
  return rows.map((r) => r.sku);
}

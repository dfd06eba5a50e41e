/**
 * Callback failures per gateway: payments the gateway confirmed that the shop's records missed.
 * Read from order-doctor's own diagnoses, so it holds alike for the built-in store and a connected
 * shop: a diagnosis whose verified payment evidence says `paid` (decide() sets `paymentState` only
 * from evidence it trusts: a signed answer, or EPay V1 under EPAY_V1_TRUST=accept) while the order,
 * as the shop presented it at that moment, was still `pending` or `closed`: the gateway's
 * notification never arrived (or never took). Typically PAID_NOT_DELIVERED, but AMOUNT_MISMATCH,
 * OUT_OF_STOCK, DELIVERY_* and the rest of the paid verdicts count too: the callback question is
 * the shop's status, not what happened next.
 *
 * Per gateway (channel), over the orders diagnosed in the window with a gateway-confirmed payment:
 * how many the shop had not marked paid at any of those diagnoses. Orders no one diagnosed are not
 * seen (a shop whose callbacks all arrive and whose buyers never ask is not in the denominator).
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { inWindow, rate } from './window-sql.ts';

export interface CallbackFailures {
  channel: string;
  /** distinct orders whose gateway confirmed payment at a diagnosis in the window */
  confirmed: number;
  /** of those, the orders the shop's records showed unpaid (pending or closed) when diagnosed */
  missed: number;
  rate: number | null;
}

/** the order statuses that mean the shop never learnt of the payment */
export const NOT_MARKED_PAID = ['pending', 'closed'] as const;

export async function callbackFailures(database: Database, window: { since: Date; until: Date }): Promise<CallbackFailures[]> {
  const rows = await database.rows<{ channel: string; confirmed: number; missed: number }>(sql`
    with seen as (
      select d.facts->>'channel' as channel, d.order_no,
             bool_or(coalesce(d.findings->'order'->>'status', '') in ('pending', 'closed')) as missed
        from diagnoses d
       where d.facts->>'paymentState' = 'paid' and d.facts->>'channel' is not null and ${inWindow('d.started_at', window)}
       group by 1, 2
    )
    select channel, count(*)::int as confirmed, count(*) filter (where missed)::int as missed
      from seen group by 1 order by 1`);
  return rows.map((r) => ({ channel: r.channel, confirmed: Number(r.confirmed), missed: Number(r.missed), rate: rate(Number(r.missed), Number(r.confirmed)) }));
}

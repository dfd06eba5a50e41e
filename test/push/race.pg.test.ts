/**
 * Pushes racing on real Postgres (the shop's workers, or its retries overlapping the first try):
 * never a 500, one order, one key holder, one audit row per real change.
 */
import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { requires } from '../support/requires.ts';
import { anOrder, pushSuite } from './support.ts';

const PG = await requires('postgres');

describe.skipIf(!PG)('racing pushes on real Postgres', () => {
  const s = pushSuite({}, { postgres: true });

  it('ten first pushes of one order at once: all 200 with the same answer, one order, one "created"', async () => {
    // each signed at its own second: ten different requests, none a replay of another
    const sent = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      s.client.send(s.client.sign('PUT', '/api/v1/shop/orders/R202611220001', anOrder({ status: 'paid' }), -i))));
    expect(sent.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(sent.map((r) => JSON.stringify(r.json))).size).toBe(1);
    const [n] = await s.svc.database.rows<{ orders: number; created: number }>(sql`select
      (select count(*)::int from orders where order_no = 'R202611220001') as orders,
      (select count(*)::int from audit_log where action = 'order_pushed' and order_no = 'R202611220001' and detail->'changed' ? 'created') as created`);
    expect(n).toEqual({ orders: 1, created: 1 });
  });

  it('one key pushed as delivered to two orders at once: one holds it, the other is refused with 409, never a 500', async () => {
    const sent = await Promise.all(['R202611220002', 'R202611220003'].map((no, i) =>
      s.client.send(s.client.sign('PUT', `/api/v1/shop/orders/${no}`, anOrder({ status: 'delivered', keys: ['RACE-KEY-0001'] }), -i))));
    expect(sent.map((r) => r.status).sort()).toEqual([200, 409]);
    const [n] = await s.svc.database.rows<{ holders: number }>(sql`
      select count(*)::int as holders from issued_keys where status = 'delivered' and order_id in
        (select id from orders where order_no in ('R202611220002', 'R202611220003'))`);
    expect(n!.holders).toBe(1);
  });
});

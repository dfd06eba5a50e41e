/**
 * The shop port's search by buyer contact, built-in store: the orders placed with an email (any
 * case, surrounding spaces ignored), newest first, at most the limit asked; on the lower(contact)
 * expression index, which the plan shows it uses. PGlite, or Postgres with DATABASE_URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { paidOrdersWorld, servicesWithWorld } from '../support/services.ts';

describe('built-in store: find orders by buyer contact', () => {
  let tdb: TestDatabase;
  let svc: Services;
  beforeAll(async () => {
    tdb = await testDatabase();
    const world = paidOrdersWorld({ orders: 4, stock: 0 });
    const contacts = ['Buyer@Example.com', 'buyer@example.com', 'other@example.com', undefined];
    world.orders.forEach((o, i) => Object.assign(o, { createdAt: `2026-11-22T09:4${i}:00+08:00` }, contacts[i] ? { contact: contacts[i] } : {}));
    svc = await servicesWithWorld(tdb.database, world);
  });
  afterAll(async () => {
    await svc?.close();
    await tdb.drop();
  });

  it('matches without case, newest first, within the limit', async () => {
    const hits = await svc.shop.findByContact('  BUYER@example.COM ', 10);
    expect(hits.map((h) => [h.order.orderNo, h.order.contact, h.productTitle])).toEqual([
      ['K2026112200002', 'buyer@example.com', 'Steam 钱包充值卡 100元'],
      ['K2026112200001', 'Buyer@Example.com', 'Steam 钱包充值卡 100元'],
    ]);
    expect(await svc.shop.findByContact('buyer@example.com', 1)).toHaveLength(1);
    expect(await svc.shop.findByContact('nobody@example.com', 10)).toEqual([]);
    expect(await svc.shop.findByContact('', 10)).toEqual([]);
  });

  it('the lookup can use the lower(contact) index', async () => {
    await svc.database.db.execute(sql`set enable_seqscan = off`);
    try {
      const plan = await svc.database.db.execute(sql`explain select id from orders where lower(contact) = 'buyer@example.com'`);
      const rows = (Array.isArray(plan) ? plan : (plan as { rows: unknown[] }).rows) as Record<string, string>[];
      expect(rows.map((r) => Object.values(r)[0]).join('\n')).toContain('orders_contact_idx');
    } finally {
      await svc.database.db.execute(sql`reset enable_seqscan`);
    }
  });
});

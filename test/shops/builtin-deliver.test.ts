/**
 * The built-in store's reissue: its stock claim is one statement, all or none: an order short of stock takes no key
 * (the keys stay available for others), an order with enough takes exactly what it misses.
 * Runs on PGlite, or on Postgres when DATABASE_URL is set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { deliverBuiltin } from '../../src/shops/builtin/deliver.ts';
import { findBuiltinOrder } from '../../src/shops/builtin/lookup.ts';
import { recordDelivery } from '../../src/actions/deliver.ts';
import { auditLog, issuedKeys, orders, stockKeys } from '../../src/db/schema.ts';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { paidOrdersWorld, servicesWithWorld } from '../support/services.ts';

describe('reissue claims stock all or none', () => {
  let tdb: TestDatabase;
  let svc: Services | undefined;
  beforeAll(async () => {
    tdb = await testDatabase();
  });
  afterAll(async () => {
    await svc?.close();
    await tdb.drop();
  });

  async function reissueFirstOrder(world: ReturnType<typeof paidOrdersWorld>) {
    await svc?.close();
    svc = await servicesWithWorld(tdb.database, world);
    const s = svc;
    const [order] = await s.database.db.select().from(orders);
    const view = (await findBuiltinOrder(s.database.db, 'byOrderNo', order!.orderNo))!;
    const out = await s.database.db.transaction(async (tx) => {
      const delivered = await deliverBuiltin(tx, s.box, {
        order: view.order, product: view.product, mode: 'reissue', given: [], now: s.now(), diagnosisId: 'd-test',
      });
      // the action's record of it, in the same transaction (engine/apply.ts does the same)
      if (delivered.kind === 'issued') {
        await recordDelivery(tx, s, {
          outcome: delivered, mode: 'reissue', shop: 'builtin', order: view.order, product: view.product,
          actor: { kind: 'system' }, diagnosisId: 'd-test', now: s.now(),
        });
      }
      return delivered;
    });
    const stock = await s.database.db.select({ status: stockKeys.status, n: sql<number>`count(*)::int` }).from(stockKeys).groupBy(stockKeys.status);
    const byStatus = Object.fromEntries(stock.map((r) => [r.status, Number(r.n)]));
    return { s, out, byStatus, orderId: order!.id };
  }

  it('three keys needed, two in stock: nothing taken, nothing issued, both keys still available', async () => {
    const { s, out, byStatus } = await reissueFirstOrder(paidOrdersWorld({ orders: 1, stock: 2, quantity: 3 }));
    expect(out).toEqual({ kind: 'out_of_stock', missing: 3, available: 2 });
    expect(byStatus).toEqual({ available: 2 });
    expect(await s.database.db.select().from(issuedKeys)).toHaveLength(0);
    expect(await s.database.db.select().from(auditLog).where(eq(auditLog.action, 'keys_issued'))).toHaveLength(0);
  });

  it('two keys needed, three in stock: the two lowest taken into slots 1 and 2, one left, order delivered, audited', async () => {
    const { s, out, byStatus, orderId } = await reissueFirstOrder(paidOrdersWorld({ orders: 1, stock: 3, quantity: 2 }));
    expect(out).toMatchObject({ kind: 'issued', count: 2, replacements: 0, keysHeld: 2, keys: ['S100-TEST-00000', 'S100-TEST-00001'] });
    expect(byStatus).toEqual({ available: 1, issued: 2 });
    const keys = await s.database.db.select().from(issuedKeys).where(eq(issuedKeys.orderId, orderId));
    expect(keys.map((k) => k.slot).sort()).toEqual([1, 2]);
    const taken = await s.database.db.select({ id: stockKeys.id }).from(stockKeys).where(eq(stockKeys.status, 'issued'));
    expect(keys.map((k) => Number(k.stockKeyId)).sort()).toEqual(taken.map((t) => Number(t.id)).sort());
    const [order] = await s.database.db.select().from(orders);
    expect(order!.status).toBe('delivered');
    const audits = await s.database.db.select().from(auditLog).where(eq(auditLog.action, 'keys_issued'));
    expect(audits).toHaveLength(1);
    expect(audits[0]!.detail).toMatchObject({ count: 2, slots: [1, 2] });
  });
});

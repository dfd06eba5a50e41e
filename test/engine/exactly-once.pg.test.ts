/**
 * Exactly-once issuance under real concurrency. PGlite is a single connection, so these run only
 * on the real Postgres (CI always sets DATABASE_URL); without it they are reported as skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { customerCheck } from '../../src/engine/customer-check.ts';
import { auditLog, issuedKeys, orders, stockKeys } from '../../src/db/schema.ts';
import type { Services } from '../../src/services.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { paidOrdersWorld, servicesWithWorld } from '../support/services.ts';
import { NO_LOG_CONTEXT } from '../../src/observability/context.ts';

const PG = await requires('postgres');

describe.skipIf(!PG)('exactly once on real Postgres', () => {
  let tdb: TestDatabase;
  let svc: Services | undefined;
  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 60);
  });
  afterAll(async () => {
    await svc?.close();
    await tdb?.drop();
  });

  it('50 concurrent customer checks of one paid-not-delivered order issue exactly one key', async () => {
    // a generous deadline: 50 signed gateway queries at once in one process are slow on a busy CI box
    svc = await servicesWithWorld(tdb.database, paidOrdersWorld({ orders: 1, stock: 5 }), { CHECKER_TIMEOUT_MS: '20000' });
    const s = svc;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => customerCheck(s, { orderNo: 'K2026112200001', secret: '8462', ip: `10.0.0.${i}`, logContext: NO_LOG_CONTEXT })),
    );
    const verdicts = results.map((r) => (r.ok ? `${r.result.verdict}/${r.result.action}` : r.error));
    expect(verdicts.filter((v) => v === 'PAID_NOT_DELIVERED/reissued')).toHaveLength(1);
    expect(verdicts.filter((v) => v === 'DELIVERED/none')).toHaveLength(49);
    const db = s.database.db;
    const keys = await db.select().from(issuedKeys);
    expect(keys).toHaveLength(1);
    const [free] = await db.select({ n: sql<number>`count(*)::int` }).from(stockKeys).where(eq(stockKeys.status, 'available'));
    expect(Number(free!.n)).toBe(4);
    const issued = await db.select().from(auditLog).where(eq(auditLog.action, 'keys_issued'));
    expect(issued).toHaveLength(1);
    const [order] = await db.select().from(orders);
    expect(order!.status).toBe('delivered');
    await s.close();
    svc = undefined;
  });

  it('30 orders racing for 12 keys: 12 delivered, 18 out of stock, no key held twice', async () => {
    svc = await servicesWithWorld(tdb.database, paidOrdersWorld({ orders: 30, stock: 12 }), { CHECKER_TIMEOUT_MS: '20000' });
    const s = svc;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        customerCheck(s, { orderNo: `K20261122${String(i + 1).padStart(5, '0')}`, secret: '8462', ip: '10.0.0.1', logContext: NO_LOG_CONTEXT })),
    );
    const verdicts = results.map((r) => (r.ok ? `${r.result.verdict}/${r.result.action}` : r.error));
    expect(verdicts.filter((v) => v === 'PAID_NOT_DELIVERED/reissued')).toHaveLength(12);
    expect(verdicts.filter((v) => v === 'OUT_OF_STOCK/escalated')).toHaveLength(18);
    const keys = await s.database.db.select().from(issuedKeys);
    expect(keys).toHaveLength(12);
    expect(new Set(keys.map((k) => k.secretHash)).size).toBe(12);
    expect(new Set(keys.map((k) => k.stockKeyId)).size).toBe(12);
    await s.close();
    svc = undefined;
  });

  it('the constraints refuse a second valid key in a slot, a slot past quantity, and one key on two orders', async () => {
    svc = await servicesWithWorld(tdb.database, paidOrdersWorld({ orders: 2, stock: 1 }));
    const db = svc.database.db;
    const [a, b] = await db.select().from(orders).orderBy(orders.id);
    const row = (orderId: number, slot: number, hash: string) => ({
      orderId, orderQuantity: 1, slot, secretEnc: 'x', secretHash: hash, status: 'delivered' as const, source: 'stock' as const, issuedAt: new Date(),
    });
    await db.insert(issuedKeys).values(row(a!.id, 1, 'h1'));
    await expect(db.insert(issuedKeys).values(row(a!.id, 1, 'h2'))).rejects.toThrow();
    await expect(db.insert(issuedKeys).values(row(a!.id, 2, 'h3'))).rejects.toThrow();
    await expect(db.insert(issuedKeys).values(row(b!.id, 1, 'h1'))).rejects.toThrow();
    // the quantity copy must match the order's real quantity (composite foreign key)
    await expect(db.insert(issuedKeys).values({ ...row(b!.id, 2, 'h4'), orderQuantity: 2 })).rejects.toThrow();
  });
});

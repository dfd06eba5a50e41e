/**
 * A stock claim never waits behind another transaction's locked stock rows (FOR UPDATE SKIP
 * LOCKED, src/shops/builtin/deliver.ts): while one transaction holds the oldest available keys of a
 * product, another claim for the same product returns at once with other keys, and the check of
 * another paid order delivers one of those. Without SKIP LOCKED the second claim would queue until
 * the first transaction ends. Row locks need a second connection: real Postgres only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, inArray, sql } from 'drizzle-orm';
import { customerCheck } from '../../src/engine/customer-check.ts';
import { issuedKeys, stockKeys } from '../../src/db/schema.ts';
import { claimStockQuery } from '../../src/shops/builtin/deliver.ts';
import type { Services } from '../../src/services.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { paidOrdersWorld, servicesWithWorld } from '../support/services.ts';
import { NO_LOG_CONTEXT } from '../../src/observability/context.ts';

const PG = await requires('postgres');

/** How long the holder keeps its locks: far longer than a claim that does not wait may take. */
const HOLD_MS = 4_000;
const SKU = 'STEAM-100';

describe.skipIf(!PG)('a stock claim does not wait behind locked stock rows', () => {
  let tdb: TestDatabase;
  let svc: Services;
  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 6);
    svc = await servicesWithWorld(tdb.database, paidOrdersWorld({ orders: 2, stock: 8 }), { CHECKER_TIMEOUT_MS: '5000' });
  });
  afterAll(async () => {
    await svc?.close();
    await tdb?.drop();
  });

  /**
   * Transaction 1: locks the `n` oldest available keys of the product, as a claim in flight does,
   * and holds them until `release()` (or HOLD_MS), then rolls back.
   */
  async function holdOldest(n: number): Promise<{ ids: number[]; release: () => void; done: Promise<void> }> {
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
      setTimeout(r, HOLD_MS);
    });
    let locked!: (ids: number[]) => void;
    const lockedIds = new Promise<number[]>((r) => (locked = r));
    const done = tdb.database.db
      .transaction(async (tx) => {
        const rows = await tdb.database.rows<{ id: number | string }>(sql`
          select id from stock_keys where sku = ${SKU} and status = 'available'
           order by added_at, id limit ${n} for update`, tx);
        locked(rows.map((r) => Number(r.id)));
        await released;
        tx.rollback();
      })
      .catch((e: unknown) => {
        if (!(e instanceof Error && /rollback/i.test(e.message))) throw e;
      });
    return { ids: await lockedIds, release, done };
  }

  it('the claim query skips the locked keys and returns others at once', async () => {
    const holder = await holdOldest(3);
    expect(holder.ids).toHaveLength(3);
    try {
      let claimed: number[] = [];
      const started = performance.now();
      await tdb.database.db
        .transaction(async (tx) => {
          // a regression must fail here, not hang the suite until the holder lets go
          await tdb.database.rows(sql`set local lock_timeout = '2s'`, tx);
          const rows = await tdb.database.rows<{ id: number | string; secret_enc: string | null }>(claimStockQuery(SKU, 2), tx);
          claimed = rows.filter((r) => r.secret_enc !== null).map((r) => Number(r.id));
          tx.rollback();
        })
        .catch((e: unknown) => {
          if (!(e instanceof Error && /rollback/i.test(e.message))) throw e;
        });
      const ms = performance.now() - started;
      expect(claimed).toHaveLength(2);
      for (const id of claimed) expect(holder.ids).not.toContain(id);
      expect(ms).toBeLessThan(500);
    } finally {
      holder.release();
      await holder.done;
    }
  });

  it('a paid order\'s check delivers one of the other keys while the oldest are held', async () => {
    const holder = await holdOldest(3);
    try {
      const started = performance.now();
      const out = await customerCheck(svc, { orderNo: 'K2026112200002', secret: '8462', ip: '10.0.0.2', logContext: NO_LOG_CONTEXT });
      const ms = performance.now() - started;
      expect(out.ok && `${out.result.verdict}/${out.result.action}`).toBe('PAID_NOT_DELIVERED/reissued');
      const [issued] = await svc.database.db.select().from(issuedKeys);
      expect(issued!.stockKeyId).not.toBeNull();
      expect(holder.ids).not.toContain(issued!.stockKeyId);
      // well before the holder lets go: the check did not queue behind it
      expect(ms).toBeLessThan(HOLD_MS / 2);
      const held = await svc.database.db.select({ status: stockKeys.status }).from(stockKeys).where(inArray(stockKeys.id, holder.ids));
      expect(held.map((k) => k.status)).toEqual(['available', 'available', 'available']);
    } finally {
      holder.release();
      await holder.done;
    }
    const [left] = await svc.database.db.select({ n: sql<number>`count(*)::int` }).from(stockKeys).where(eq(stockKeys.status, 'available'));
    expect(Number(left!.n)).toBe(7);
  });
});

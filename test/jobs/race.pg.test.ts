/**
 * Two sweepers racing over the same stuck orders on a real Postgres (separate connection pools,
 * separate sandboxes): the work is shared, no order is diagnosed twice, no key issued twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { auditLog, diagnoses, issuedKeys, sweepQueue } from '../../src/db/schema.ts';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { createServices, type Services } from '../../src/services.ts';
import { runSweep } from '../../src/jobs/sweep.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { movableClock, stuckWorld, sweepServices, urlOf } from './support.ts';

if (!POSTGRES_URL) console.warn('race.pg.test.ts: SKIPPED (no DATABASE_URL: racing sweepers need a real Postgres)');

const N = 240;

describe.skipIf(!POSTGRES_URL)('two sweepers racing on real Postgres', () => {
  let tdb: TestDatabase;
  let second: Database;
  let a: Services;
  let b: Services;
  const clock = movableClock('2026-11-22T10:00:00+08:00');

  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 20);
    const env = { SANDBOX_LATENCY_MS: '10', SWEEP_CONCURRENCY: '16', SWEEP_RATE_LIMIT: '2000', CHECKER_TIMEOUT_MS: '20000' };
    a = await sweepServices(tdb.database, stuckWorld(clock.now(), N), { clock, env });
    second = await openDatabase({ url: await urlOf(tdb.database, POSTGRES_URL!), maxConnections: 20 });
    b = await createServices(a.config, { database: second, migrated: true, now: clock.now });
  });
  afterAll(async () => {
    await b?.close();
    await second?.close();
    await a?.close();
    await tdb?.drop();
  });

  it('share the work: every order diagnosed once, by one of them, and delivered exactly once', async () => {
    const [ra, rb] = await Promise.all([
      runSweep(a, { sweeperId: 'sweeper-a', log: () => {} }),
      runSweep(b, { sweeperId: 'sweeper-b', log: () => {} }),
    ]);
    expect(ra.picked + rb.picked).toBe(N);
    expect(ra.picked).toBeGreaterThan(0);
    expect(rb.picked).toBeGreaterThan(0);
    expect((ra.byAction.reissued ?? 0) + (rb.byAction.reissued ?? 0)).toBe(N);

    const db = a.database.db;
    const perOrder = await db.select({ orderNo: diagnoses.orderNo, n: sql<number>`count(*)::int` })
      .from(diagnoses).where(eq(diagnoses.actorKind, 'sweep')).groupBy(diagnoses.orderNo);
    expect(perOrder).toHaveLength(N);
    expect(perOrder.filter((r) => Number(r.n) !== 1)).toEqual([]);

    const keys = await db.select().from(issuedKeys);
    expect(keys).toHaveLength(N);
    expect(new Set(keys.map((k) => k.orderId)).size).toBe(N);
    expect(new Set(keys.map((k) => k.stockKeyId)).size).toBe(N);
    const issued = await db.select().from(auditLog).where(eq(auditLog.action, 'keys_issued'));
    expect(new Set(issued.map((r) => r.orderNo)).size).toBe(issued.length);
    expect(issued).toHaveLength(N);
    expect(await db.select().from(sweepQueue)).toEqual([]);
  });

  it('a third sweep afterwards finds nothing left to do', async () => {
    const r = await runSweep(b, { sweeperId: 'sweeper-c', log: () => {} });
    expect(r.picked).toBe(0);
  });
});

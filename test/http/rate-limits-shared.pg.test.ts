/**
 * The buyers' rate limits shared through Postgres (src/http/rate-limit-store-postgres.ts): the
 * same answers as in memory on a random trace, one limit however many processes race on it, a
 * table that does not grow without bound, and a database fault that neither opens the limits, nor
 * turns into an error or a hang.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createBuyerLimits, LIMITS_POLICY, type BuyerLimits } from '../../src/http/rate-limits.ts';
import { postgresLimitStore } from '../../src/http/rate-limit-store-postgres.ts';
import { memoryLimitStore, withFallback } from '../../src/http/rate-limit-store.ts';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { requires } from '../support/requires.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';

const PG = await requires('postgres');
const MIN = 60_000;

describe.skipIf(!PG)('buyer limits shared through Postgres', () => {
  let tdb: TestDatabase;
  /** a second pool on the same database: another process, as far as the database can tell */
  let other: Database;
  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!);
    other = await openDatabase({ url: tdb.url!, maxConnections: 10 });
  });
  afterAll(async () => {
    await other?.close();
    await tdb?.drop();
  });
  beforeEach(async () => {
    await tdb.database.db.execute(sql`truncate buyer_limits`);
  });

  it('answers exactly as the memory store does, step for step, on a random trace', async () => {
    let t = 5_000_000;
    const now = () => t;
    const mem = createBuyerLimits(true, now);
    const pg = createBuyerLimits(true, now, { store: postgresLimitStore(tdb.database) });
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    // few sources on few networks and two orders, so every limit is reached: volume, delay, guard, close
    const ips = Array.from({ length: 8 }, (_, i) => `10.0.${i % 4}.${i + 1}`);
    const orders = ['K1', 'K2'];
    const step = async (l: BuyerLimits, op: number, ip: string, orderNo: string) => {
      const g = l.verification(ip);
      switch (op) {
        case 0: return l.lookup(ip);
        case 1: return g.admit(orderNo);
        case 2: return g.failed(orderNo, false);
        case 3: return g.failed(orderNo, true);
        case 4: return g.failed(undefined, false);
        case 5: return g.verified(orderNo);
        default: return l.reveal(ip, orderNo);
      }
    };
    let waited = 0;
    let refused = 0;
    for (let i = 0; i < 1500; i++) {
      const op = rnd(7);
      const ip = ips[rnd(ips.length)]!;
      const orderNo = orders[rnd(orders.length)]!;
      if (rnd(10) === 0) t += rnd(2 * MIN);
      const [a, b] = [await step(mem, op, ip, orderNo), await step(pg, op, ip, orderNo)];
      expect(b, `step ${i}: op ${op} from ${ip} on ${orderNo}`).toEqual(a);
      if (op === 0 || op === 6) waited += Number(a) > 0 ? 1 : 0;
      if (op === 1) refused += a === false ? 1 : 0;
    }
    // the trace went past the limits, not just under them
    expect(waited).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
  });

  it('one limit for every process: racing lookups and failures from two pools count once each', async () => {
    const now = () => 1_000_000;
    const a = createBuyerLimits(true, now, { store: postgresLimitStore(tdb.database) });
    const b = createBuyerLimits(true, now, { store: postgresLimitStore(other) });
    const waits = await Promise.all(Array.from({ length: 80 }, (_, i) => (i % 2 ? a : b).lookup('198.51.100.1')));
    expect(waits.filter((w) => w === 0)).toHaveLength(LIMITS_POLICY.lookups.burst);
    // 40 networks fail on one order at once, half through each pool: the order counts 40
    const counts = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).verification(`10.${i}.0.1`).failed('K9', false)),
    );
    expect(Math.max(...(counts as number[]))).toBe(40);
    expect(new Set(counts).size).toBe(40); // each step saw its own count: none lost, none doubled
    // guarded now, whichever pool is asked: a network that failed twice is refused by both
    await a.verification('10.0.0.1').failed('K9', false);
    expect(await b.verification('10.0.0.1').admit('K9')).toBe(false);
    expect(await a.verification('10.0.0.1').admit('K9')).toBe(false);
    expect(await b.verification('10.200.0.1').admit('K9')).toBe(true);
  });

  it('forgets what has expired: the table holds what is live, purged a few at a time by later writes', async () => {
    let t = 0;
    const limits = createBuyerLimits(true, () => t, { store: postgresLimitStore(tdb.database) });
    for (let i = 0; i < 400; i++) await limits.lookup(`192.0.2.${i % 250}`);
    for (let i = 0; i < 100; i++) await limits.verification(`10.${i}.0.1`).failed(`K${i}`, false);
    const before = await limits.tracked();
    expect(before).toBeGreaterThanOrEqual(250 + 3 * 100);
    // a week and a day later every row has expired; the next writes clear them away
    t += 8 * 24 * 60 * MIN;
    for (let i = 0; i < 100; i++) await limits.lookup('203.0.113.1');
    expect(await limits.tracked()).toBeLessThan(10);
  });

  it('a database that does not answer: the process limits on its own, within the step budget, never throwing', async () => {
    const faults: unknown[] = [];
    const closed = await openDatabase({ url: tdb.url!, maxConnections: 1 });
    await closed.close();
    const limits = createBuyerLimits(true, () => 0, {
      store: withFallback(postgresLimitStore(closed), memoryLimitStore(1000), { timeoutMs: 250, onFault: (e) => faults.push(e) }),
    });
    for (let i = 0; i < 30; i++) expect(await limits.lookup('198.51.100.2')).toBe(0);
    expect(await limits.lookup('198.51.100.2')).toBe(20); // still limited: not open
    expect(faults.length).toBeGreaterThan(0);

    // a row held locked (a stuck transaction elsewhere): the step times out and memory answers
    const hung = createBuyerLimits(true, () => 0, {
      store: withFallback(postgresLimitStore(tdb.database), memoryLimitStore(1000), { timeoutMs: 250, onFault: () => {} }),
    });
    await hung.lookup('198.51.100.3');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const locking = other.db.transaction(async (tx) => {
      await tx.execute(sql`select * from buyer_limits where key = 'lookups:198.51.100.3' for update`);
      await held;
    });
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    expect(await hung.lookup('198.51.100.3')).toBe(0);
    const g = hung.verification('198.51.100.3');
    await g.failed('K1', false);
    expect(performance.now() - started).toBeLessThan(1000);
    release();
    await locking;
  });
});

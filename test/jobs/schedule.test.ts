import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backoffDelay, isFinal, nextStep, type Schedule } from '../../src/jobs/schedule.ts';
import { createRateLimiter, databaseSlots, type ReserveSlots } from '../../src/jobs/rate-limit.ts';
import { loadConfig } from '../../src/config.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';

/** The GCRA slot store kept in memory: for the pacing tests on a fake clock. */
function memorySlots(clock: () => number): ReserveSlots {
  const tat = new Map<string, number>();
  return async (key, count, intervalMs) => {
    const now = clock();
    const start = Math.max(tat.get(key) ?? now, now);
    tat.set(key, start + count * intervalMs);
    return start - now;
  };
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const schedule: Schedule = { backoffMs: [1, 2, 5, 10, 30, 60].map((m) => m * MIN), horizonMs: 25 * HOUR };
const created = new Date('2026-11-22T09:00:00+08:00');
const at = (ms: number) => new Date(created.getTime() + ms);

describe('backoff schedule', () => {
  it('re-checks often early and hourly later: 1, 2, 5, 10, 30 min, then every hour', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((a) => backoffDelay(schedule, a) / MIN)).toEqual([1, 2, 5, 10, 30, 60, 60, 60]);
  });

  it('reschedules a NOT_PAID order by its attempt count', () => {
    const step = nextStep(schedule, { verdict: 'NOT_PAID', attempts: 2, now: at(10 * MIN), createdAt: created });
    expect(step).toEqual({ kind: 'retry', at: at(15 * MIN) });
  });

  it('lands the last check exactly on the 25 h horizon, then drops the order', () => {
    const late = nextStep(schedule, { verdict: 'UPSTREAM_UNAVAILABLE', attempts: 9, now: at(24.5 * HOUR), createdAt: created });
    expect(late).toEqual({ kind: 'retry', at: at(25 * HOUR) });
    expect(nextStep(schedule, { verdict: 'NOT_PAID', attempts: 10, now: at(25 * HOUR), createdAt: created })).toEqual({ kind: 'done' });
  });

  it('closes the row on a final verdict', () => {
    for (const verdict of ['DELIVERED', 'PAID_NOT_DELIVERED', 'REFUNDED', 'PAYMENT_CLOSED', 'AMOUNT_MISMATCH', 'MIGRATION_CONFLICT', 'DELIVERY_DELAYED']) {
      expect(isFinal(verdict)).toBe(true);
      expect(nextStep(schedule, { verdict, attempts: 0, now: at(MIN), createdAt: created })).toEqual({ kind: 'done' });
    }
  });

  it('keeps an OUT_OF_STOCK order (paid, waiting for stock) past the horizon', () => {
    const step = nextStep(schedule, { verdict: 'OUT_OF_STOCK', attempts: 30, now: at(40 * HOUR), createdAt: created });
    expect(step).toEqual({ kind: 'retry', at: at(41 * HOUR) });
  });

  it('is configurable: SWEEP_BACKOFF and SWEEP_HORIZON, refused when malformed', () => {
    const c = loadConfig({ SWEEP_BACKOFF: '30s, 5m', SWEEP_HORIZON: '2h' });
    expect(c.sweepBackoffMs).toEqual([30_000, 5 * MIN]);
    expect(c.sweepHorizonMs).toBe(2 * HOUR);
    expect(() => loadConfig({ SWEEP_BACKOFF: '1m,soon' })).toThrow(/SWEEP_BACKOFF/);
    expect(() => loadConfig({ SWEEP_HORIZON: 'off' })).toThrow(/SWEEP_HORIZON/);
  });
});

describe('rate limiter', () => {
  it('spaces queries on one channel at 1/rate after the burst, independently per channel', async () => {
    let t = 0;
    const granted: Record<string, number[]> = { alipay: [], wechat: [] };
    const clock = () => t;
    const limiter = createRateLimiter({ perSecond: 10, burst: 2, reserve: memorySlots(clock), clock, sleep: async (ms) => { t += ms; } });
    // sequential acquires on a fake clock: sleep moves time
    for (let i = 0; i < 5; i++) {
      await limiter.acquire('alipay');
      granted.alipay!.push(t);
    }
    t = 0;
    await limiter.acquire('wechat');
    granted.wechat!.push(t);
    expect(granted.alipay).toEqual([0, 0, 100, 200, 300]);
    expect(granted.wechat).toEqual([0]);
  });

  it('holds the rate when many wait at once (reservations, not polling)', async () => {
    const limiter = createRateLimiter({ perSecond: 200, burst: 1, reserve: memorySlots(() => performance.now()) });
    const start = performance.now();
    await Promise.all(Array.from({ length: 41 }, () => limiter.acquire('epay')));
    const took = performance.now() - start;
    expect(took).toBeGreaterThanOrEqual(190); // 40 intervals of 5 ms
    expect(took).toBeLessThan(600);
  });
});

describe('rate limiter shared through the database', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await testDatabase();
  });
  afterAll(async () => tdb.drop());

  it('two sweepers on one database share one limit: together they go no faster than one', async () => {
    // 40/s, no burst: 60 queries from two sweepers need at least 59 intervals of 25 ms (1.475 s);
    // two limits of their own would let them through in about half that
    const [a, b] = [0, 1].map(() => createRateLimiter({ perSecond: 40, burst: 1, reserve: databaseSlots(tdb.database) }));
    const start = performance.now();
    await Promise.all([
      ...Array.from({ length: 30 }, () => a!.acquire('alipay')),
      ...Array.from({ length: 30 }, () => b!.acquire('alipay')),
    ]);
    const took = performance.now() - start;
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(took).toBeLessThan(5000);
  });

  it('keeps one limit per key: another channel does not wait for this one', async () => {
    const limiter = createRateLimiter({ perSecond: 5, burst: 1, reserve: databaseSlots(tdb.database) });
    await limiter.acquire('wechat'); // its next slot is 200 ms away now
    const start = performance.now();
    await limiter.acquire('epay');
    expect(performance.now() - start).toBeLessThan(150);
  });
});

import { describe, expect, it } from 'vitest';
import { backoffDelay, isFinal, nextStep, type Schedule } from '../../src/jobs/schedule.ts';
import { createRateLimiter } from '../../src/jobs/rate-limit.ts';
import { loadConfig } from '../../src/config.ts';

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
    const limiter = createRateLimiter({ perSecond: 10, burst: 2, clock: () => t, sleep: async (ms) => { t += ms; } });
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
    const limiter = createRateLimiter({ perSecond: 200, burst: 1 });
    const start = performance.now();
    await Promise.all(Array.from({ length: 41 }, () => limiter.acquire('epay')));
    const took = performance.now() - start;
    expect(took).toBeGreaterThanOrEqual(190); // 40 intervals of 5 ms
    expect(took).toBeLessThan(600);
  });
});

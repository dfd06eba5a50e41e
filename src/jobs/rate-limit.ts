/**
 * Politeness towards the gateways: one limiter per channel, shared by all of a sweep's concurrent
 * workers. GCRA (a token bucket kept as one timestamp): each acquire reserves the next free slot
 * and sleeps until it, so waiters are served in order and the rate holds however many wait.
 */

export interface RateLimiter {
  /** resolves when the caller may send one query on `key` */
  acquire(key: string): Promise<void>;
}

export interface RateLimiterOptions {
  perSecond: number;
  /** queries that may go at once after a quiet spell (default: 1/10 s worth, at least 1) */
  burst?: number;
  /** monotonic milliseconds (tests inject a fake one) */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const interval = 1000 / opts.perSecond;
  const burst = Math.max(1, opts.burst ?? Math.ceil(opts.perSecond / 10));
  const tolerance = (burst - 1) * interval;
  const clock = opts.clock ?? (() => performance.now());
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  /** theoretical arrival time of the next query, per key */
  const tat = new Map<string, number>();
  return {
    async acquire(key) {
      const now = clock();
      const next = Math.max(tat.get(key) ?? now, now);
      const allowedAt = next - tolerance;
      tat.set(key, next + interval);
      if (allowedAt > now) await sleep(allowedAt - now);
    },
  };
}

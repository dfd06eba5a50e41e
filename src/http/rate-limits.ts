/**
 * Buyer-facing rate limits (in memory, sliding window per key). At least as strict as the careful
 * peer: 30 lookups per 10 min per IP, and 20 per order from all IPs together (so a secret cannot be
 * guessed from many addresses); reveals 8 per 10 min per order and IP, 40 per IP.
 * Returns the seconds to wait when limited, 0 when allowed. RATE_LIMITS=off lifts them (load tests).
 */
const WINDOW_MS = 10 * 60_000;

class SlidingWindow {
  private hits = new Map<string, number[]>();
  constructor(private readonly limit: number, private readonly now: () => number) {}

  /** records a hit unless limited; returns seconds to wait (0: allowed) */
  take(key: string): number {
    const t = this.now();
    const recent = (this.hits.get(key) ?? []).filter((h) => h > t - WINDOW_MS);
    if (recent.length >= this.limit) {
      this.hits.set(key, recent);
      return Math.max(1, Math.ceil((recent[0]! + WINDOW_MS - t) / 1000));
    }
    recent.push(t);
    this.hits.set(key, recent);
    if (this.hits.size > 50_000) this.prune(t);
    return 0;
  }

  private prune(t: number) {
    for (const [k, v] of this.hits) if (!v.some((h) => h > t - WINDOW_MS)) this.hits.delete(k);
  }
}

export interface BuyerLimits {
  lookup(ip: string, orderNo: string): number;
  reveal(ip: string, orderNo: string): number;
}

export function createBuyerLimits(enabled: boolean, now: () => number = Date.now): BuyerLimits {
  if (!enabled) return { lookup: () => 0, reveal: () => 0 };
  const lookupsPerIp = new SlidingWindow(30, now);
  const lookupsPerOrder = new SlidingWindow(20, now);
  const revealsPerIp = new SlidingWindow(40, now);
  const revealsPerOrderIp = new SlidingWindow(8, now);
  return {
    lookup: (ip, orderNo) => lookupsPerIp.take(ip) || lookupsPerOrder.take(orderNo),
    reveal: (ip, orderNo) => revealsPerOrderIp.take(`${ip}|${orderNo}`) || revealsPerIp.take(ip),
  };
}

/**
 * Buyer-facing rate limits: how much a stranger can try, and what they cannot do to a buyer. In
 * memory, per process; every map is bounded (the least recently used entries go first).
 *
 * Per SOURCE (an IPv4 address; an IPv6 /64, one subscriber's prefix), asked before any lookup. The
 * answer is a 429 with Retry-After; it depends only on what the source itself did, never on
 * whether an order exists:
 *  - volume: 30 lookups at once, then one every 20 s (30 per 10 min);
 *  - failures: every failed verification (unknown number, wrong secret, refused try) adds 1 to the
 *    source's failure level, which drains by 1 every 10 min. Past 5, the source waits 2^(level-5) s
 *    after its last failure (2 s, 4 s, 8 s ...), at most 10 min: a growing delay, never a lock-out.
 *
 * Per ORDER (the order the number resolved to, whichever of its numbers was typed: its own, the
 * gateway's transaction number or its legacy number), asked after the lookup and before the secret
 * is compared (engine/customer-check.ts). Only failed verifications count: each adds 1 to the
 * order's level, which drains by 1 every 15 min (96 a day). For a day the order also remembers
 * which NETWORKS (IPv4 /24, IPv6 /48: what one subscriber can easily hold) failed on it, and for
 * 7 days which opened it with its secret.
 *  - from 20 the order is guarded: a network that failed on it twice gets no more tries on it; any
 *    other network still gets its own, so strangers cannot lock the buyer out (nor can a typo);
 *  - from 100 it is closed: only networks that opened it before may try. Getting there takes
 *    failures from some 40 networks within a day, which the audit log and the server log show.
 * A refused try is answered exactly as a wrong secret (same status, body and 1 s floor), so the
 * guard tells no one which numbers are orders; it counts against the source, not the order.
 * So a secret is tried at most ~100 times at once and ~100 times a day per order, from however
 * many addresses.
 *
 * Reveals (verified buyers only): 8 per 10 min per order and source, 40 per source.
 * RATE_LIMITS=off lifts all of it (load tests on loopback).
 */
import { isIP } from 'node:net';
import type { VerificationGuard } from '../engine/customer-check.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export const LIMITS_POLICY = {
  lookups: { burst: 30, perMs: 10 * MINUTE },
  sourceFailures: { free: 5, drainMs: 10 * MINUTE, maxDelayMs: 10 * MINUTE },
  orderFailures: { drainMs: 15 * MINUTE, guardedAt: 20, closedAt: 100, networkTries: 2, networkMemoryMs: DAY, openedMemoryMs: 7 * DAY },
  reveals: { perOrderAndSource: 8, perSource: 40, perMs: 10 * MINUTE },
  // per map: a few tens of MB at worst, and evicting a victim's entry takes that many other sources or orders
  maxEntries: 50_000,
} as const;

export interface BuyerLimits {
  /** before a lookup from `ip`: seconds to wait (0: go on; the lookup is counted) */
  lookup(ip: string): number;
  /** the customer check's per-order guard, for requests from `ip` */
  verification(ip: string): VerificationGuard;
  /** before a reveal of `orderNo`'s keys to `ip`: seconds to wait (0: go on; counted) */
  reveal(ip: string, orderNo: string): number;
  /** entries held, over every map (bounded by maxEntries each) */
  tracked(): number;
}

const OPEN: VerificationGuard = { admit: () => true, failed: () => undefined, verified: () => {} };

export function createBuyerLimits(enabled: boolean, now: () => number = Date.now, opts: { maxEntries?: number } = {}): BuyerLimits {
  if (!enabled) return { lookup: () => 0, verification: () => OPEN, reveal: () => 0, tracked: () => 0 };
  const max = opts.maxEntries ?? LIMITS_POLICY.maxEntries;
  const P = LIMITS_POLICY;
  const lookups = new Gcra(P.lookups.burst, P.lookups.perMs, now, max);
  const revealsPerOrderSource = new Gcra(P.reveals.perOrderAndSource, P.reveals.perMs, now, max);
  const revealsPerSource = new Gcra(P.reveals.perSource, P.reveals.perMs, now, max);
  const sourceFailures = new Lru<Level>(max);
  const orderFailures = new Lru<Level>(max);
  /** `${network}|${orderNo}`: failures of that network on that order, and when the last was */
  const networkFailures = new Lru<{ count: number; at: number }>(max);
  /** `${network}|${orderNo}`: when that network last opened that order with its secret */
  const openedBy = new Lru<number>(max);

  const orderLevel = (orderNo: string, t: number) => levelOf(orderFailures.get(orderNo), t, P.orderFailures.drainMs);

  return {
    lookup(ip) {
      const source = sourceOf(ip);
      const t = now();
      const failed = sourceFailures.get(source);
      const over = levelOf(failed, t, P.sourceFailures.drainMs) - P.sourceFailures.free;
      if (failed && over > 0) {
        const wait = failed.at + Math.min(2 ** over * 1000, P.sourceFailures.maxDelayMs) - t;
        if (wait > 0) return Math.ceil(wait / 1000);
      }
      return lookups.take(source);
    },

    verification(ip) {
      const source = sourceOf(ip);
      const network = networkOf(ip);
      return {
        admit(orderNo) {
          const t = now();
          const level = orderLevel(orderNo, t);
          if (level < P.orderFailures.guardedAt) return true;
          const key = `${network}|${orderNo}`;
          if (level >= P.orderFailures.closedAt) {
            const opened = openedBy.get(key);
            return opened !== undefined && t - opened <= P.orderFailures.openedMemoryMs;
          }
          const tried = networkFailures.get(key);
          return !(tried && t - tried.at <= P.orderFailures.networkMemoryMs && tried.count >= P.orderFailures.networkTries);
        },
        failed(orderNo, refused) {
          const t = now();
          raise(sourceFailures, source, t, P.sourceFailures.drainMs);
          if (orderNo === undefined) return undefined;
          if (!refused) {
            raise(orderFailures, orderNo, t, P.orderFailures.drainMs);
            const key = `${network}|${orderNo}`;
            const tried = networkFailures.get(key);
            const fresh = !tried || t - tried.at > P.orderFailures.networkMemoryMs;
            networkFailures.set(key, { count: fresh ? 1 : tried.count + 1, at: t });
          }
          return orderLevel(orderNo, t);
        },
        verified(orderNo) {
          openedBy.set(`${network}|${orderNo}`, now());
        },
      };
    },

    reveal(ip, orderNo) {
      const source = sourceOf(ip);
      return revealsPerOrderSource.take(`${source}|${orderNo}`) || revealsPerSource.take(source);
    },

    tracked: () =>
      lookups.size + revealsPerOrderSource.size + revealsPerSource.size + sourceFailures.size + orderFailures.size +
      networkFailures.size + openedBy.size,
  };
}

/** A count that drains at a steady rate: its value as of `at`. */
interface Level {
  value: number;
  at: number;
}

/** The whole units left of a draining count at time t (a unit goes only once fully drained). */
function levelOf(l: Level | undefined, t: number, drainMs: number): number {
  if (!l) return 0;
  return Math.ceil(Math.max(0, l.value - (t - l.at) / drainMs) - 1e-9);
}

function raise(map: Lru<Level>, key: string, t: number, drainMs: number): void {
  const l = map.get(key);
  const left = l ? Math.max(0, l.value - (t - l.at) / drainMs) : 0;
  map.set(key, { value: left + 1, at: t });
}

/** A Map that forgets its least recently used entries beyond `max`. */
export class Lru<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    const v = this.entries.get(key);
    if (v !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, v);
    }
    return v;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** At most `burst` at once, then one every perMs/burst (GCRA): one number held per key. */
class Gcra {
  private readonly tat: Lru<number>;
  private readonly interval: number;
  private readonly tolerance: number;

  constructor(burst: number, perMs: number, private readonly now: () => number, max: number) {
    this.tat = new Lru(max);
    this.interval = perMs / burst;
    this.tolerance = this.interval * (burst - 1);
  }

  /** takes one unless limited; returns the seconds to wait (0: taken) */
  take(key: string): number {
    const t = this.now();
    const tat = Math.max(this.tat.get(key) ?? t, t);
    if (tat - t > this.tolerance) return Math.ceil((tat - this.tolerance - t) / 1000);
    this.tat.set(key, tat + this.interval);
    return 0;
  }

  get size(): number {
    return this.tat.size;
  }
}

/** Who is counted as one source: an IPv4 address, or an IPv6 /64 (one subscriber's prefix). */
export function sourceOf(ip: string): string {
  const a = bareAddress(ip);
  if (isIP(a) === 6) return `${hextets(a).slice(0, 4).join(':')}::/64`;
  return a;
}

/** The wider network the order guard remembers: an IPv4 /24, an IPv6 /48. */
export function networkOf(ip: string): string {
  const a = bareAddress(ip);
  if (isIP(a) === 4) return `${a.split('.').slice(0, 3).join('.')}.0/24`;
  if (isIP(a) === 6) return `${hextets(a).slice(0, 3).join(':')}::/48`;
  return a;
}

/** Without brackets and zone; an IPv4-mapped IPv6 address as its IPv4 address. */
function bareAddress(ip: string): string {
  const a = ip.trim().replace(/^\[(.*)\]$/, '$1').split('%')[0]!;
  return /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(a)?.[1] ?? a;
}

/** The eight groups of a valid IPv6 address, without leading zeros. */
function hextets(v6: string): string[] {
  let s = v6.toLowerCase();
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((g) => parseInt(g, 16).toString(16));
}

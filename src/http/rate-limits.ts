/**
 * Buyer-facing rate limits: how much a stranger can try, and what they cannot do to a buyer. The
 * policy is here, once; the counts are in a store (rate-limit-store.ts): on Postgres in the
 * database, shared by every process on it (rate-limit-store-postgres.ts; a database fault falls back
 * to this process's memory), otherwise (PGlite: one process anyway) in memory, every map bounded.
 * Shared, each decision is one atomic statement per count, on the deciding process's clock: hosts
 * keep their clocks in step (NTP); one s seconds off shifts the delays it decides by s, no more.
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
import type { Services } from '../services.ts';
import { backoffWait, memoryLimitStore, wholeLeft, type LimitStore } from './rate-limit-store.ts';
import { sharedLimitStore } from './rate-limit-store-postgres.ts';

export { Lru } from './rate-limit-store.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export const LIMITS_POLICY = {
  lookups: { burst: 30, perMs: 10 * MINUTE },
  sourceFailures: { free: 5, drainMs: 10 * MINUTE, maxDelayMs: 10 * MINUTE },
  orderFailures: { drainMs: 15 * MINUTE, guardedAt: 20, closedAt: 100, networkTries: 2, networkMemoryMs: DAY, openedMemoryMs: 7 * DAY },
  reveals: { perOrderAndSource: 8, perSource: 40, perMs: 10 * MINUTE },
  // per map: a few tens of MB at worst, and evicting a victim's entry takes that many other sources or orders
  maxEntries: 50_000,
  // one shared step's budget: three of them (a failed try of a real order) stay well within the 1 s floor
  sharedStepTimeoutMs: 250,
} as const;

export interface BuyerLimits {
  /** before a lookup from `ip`: seconds to wait (0: go on; the lookup is counted) */
  lookup(ip: string): Promise<number>;
  /** the customer check's per-order guard, for requests from `ip` */
  verification(ip: string): VerificationGuard;
  /** before a reveal of `orderNo`'s keys to `ip`: seconds to wait (0: go on; counted) */
  reveal(ip: string, orderNo: string): Promise<number>;
  /** entries held (in memory: over every map, bounded by maxEntries each; shared: rows) */
  tracked(): Promise<number>;
}

const OPEN: VerificationGuard = { admit: async () => true, failed: async () => undefined, verified: async () => {} };

/**
 * The limits a service runs with: off (RATE_LIMITS=off), shared through the database on Postgres,
 * in memory on PGlite.
 */
export function buyerLimitsFor(svc: Pick<Services, 'config' | 'database' | 'logger'>): BuyerLimits {
  if (!svc.config.rateLimits || svc.database.kind !== 'postgres') return createBuyerLimits(svc.config.rateLimits);
  const store = sharedLimitStore(svc, { what: 'buyer limits', timeoutMs: LIMITS_POLICY.sharedStepTimeoutMs, maxEntries: LIMITS_POLICY.maxEntries });
  return createBuyerLimits(true, Date.now, { store });
}

export function createBuyerLimits(
  enabled: boolean, now: () => number = Date.now, opts: { maxEntries?: number; store?: LimitStore } = {},
): BuyerLimits {
  if (!enabled) return { lookup: async () => 0, verification: () => OPEN, reveal: async () => 0, tracked: async () => 0 };
  const P = LIMITS_POLICY;
  const store = opts.store ?? memoryLimitStore(opts.maxEntries ?? P.maxEntries);
  /** GCRA over `burst` per `perMs`: seconds to wait (0: taken) */
  const take = async (kind: 'lookups' | 'reveals_order_source' | 'reveals_source', key: string, burst: number, perMs: number) => {
    const interval = perMs / burst;
    return Math.ceil((await store.take(kind, key, interval, interval * (burst - 1), now())) / 1000);
  };
  const orderLevel = async (orderNo: string, t: number) =>
    wholeLeft(await store.read('order_failures', orderNo), P.orderFailures.drainMs, t);

  return {
    async lookup(ip) {
      const source = sourceOf(ip);
      const t = now();
      const wait = backoffWait(await store.read('source_failures', source), P.sourceFailures, t);
      if (wait > 0) return Math.ceil(wait / 1000);
      return take('lookups', source, P.lookups.burst, P.lookups.perMs);
    },

    verification(ip) {
      const source = sourceOf(ip);
      const network = networkOf(ip);
      return {
        async admit(orderNo) {
          const t = now();
          const level = await orderLevel(orderNo, t);
          if (level < P.orderFailures.guardedAt) return true;
          const key = `${network}|${orderNo}`;
          if (level >= P.orderFailures.closedAt) {
            const opened = await store.read('opened_by', key);
            return opened !== undefined && t - opened.value <= P.orderFailures.openedMemoryMs;
          }
          const tried = await store.read('network_failures', key);
          return !(tried && t - tried.at <= P.orderFailures.networkMemoryMs && tried.value >= P.orderFailures.networkTries);
        },
        async failed(orderNo, refused) {
          const t = now();
          const counted = [store.drainUp('source_failures', source, P.sourceFailures.drainMs, t)];
          if (orderNo === undefined || refused) {
            await Promise.all(counted);
            return orderNo === undefined ? undefined : orderLevel(orderNo, t);
          }
          // the three counts at once: each is its own atomic step, and together they stay within the floor
          const [, order] = await Promise.all([
            ...counted,
            store.drainUp('order_failures', orderNo, P.orderFailures.drainMs, t),
            store.countUp('network_failures', `${network}|${orderNo}`, P.orderFailures.networkMemoryMs, t),
          ]);
          return wholeLeft(order, P.orderFailures.drainMs, t);
        },
        async verified(orderNo) {
          await store.mark('opened_by', `${network}|${orderNo}`, P.orderFailures.openedMemoryMs, now());
        },
      };
    },

    async reveal(ip, orderNo) {
      const source = sourceOf(ip);
      const P2 = P.reveals;
      return (await take('reveals_order_source', `${source}|${orderNo}`, P2.perOrderAndSource, P2.perMs)) ||
        take('reveals_source', source, P2.perSource, P2.perMs);
    },

    tracked: () => store.size(),
  };
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

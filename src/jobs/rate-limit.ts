/**
 * Politeness towards the gateways: a limit per channel shared by every sweeper on the database
 * (any number of processes or Workers invocations), not one per process. GCRA: the limit is one
 * "theoretical arrival time" (TAT) per key. A sweeper reserves a block of consecutive slots in one
 * statement, on the database's clock that all sweepers share, and paces its own workers through
 * them in order; the database sees about 20 statements a second per channel, whatever the rate.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';

export interface RateLimiter {
  /** resolves when the caller may send one query on `key` */
  acquire(key: string): Promise<void>;
}

/**
 * Reserves `count` consecutive slots `intervalMs` apart on `key`, after any already reserved;
 * resolves to when the first one is, in milliseconds from now (negative: it is already due).
 */
export type ReserveSlots = (key: string, count: number, intervalMs: number) => Promise<number>;

export interface RateLimiterOptions {
  perSecond: number;
  /** where the slots come from: `databaseSlots(database)` (shared), or a test's own */
  reserve: ReserveSlots;
  /** queries that may go at once after a quiet spell (default: 1/10 s worth, at least 1) */
  burst?: number;
  /** monotonic milliseconds (tests inject a fake one) */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Slots reserved per statement: 50 ms worth, so a sweeper that stops wastes at most that. */
const BLOCK_SECONDS = 0.05;

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const interval = 1000 / opts.perSecond;
  const burst = Math.max(1, opts.burst ?? Math.ceil(opts.perSecond / 10));
  const tolerance = (burst - 1) * interval;
  const blockSize = Math.max(1, Math.ceil(opts.perSecond * BLOCK_SECONDS));
  const clock = opts.clock ?? (() => performance.now());
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  /** this sweeper's reserved slots per key, on the local clock: the next one and how many are left */
  const blocks = new Map<string, { next: number; left: number }>();
  /** one reservation at a time per key; the workers that ran out wait for it together */
  const reserving = new Map<string, Promise<void>>();

  const reserve = (key: string): Promise<void> => {
    let pending = reserving.get(key);
    if (!pending) {
      pending = opts.reserve(key, blockSize, interval)
        .then((fromNow) => { blocks.set(key, { next: clock() + fromNow, left: blockSize }); })
        .finally(() => reserving.delete(key));
      reserving.set(key, pending);
    }
    return pending;
  };

  return {
    async acquire(key) {
      for (;;) {
        const block = blocks.get(key);
        if (block && block.left > 0) {
          const slot = block.next;
          block.next += interval;
          block.left--;
          const wait = slot - tolerance - clock();
          if (wait > 0) await sleep(wait);
          return;
        }
        await reserve(key);
      }
    },
  };
}

/** Slots from the database (table rate_limits), on its clock: one limit for every sweeper on it. */
export function databaseSlots(database: Database): ReserveSlots {
  return async (key, count, intervalMs) => {
    const span = count * intervalMs;
    const [row] = await database.rows<{ from_now_ms: number | string }>(sql`
      insert into rate_limits as r (key, tat) values (${key}, clock_timestamp() + ${span} * interval '1 millisecond')
      on conflict (key) do update set tat = greatest(r.tat, clock_timestamp()) + ${span} * interval '1 millisecond'
      returning (extract(epoch from r.tat - clock_timestamp()) * 1000)::float8 - ${span} as from_now_ms`);
    return Number(row?.from_now_ms ?? 0);
  };
}

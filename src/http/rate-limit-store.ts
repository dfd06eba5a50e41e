/**
 * Where the buyers' rate limits keep their counts (the policy is http/rate-limits.ts, one place).
 * A store offers four kinds of atomic step, each one decision: the same steps in memory (one
 * process: PGlite, tests) and in the database (every process on one Postgres,
 * rate-limit-store-postgres.ts), so the answers are the same whichever holds the counts.
 *
 * Times are milliseconds on the deciding process's clock (the policy's `now`), passed in, never
 * read here: a fake clock drives both stores alike.
 */

/**
 * What is counted, each kind kept apart (in memory: its own bounded map; in the database: the key's
 * `kind:` prefix). The buyers' kinds, and the agents' console sign-in failures (console/limits.ts).
 */
export type LimitKind =
  | 'lookups' | 'reveals_order_source' | 'reveals_source'
  | 'source_failures' | 'order_failures' | 'network_failures' | 'opened_by'
  | 'signin_failures';

/** A counted thing: its value and when it last moved. */
export interface Tally {
  value: number;
  at: number;
}

export interface LimitStore {
  /**
   * GCRA: takes one slot `intervalMs` after the ones already taken, unless the next is more than
   * `toleranceMs` ahead. Returns the milliseconds to wait (0: taken).
   */
  take(kind: LimitKind, key: string, intervalMs: number, toleranceMs: number, t: number): Promise<number>;
  /** the tally as stored (undefined: never counted, or forgotten) */
  read(kind: LimitKind, key: string): Promise<Tally | undefined>;
  /** a count that drains by 1 every `drainMs`: what is left of it at t, plus one. Returns the new tally */
  drainUp(kind: LimitKind, key: string, drainMs: number, t: number): Promise<Tally>;
  /** a count forgotten `windowMs` after its last step: plus one (or 1 again). Returns the new tally */
  countUp(kind: LimitKind, key: string, windowMs: number, t: number): Promise<Tally>;
  /** remembers that this happened at t (read back as `{ value: t, at: t }`) */
  mark(kind: LimitKind, key: string, keepMs: number, t: number): Promise<void>;
  /** entries held (memory: over every map, bounded by maxEntries each) */
  size(): Promise<number>;
}

/** The level left of a drained count at t: the same arithmetic in both stores (SQL mirrors it). */
export function drained(prev: Tally | undefined, drainMs: number, t: number): number {
  return prev ? Math.max(0, prev.value - Math.max(0, t - prev.at) / drainMs) : 0;
}

/** The whole units left of a draining count at t: a unit goes only once fully drained. */
export function wholeLeft(prev: Tally | undefined, drainMs: number, t: number): number {
  return Math.ceil(drained(prev, drainMs, t) - 1e-9);
}

/** A failure count that drains, and the growing delay it earns past its free failures. */
export interface BackoffPolicy {
  /** failures that cost nothing (typos) */
  free: number;
  /** one failure drains away in this long */
  drainMs: number;
  /** the delay doubles per failure past `free` (2 s, 4 s, 8 s ...), up to this */
  maxDelayMs: number;
}

/**
 * Milliseconds still to wait at t after the failures counted in `failed` (a `drainUp` tally): past
 * `free` whole failures, 2^(level - free) s after the last one, at most maxDelayMs; 0 to go on.
 * Buyers' lookups (rate-limits.ts) and agents' sign-ins (console/limits.ts) both wait by it.
 */
export function backoffWait(failed: Tally | undefined, policy: BackoffPolicy, t: number): number {
  if (!failed) return 0;
  const over = wholeLeft(failed, policy.drainMs, t) - policy.free;
  if (over <= 0) return 0;
  return Math.max(0, failed.at + Math.min(2 ** over * 1000, policy.maxDelayMs) - t);
}

/** One process's store: a bounded map per kind (the least recently used entries go first). */
export function memoryLimitStore(maxEntries: number): LimitStore {
  const maps = new Map<LimitKind, Lru<Tally>>();
  const mapOf = (kind: LimitKind) => {
    let m = maps.get(kind);
    if (!m) maps.set(kind, (m = new Lru<Tally>(maxEntries)));
    return m;
  };
  const put = (kind: LimitKind, key: string, tally: Tally) => {
    mapOf(kind).set(key, tally);
    return tally;
  };
  return {
    async take(kind, key, intervalMs, toleranceMs, t) {
      const tat = Math.max(mapOf(kind).get(key)?.value ?? t, t);
      if (tat - t > toleranceMs) return tat - toleranceMs - t;
      put(kind, key, { value: tat + intervalMs, at: t });
      return 0;
    },
    async read(kind, key) {
      return mapOf(kind).get(key);
    },
    async drainUp(kind, key, drainMs, t) {
      const prev = mapOf(kind).get(key);
      return put(kind, key, { value: drained(prev, drainMs, t) + 1, at: Math.max(prev?.at ?? t, t) });
    },
    async countUp(kind, key, windowMs, t) {
      const prev = mapOf(kind).get(key);
      const fresh = !prev || t - prev.at > windowMs;
      return put(kind, key, { value: fresh ? 1 : prev.value + 1, at: Math.max(prev?.at ?? t, t) });
    },
    async mark(kind, key, _keepMs, t) {
      put(kind, key, { value: t, at: t });
    },
    async size() {
      let n = 0;
      for (const m of maps.values()) n += m.size;
      return n;
    },
  };
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

/**
 * A shared store that cannot answer (down, or slower than `timeoutMs`) answers from this process's
 * memory instead: during a database fault the limits still hold, per process (so N processes let
 * through at most N times as much), rather than opening for everyone (a free-for-all on the
 * secrets) or closing for everyone (every buyer refused, and a 500 or a hang is worse still). The
 * timeout also keeps a failed verification of a real order within the 1 s floor, so a slow
 * database cannot tell orders from unknown numbers by timing.
 */
export function withFallback(primary: LimitStore, fallback: LimitStore, opts: { timeoutMs: number; onFault: (err: unknown) => void }): LimitStore {
  const either = <A extends unknown[], R>(step: (s: LimitStore) => (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        return await Promise.race([
          step(primary)(...a),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`the shared rate limits did not answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
          }),
        ]);
      } catch (err) {
        opts.onFault(err);
        return step(fallback)(...a);
      } finally {
        clearTimeout(timer);
      }
    };
  return {
    take: either((s) => s.take),
    read: either((s) => s.read),
    drainUp: either((s) => s.drainUp),
    countUp: either((s) => s.countUp),
    mark: either((s) => s.mark),
    size: either((s) => s.size),
  };
}

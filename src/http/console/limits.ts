/**
 * Sign-in failures, per source (an IPv4 address, an IPv6 /64: rate-limits.ts sourceOf). A token is
 * 24 random bytes, so guessing is hopeless anyway; the limit keeps a script from hammering the
 * database and makes a flood stand out in the audit log. Five failures are free (typos, a pasted
 * newline), then each waits 2^(n-5) s after the last one, at most 15 min; a failure drains after
 * 10 min. Asked BEFORE the token is looked at, so a waiting source's guesses are not even tried.
 * In memory, per process, bounded like the buyer's limits.
 */
import { Lru, sourceOf } from '../rate-limits.ts';

const FREE = 5;
const DRAIN_MS = 10 * 60_000;
const MAX_DELAY_MS = 15 * 60_000;

export interface SignInLimits {
  /** seconds `ip` must wait before its next try (0: go on) */
  wait(ip: string): number;
  failed(ip: string): void;
}

export function createSignInLimits(enabled: boolean, now: () => number = Date.now, maxEntries = 50_000): SignInLimits {
  if (!enabled) return { wait: () => 0, failed: () => {} };
  const failures = new Lru<{ level: number; at: number }>(maxEntries);
  const levelAt = (e: { level: number; at: number } | undefined, t: number) => (e ? Math.max(0, e.level - (t - e.at) / DRAIN_MS) : 0);
  return {
    wait(ip) {
      const t = now();
      const e = failures.get(sourceOf(ip));
      const over = Math.ceil(levelAt(e, t) - 1e-9) - FREE;
      if (!e || over <= 0) return 0;
      const left = e.at + Math.min(2 ** over * 1000, MAX_DELAY_MS) - t;
      return left > 0 ? Math.ceil(left / 1000) : 0;
    },
    failed(ip) {
      const t = now();
      const key = sourceOf(ip);
      failures.set(key, { level: levelAt(failures.get(key), t) + 1, at: t });
    },
  };
}

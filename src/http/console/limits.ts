/**
 * Sign-in failures, per source (an IPv4 address, an IPv6 /64: rate-limits.ts sourceOf). A token is
 * 24 random bytes, so guessing is hopeless anyway; the limit keeps a script from hammering the
 * database and makes a flood stand out in the audit log. Five failures are free (typos, a pasted
 * newline), then each waits 2^(n-5) s after the last one, at most 15 min; a failure drains after
 * 10 min. Asked BEFORE the token is looked at, so a waiting source's guesses are not even tried.
 *
 * Counted where the buyers' limits are (rate-limit-store.ts, kind `signin_failures`): on Postgres in
 * buyer_limits, shared by every process and Worker isolate on the database (falling back to this
 * process's memory while it does not answer), otherwise in memory, bounded.
 */
import type { Services } from '../../services.ts';
import { LIMITS_POLICY, sourceOf } from '../rate-limits.ts';
import { backoffWait, memoryLimitStore, type BackoffPolicy, type LimitStore } from '../rate-limit-store.ts';
import { sharedLimitStore } from '../rate-limit-store-postgres.ts';

export const SIGN_IN_POLICY: BackoffPolicy = { free: 5, drainMs: 10 * 60_000, maxDelayMs: 15 * 60_000 };

export interface SignInLimits {
  /** seconds `ip` must wait before its next try (0: go on) */
  wait(ip: string): Promise<number>;
  failed(ip: string): Promise<void>;
}

/** The limits a service runs with: off (RATE_LIMITS=off), shared through the database on Postgres, in memory on PGlite. */
export function signInLimitsFor(svc: Pick<Services, 'config' | 'database' | 'logger'>): SignInLimits {
  if (!svc.config.rateLimits || svc.database.kind !== 'postgres') return createSignInLimits(svc.config.rateLimits);
  const store = sharedLimitStore(svc, {
    what: 'console sign-in limits', timeoutMs: LIMITS_POLICY.sharedStepTimeoutMs, maxEntries: LIMITS_POLICY.maxEntries,
  });
  return createSignInLimits(true, Date.now, { store });
}

export function createSignInLimits(
  enabled: boolean, now: () => number = Date.now, opts: { maxEntries?: number; store?: LimitStore } = {},
): SignInLimits {
  if (!enabled) return { wait: async () => 0, failed: async () => {} };
  const store = opts.store ?? memoryLimitStore(opts.maxEntries ?? LIMITS_POLICY.maxEntries);
  return {
    async wait(ip) {
      const t = now();
      return Math.ceil(backoffWait(await store.read('signin_failures', sourceOf(ip)), SIGN_IN_POLICY, t) / 1000);
    },
    async failed(ip) {
      await store.drainUp('signin_failures', sourceOf(ip), SIGN_IN_POLICY.drainMs, now());
    },
  };
}

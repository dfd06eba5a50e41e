/**
 * A consecutive-failure circuit breaker. When an upstream is down, every diagnosis would otherwise
 * wait out its full timeout-and-retry budget; failing fast lets the decision answer
 * UPSTREAM_UNAVAILABLE (deferred) at once, and the sweep retries later.
 */

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  /** consecutive failures (no answer, or a 5xx) that open the circuit */
  failureThreshold: number;
  /** how long the circuit stays open before one probe is let through */
  openMs: number;
  now?: () => number;
  /** told when the circuit opens (from closed) and when it closes again: for the log */
  onChange?: (state: 'open' | 'closed') => void;
}

export interface CircuitBreaker {
  /** true when a request may go out; in half-open state only the single probe gets true */
  tryAcquire(): boolean;
  onSuccess(): void;
  onFailure(): void;
  /** the attempt ended without a verdict on the upstream (the caller aborted): free the probe slot */
  onNeutral(): void;
  state(): BreakerState;
}

export function createCircuitBreaker(opts: BreakerOptions): CircuitBreaker {
  const now = opts.now ?? Date.now;
  let failures = 0;
  let openedAt: number | null = null;
  let probeInFlight = false;

  const state = (): BreakerState => {
    if (openedAt === null) return 'closed';
    return now() - openedAt >= opts.openMs ? 'half_open' : 'open';
  };

  return {
    tryAcquire() {
      const s = state();
      if (s === 'closed') return true;
      if (s === 'open' || probeInFlight) return false;
      probeInFlight = true;
      return true;
    },
    onSuccess() {
      const wasOpen = openedAt !== null;
      failures = 0;
      openedAt = null;
      probeInFlight = false;
      if (wasOpen) opts.onChange?.('closed');
    },
    onFailure() {
      probeInFlight = false;
      if (openedAt !== null) {
        // the half-open probe failed (or a request admitted before opening): open for a new period
        openedAt = now();
        return;
      }
      failures += 1;
      if (failures >= opts.failureThreshold) {
        openedAt = now();
        opts.onChange?.('open');
      }
    },
    onNeutral() {
      probeInFlight = false;
    },
    state,
  };
}

/** A breaker that never opens, for clients built with `breaker: false`. */
export const NEVER_OPEN: CircuitBreaker = {
  tryAcquire: () => true,
  onSuccess: () => {},
  onFailure: () => {},
  onNeutral: () => {},
  state: () => 'closed',
};

import type { Finding } from '../domain/findings.ts';
import type { Lookup } from '../domain/order.ts';
import type { Services } from '../services.ts';

export interface CheckerContext {
  svc: Services;
  lookup: Lookup;
  now: Date;
  /** aborted at the checker's deadline, or when the engine no longer needs the answer */
  signal: AbortSignal;
}

/** One source of evidence. `run` may throw: runChecker turns that into "no trustworthy evidence". */
export interface Checker<T> {
  readonly name: 'payment' | 'issuance' | 'migration';
  run(ctx: CheckerContext): Promise<T>;
}

/**
 * Runs one checker under its own deadline. Never rejects: a failure, a timeout or an abort is a
 * finding with `ok: false`, so one broken upstream cannot sink the diagnosis.
 */
export async function runChecker<T>(
  checker: Checker<T>,
  ctx: Omit<CheckerContext, 'signal'>,
  opts: { timeoutMs: number; cancel?: AbortSignal },
): Promise<Finding<T>> {
  const started = performance.now();
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.cancel ? AbortSignal.any([deadline, opts.cancel]) : deadline;
  const ms = () => Math.round(performance.now() - started);
  // the race makes the deadline hold even for a checker that ignores its signal
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const data = await Promise.race([checker.run({ ...ctx, signal }), aborted]);
    return { ok: true, ms: ms(), data };
  } catch (err) {
    const skipped = opts.cancel?.aborted === true && !deadline.aborted;
    const error = skipped
      ? 'not needed: the records already decide'
      : deadline.aborted
        ? `no answer within ${opts.timeoutMs} ms`
        : err instanceof Error
          ? err.message
          : String(err);
    return { ok: false, ms: ms(), error, ...(skipped ? { skipped: true } : {}) };
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    aborted.catch(() => {});
  }
}

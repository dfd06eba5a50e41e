import type { Finding } from '../domain/findings.ts';
import type { Lookup } from '../domain/order.ts';
import type { LogContext } from '../observability/context.ts';
import type { Services } from '../services.ts';

export interface CheckerContext {
  svc: Services;
  lookup: Lookup;
  now: Date;
  /** aborted at the checker's deadline, or when the engine no longer needs the answer */
  signal: AbortSignal;
  /** whose work this is, for the upstream calls' log lines */
  logContext: LogContext;
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
  // One controller and a timer cleared on return, rather than AbortSignal.timeout + any: those
  // keep a timer and the signals alive until the deadline passes (seconds after the answer), three
  // per check, which showed in the profile as timer, GC and abort_controller time.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`no answer within ${opts.timeoutMs} ms`, 'TimeoutError'));
  }, opts.timeoutMs);
  const onCancel = () => controller.abort(opts.cancel!.reason);
  if (opts.cancel?.aborted) onCancel();
  else opts.cancel?.addEventListener('abort', onCancel, { once: true });
  const signal = controller.signal;
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
    const skipped = opts.cancel?.aborted === true && !timedOut;
    const error = skipped
      ? 'not needed: the records already decide'
      : timedOut
        ? `no answer within ${opts.timeoutMs} ms`
        : err instanceof Error
          ? err.message
          : String(err);
    return { ok: false, ms: ms(), error, ...(skipped ? { skipped: true } : {}) };
  } finally {
    clearTimeout(timer);
    opts.cancel?.removeEventListener('abort', onCancel);
    if (onAbort) signal.removeEventListener('abort', onAbort);
    aborted.catch(() => {});
  }
}

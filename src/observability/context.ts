/**
 * The request context: which request (or sweep run) the code running now works for, carried
 * through every await by AsyncLocalStorage, so a log line written deep in a checker or an upstream
 * call names its request without the id being threaded through every signature.
 *
 * @example
 * await withContext({ reqId: 'b1c2' }, () => diagnose(svc, input));
 * currentContext(); // { reqId: 'b1c2' } inside, undefined outside
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface LogContext {
  /** the HTTP request's id (x-request-id, given or made) */
  reqId?: string;
  /** the sweep run's id, for work the sweep does */
  runId?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs fn with `ctx` as the context of everything it awaits (nested: the inner fields win). */
export function withContext<T>(ctx: LogContext, fn: () => T): T {
  const outer = storage.getStore();
  return storage.run(outer ? { ...outer, ...ctx } : ctx, fn);
}

export function currentContext(): LogContext | undefined {
  return storage.getStore();
}

/**
 * An incoming x-request-id is kept when it is a plain token (a proxy's or a client's id, so both
 * logs can be joined); anything else (too long, spaces, quotes, control bytes) is replaced, since
 * it would be written into every log line of the request.
 */
export function requestIdFrom(header: string | undefined): string {
  if (header && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(header)) return header;
  return globalThis.crypto.randomUUID();
}

/**
 * Whose work a log line is about: the HTTP request's id, or the sweep run's. Handed down with the
 * work itself (a route's `c.get('logContext')`, the sweep's run) to the engine, the checkers and
 * the upstream calls, whose lines carry it. Not AsyncLocalStorage: on Node 20 an enabled
 * AsyncLocalStorage runs hooks on every promise of the process, ~5% of a customer check's CPU
 * (bench/ab-serve.ts, issue 10 item 12), for two ids.
 *
 * @example
 * await diagnose(svc, { ..., logContext: c.get('logContext') });
 * svc.logger.info({ ...logContext, verdict }, 'diagnosis');
 */
export type LogContext = {
  /** the HTTP request's id (x-request-id, given or made) */
  readonly reqId?: string;
  /** the sweep run's id, for work the sweep does */
  readonly runId?: string;
};

/** Work done for nobody in particular (the CLI, a test, a background job without a run id). */
export const NO_LOG_CONTEXT: LogContext = Object.freeze({});

/**
 * An incoming x-request-id is kept when it is a plain token (a proxy's or a client's id, so both
 * logs can be joined); anything else (too long, spaces, quotes, control bytes) is replaced, since
 * it would be written into every log line of the request.
 */
export function requestIdFrom(header: string | undefined): string {
  if (header && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(header)) return header;
  return globalThis.crypto.randomUUID();
}

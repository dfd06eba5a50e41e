/**
 * What a thrown error becomes, on the wire and in the log: the app's one `onError`.
 *
 * - an HTTPException below 500: its own problem (401 `unauthorized`, else `invalid_request`);
 * - the database unavailable (refused, dropped, timed out: db/faults.ts): 503 `unavailable` with
 *   `Retry-After`, so a client (or the buyer's page) tries again instead of reporting a bug;
 * - anything else: 500 `internal`.
 * A 5xx body never echoes the error. The log line (the app's logger, with the request's id; or the
 * `log` given) carries it with its whole `cause` chain (drizzle wraps the driver's error, which
 * says what actually happened), but never a query's parameters: drizzle's own message and stack
 * quote them, and they can hold a query secret (observability/errors.ts).
 *
 * @example
 * app.onError(onAppError);
 */
import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { isDatabaseFault } from '../db/faults.ts';
import { describeError } from '../observability/errors.ts';
import type { AppEnv } from './env.ts';
import { problem } from './problem.ts';

export { describeError };

/** Seconds a client is asked to wait after a 503. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * For the HTML parts (the buyer's page, the console): a database that could not answer reached
 * onAppError, whose 503 is the API's problem+json; a person's browser gets `render`'s page instead,
 * with that response's Retry-After (hono carries the earlier response's headers over).
 */
export function databaseFaultPage(render: (c: Context) => Response | Promise<Response>): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.error && isDatabaseFault(c.error)) c.res = await render(c);
  };
}

export function onAppError(err: Error, c: Context, log?: (line: string) => void): Response {
  if (err instanceof HTTPException && err.status < 500) {
    return problem(c, err.status === 401 ? 'unauthorized' : 'invalid_request', err.message);
  }
  const method = c.req.method;
  const path = new URL(c.req.url).pathname;
  const logger = log ? undefined : (c as Context<AppEnv>).get('svc')?.logger;
  const logContext = (c as Context<AppEnv>).get('logContext');
  if (isDatabaseFault(err)) {
    // an outage logs one line per request, not a stack each
    const cause = describeError(err, { stacks: false });
    if (logger) logger.error({ ...logContext, method, path, error: cause }, 'database unavailable');
    else (log ?? console.error)(`[http] ${method} ${path}: database unavailable: ${cause}`);
    c.header('retry-after', String(RETRY_AFTER_SECONDS));
    return problem(c, 'unavailable');
  }
  const error = describeError(err, { stacks: true });
  if (logger) logger.error({ ...logContext, method, path, error }, 'request failed');
  else (log ?? console.error)(`[http] ${method} ${path} failed: ${error}`);
  return problem(c, 'internal');
}

/**
 * What a thrown error becomes, on the wire and in the log: the app's one `onError`.
 *
 * - an HTTPException below 500: its own problem (401 `unauthorized`, else `invalid_request`);
 * - the database unavailable (refused, dropped, timed out: db/faults.ts): 503 `unavailable` with
 *   `Retry-After`, so a client (or the buyer's page) tries again instead of reporting a bug;
 * - anything else: 500 `internal`.
 * A 5xx body never echoes the error. The log line carries it with its whole `cause` chain (drizzle
 * wraps the driver's error, which says what actually happened), but never a query's parameters:
 * drizzle's own message and stack quote them, and they can hold a query secret.
 *
 * @example
 * app.onError(onAppError);
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { causeChain, isDatabaseFault } from '../db/faults.ts';
import { problem } from './problem.ts';

/** Seconds a client is asked to wait after a 503. */
export const RETRY_AFTER_SECONDS = 5;

export function onAppError(err: Error, c: Context, log: (line: string) => void = console.error): Response {
  if (err instanceof HTTPException && err.status < 500) {
    return problem(c, err.status === 401 ? 'unauthorized' : 'invalid_request', err.message);
  }
  const where = `${c.req.method} ${new URL(c.req.url).pathname}`;
  if (isDatabaseFault(err)) {
    // an outage logs one line per request, not a stack each
    log(`[http] ${where}: database unavailable: ${describeError(err, { stacks: false })}`);
    c.header('retry-after', String(RETRY_AFTER_SECONDS));
    return problem(c, 'unavailable');
  }
  log(`[http] ${where} failed: ${describeError(err, { stacks: true })}`);
  return problem(c, 'internal');
}

/**
 * An error and its causes (`caused by:`), each as name, code and message: on one line, or one per
 * line each followed by its stack frames. A failed drizzle query shows its SQL, never its
 * parameters; a Postgres error its SQLSTATE and message, never its `detail` (which quotes row values).
 */
export function describeError(err: unknown, opts: { stacks: boolean }): string {
  const chain = causeChain(err);
  if (!opts.stacks) return chain.map(headline).join('; caused by: ');
  return chain
    .map((e, i) => {
      const head = `${i ? 'caused by: ' : ''}${headline(e)}`;
      if (!(e instanceof Error) || !e.stack) return head;
      // only the frames: the stack's first lines repeat the message, which drizzle fills with parameters
      const frames = e.stack.split('\n').filter((l) => /^\s+at /.test(l));
      return [head, ...frames].join('\n');
    })
    .join('\n');
}

function headline(e: unknown): string {
  if (!(e instanceof Error)) return `thrown: ${typeof e === 'string' ? e : typeof e}`;
  const code = (e as { code?: unknown }).code;
  const tag = typeof code === 'string' || typeof code === 'number' ? ` [${code}]` : '';
  const query = (e as { query?: unknown }).query;
  // DrizzleQueryError: "Failed query: <sql>\nparams: <values>"; keep the SQL only
  const message = 'params' in e && typeof query === 'string' ? `Failed query: ${query}` : e.message;
  // drizzle's errors keep the name 'Error'; their class says more
  const name = e.name === 'Error' && e.constructor.name !== 'Error' ? e.constructor.name : e.name;
  return `${name}${tag}: ${message.replace(/\s+/g, ' ').trim()}`;
}

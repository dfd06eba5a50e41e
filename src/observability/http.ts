/**
 * The first middleware of the app: gives the request its id (a sane incoming `x-request-id`, or a
 * new one) as `c.get('logContext')`, which the routes hand down (so every log line of the request,
 * down to the checkers and the upstream calls, carries `reqId`), echoes the id in the response, and
 * records the request: one log line, http_requests_total and http_request_duration_seconds.
 *
 * The route is the matched route's pattern (`/api/v1/orders/:orderNo/check`), never the path: a
 * label per order number would be unbounded and would publish order numbers. The log line has the
 * path (without the query string) too, since an operator looks requests up by order.
 *
 * @example
 * app.use('*', observeRequests({ logger, metrics, ip: clientIp }));
 */
import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { requestIdFrom, type LogContext } from './context.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Routes polled by machines (probes, scrapers): their lines are debug, not info. */
const POLLED = new Set(['/healthz', '/metrics']);

export function observeRequests(opts: { logger: Logger; metrics: Metrics; ip?: (c: Context) => string }): MiddlewareHandler<{ Variables: { logContext: LogContext } }> {
  return async (c, next) => {
    const reqId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
    c.set('logContext', { reqId });
    const started = performance.now();
    try {
      await next();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      // an exception that escaped the app's onError still answers 500 (hono's default)
      const status = c.finalized ? c.res.status : 500;
      if (c.finalized) echoRequestId(c, reqId);
      const route = routeLabel(c, status);
      opts.metrics.request({ route, method: c.req.method, status, seconds });
      const level = status >= 500 ? 'warn' : POLLED.has(route) ? 'debug' : 'info';
      opts.logger[level]({
        reqId, method: c.req.method, route, path: new URL(c.req.url).pathname, status, ms: Math.round(seconds * 1000),
        ...(opts.ip ? { ip: safeIp(opts.ip, c) } : {}),
      }, 'request');
    }
  };
}

/**
 * Sets the id on the answer's own headers. `c.header()` after the answer is made would rebuild it:
 * @hono/node-server's light Response becomes a real one with a body stream, and the server then
 * pipes that stream instead of writing the string (webstreams and GC on every answer).
 * An answer whose headers cannot change (a fetched Response's are immutable) takes that way still.
 */
function echoRequestId(c: Context, reqId: string): void {
  try {
    c.res.headers.set(REQUEST_ID_HEADER, reqId);
  } catch {
    c.header(REQUEST_ID_HEADER, reqId);
  }
}

/** The pattern of the route that answered; `unmatched` for a 404 no route of its own gave. */
export function routeLabel(c: Context, status: number): string {
  let path = '';
  try {
    path = routePath(c);
  } catch {
    // no match result on this request (not dispatched by the router)
  }
  if (!path || (status === 404 && path.includes('*'))) return 'unmatched';
  return path;
}

function safeIp(ip: (c: Context) => string, c: Context): string {
  try {
    return ip(c);
  } catch {
    return 'unknown';
  }
}

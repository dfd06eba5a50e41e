import type { MiddlewareHandler } from 'hono';
import type { SandboxContext } from './types.ts';

/**
 * SANDBOX_LATENCY_MS as a real gateway shows it: the answer leaves `latencyMs` after the request
 * arrived, the sandbox's own work (lookup, signing) included, so benchmarks that divide by the
 * upstream latency measure our cost, not the fake gateway's.
 */
export function answerAfterLatency(ctx: SandboxContext): MiddlewareHandler {
  return async (_c, next) => {
    const started = performance.now();
    await next();
    const wait = ctx.latencyMs - (performance.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };
}

/**
 * The sandbox upstreams without a port, for Workers (which have none to listen on): the gateway
 * adapters' HTTP client is handed a fetch that answers the sandbox's origin by calling its hono app
 * in-process, and sends everything else out as usual. The origin is a name no resolver knows
 * (`.internal`), so nothing outside the Worker can reach these routes, and the public app never
 * mounts them (worker/fetch.ts).
 *
 * @example
 * const listener = serveSandboxInProcess(ctx);   // { baseUrl: 'http://sandbox.internal', fetch, close }
 */
import { Hono } from 'hono';
import { sandboxRoutes } from './app.ts';
import type { SandboxListener } from './listener.ts';
import type { SandboxContext } from './types.ts';

export const IN_PROCESS_ORIGIN = 'http://sandbox.internal';

export async function serveSandboxInProcess(ctx: SandboxContext): Promise<SandboxListener> {
  const root = new Hono().route('/sandbox', sandboxRoutes(ctx));
  const send: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (new URL(url).origin !== IN_PROCESS_ORIGIN) return fetch(input, init);
    return answer(root, new Request(input, init));
  };
  return { baseUrl: IN_PROCESS_ORIGIN, fetch: send, close: async () => {} };
}

/**
 * The app's answer as fetch would give it: rejected when the caller's signal aborts (the client's
 * deadline must end a "timeout" the sandbox plays, which waits for exactly that), and a network
 * error for the sandbox's dropped connection (`Response.error()`, status 0).
 */
async function answer(app: Hono, request: Request): Promise<Response> {
  const signal = request.signal;
  signal.throwIfAborted();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const res = await Promise.race([app.fetch(request), aborted]);
    if (res.type === 'error') throw new TypeError('fetch failed: the sandbox dropped the connection');
    return res;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

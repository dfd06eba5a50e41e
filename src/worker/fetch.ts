/**
 * The Worker's `fetch`: services for this request (worker/services.ts), the same app as Node's
 * `serve` builds, closed once the answer is out. Services that cannot be built answer as the app
 * would (worker/unavailable.ts).
 */
import { createApp } from '../http/app.ts';
import { extendApp } from '../http/extensions.ts';
import { sweepHealth } from '../jobs/run-record.ts';
import type { Services } from '../services.ts';
import type { WorkerEnv } from './env.ts';
import { workerServices } from './services.ts';
import { unavailable } from './unavailable.ts';

export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

export async function handleFetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
  let svc: Services;
  try {
    svc = await workerServices(env);
  } catch (err) {
    return unavailable(err).fetch(request);
  }
  try {
    // the sandbox (SANDBOX=on) is reached in-process by the gateway clients only: the public app
    // does not mount its routes (Node's answers loopback clients; a Worker has no such clients)
    const pub: Services = { ...svc, sandbox: null };
    const app = createApp(pub, { extend: (a) => extendApp(a, pub), healthExtras: () => sweepHealth(svc.database) });
    return await app.fetch(request, env, ctx as never);
  } finally {
    ctx.waitUntil(svc.close());
  }
}

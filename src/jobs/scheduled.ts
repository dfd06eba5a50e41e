/**
 * The Workers cron entry, kept thin: build the services, run the same sweep verb in one bounded
 * batch (an invocation has a time budget; the next one picks up the rest), await it.
 */
import type { Services } from '../services.ts';
import { runSweep, type SweepSummary } from './sweep.ts';

/** Orders one invocation sweeps at most. */
export const SCHEDULED_BATCH = 500;

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * @example
 * export default { scheduled: scheduledHandler((env) => createServices(loadConfig(env))) };
 */
export function scheduledHandler<E>(build: (env: E) => Promise<Services>, opts: { limit?: number } = {}) {
  return async (controller: { cron?: string; scheduledTime?: number }, env: E, ctx: ExecutionContext): Promise<SweepSummary> => {
    const run = (async () => {
      const svc = await build(env);
      try {
        return await runSweep(svc, {
          sweeperId: `workers:${controller.cron ?? 'cron'}:${globalThis.crypto.randomUUID().slice(0, 8)}`,
          limit: opts.limit ?? SCHEDULED_BATCH,
        });
      } finally {
        await svc.close();
      }
    })();
    ctx.waitUntil(run);
    return run;
  };
}

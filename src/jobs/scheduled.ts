/**
 * The Workers cron entry, kept thin: build the services, run the same sweep verb in one bounded
 * batch (an invocation has a time budget; the next one picks up the rest), await it; then send the
 * webhooks a pushing shop is owed (plain fetch, so they go from Workers too; buyer emails need
 * SMTP sockets and stay with a Node `serve`).
 */
import type { Services } from '../services.ts';
import { runSweep, type SweepSummary } from './sweep.ts';
import { dispatchWebhooks } from './webhooks.ts';

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
        const summary = await runSweep(svc, {
          sweeperId: `workers:${controller.cron ?? 'cron'}:${globalThis.crypto.randomUUID().slice(0, 8)}`,
          limit: opts.limit ?? SCHEDULED_BATCH,
        });
        if (svc.config.push?.webhookUrl) await dispatchWebhooks(svc);
        return summary;
      } finally {
        await svc.close();
      }
    })();
    ctx.waitUntil(run);
    return run;
  };
}

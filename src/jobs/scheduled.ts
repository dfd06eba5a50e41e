/**
 * The Workers cron entry, kept thin: build the services, run the same sweep verb in one bounded
 * batch (an invocation has a time budget; the next one picks up the rest), await it; then send the
 * webhooks a pushing shop is owed (plain fetch) and the buyer emails the outbox holds (SMTP over
 * the Worker's outbound TCP), each bounded in count and time, so the run ends well inside a cron
 * invocation's limits. Both outboxes claim their rows in the database (jobs/mail.ts), so isolates
 * and Node processes on one database share them: an email goes at most once, whoever sends it.
 */
import type { Services } from '../services.ts';
import { sessionDeadlineMs } from '../db/client.ts';
import { createSmtpTransport } from '../mail/transport.ts';
import { dispatchMail } from './mail.ts';
import { runSweep, type SweepSummary } from './sweep.ts';
import { dispatchWebhooks } from './webhooks.ts';

/** Orders one invocation sweeps at most. */
export const SCHEDULED_BATCH = 500;

/**
 * Buyer emails per invocation: at most `batch`, no new send started after `budgetMs`, and one send
 * given up after `sendMs`, so the mail takes at most about a minute and a half of the invocation
 * (the next one, a minute later, takes the rest). A send cut off by the runtime leaves its row
 * `sending`, which the lease turns `unknown`: never sent twice.
 */
export const SCHEDULED_MAIL = { batch: 20, budgetMs: 60_000, sendMs: 30_000 } as const;

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
        await warnWithoutDeadline(svc);
        const summary = await runSweep(svc, {
          sweeperId: `workers:${controller.cron ?? 'cron'}:${globalThis.crypto.randomUUID().slice(0, 8)}`,
          limit: opts.limit ?? SCHEDULED_BATCH,
        });
        if (svc.config.push?.webhookUrl) await dispatchWebhooks(svc);
        if (svc.config.mail) await sendMail(svc);
        return summary;
      } finally {
        await svc.close();
      }
    })();
    ctx.waitUntil(run);
    return run;
  };
}

/** The buyer emails due now, dialled by the server's name (mail/transport.ts `dialByName`: workerd's TLS needs it). */
async function sendMail(svc: Services): Promise<void> {
  const transport = createSmtpTransport(svc.config.mail!.smtpUrl, { dialByName: true, timeouts: { totalMs: SCHEDULED_MAIL.sendMs } });
  const s = await dispatchMail({ ...svc, transport }, { limit: SCHEDULED_MAIL.batch, signal: AbortSignal.timeout(SCHEDULED_MAIL.budgetMs) });
  if (s.sent + s.retried + s.failed + s.unknown) svc.logger.info({ component: 'mail', ...s }, `mail: ${s.sent} sent`);
}

/**
 * Through Hyperdrive the statement deadline is the database role's own default (db/client.ts
 * `startupSettings`); a role without one lets a stuck statement hold its pooled connection and
 * locks for as long as it likes. Said once a run, where the operator reads the Worker's logs.
 */
async function warnWithoutDeadline(svc: Services): Promise<void> {
  if (svc.database.kind !== 'postgres' || (await sessionDeadlineMs(svc.database)) > 0) return;
  svc.logger.warn("[db] statement_timeout is 0 for this database role: run ALTER ROLE <user> IN DATABASE <db> SET statement_timeout = '10s' (README: Deploying, Cloudflare Workers)");
}

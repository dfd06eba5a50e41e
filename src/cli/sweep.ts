/**
 * `order-doctor sweep [--dry-run] [--json]`: one sweep now. A progress bar on a TTY (stderr), a summary
 * at the end; `--json` prints exactly one line {"picked","byVerdict","byAction","errors","durationMs"}.
 */
import { hostname } from 'node:os';
import type { Config } from '../config.ts';
import { createServices } from '../services.ts';
import { runSweep, type SweepSummary } from '../jobs/sweep.ts';
import { countDue } from '../jobs/select.ts';
import { restockedSkus } from '../jobs/claim.ts';
import { progressLine } from './progress.ts';
import { dispatchMail } from '../jobs/mail.ts';
import { dispatchWebhooks } from '../jobs/webhooks.ts';
import { parse, UsageError } from './args.ts';

export async function sweepCommand(args: string[], config: Config): Promise<number> {
  const { values, positionals } = parse(args, { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } });
  if (positionals.length) throw new UsageError(`sweep: unexpected argument '${positionals[0]}'`);
  const svc = await createServices(config);
  const tty = process.stderr.isTTY === true;
  const dryRun = values['dry-run'] === true;
  let lastDraw = 0;
  try {
    // the bar's total: what is due now (an estimate: other sweepers may take some meanwhile)
    const total = tty && !dryRun
      ? await countDue(svc, { now: svc.now(), horizonMs: svc.config.sweepHorizonMs, restocked: await restockedSkus(svc) })
      : 0;
    const started = performance.now();
    const summary = await runSweep(svc, {
      sweeperId: `cli:${hostname()}:${process.pid}`,
      dryRun,
      // a fault line goes on a line of its own, not after the bar
      log: (line) => {
        if (tty) process.stderr.write('\r\x1b[K');
        console.error(line);
      },
      onProgress: tty
        ? ({ done }) => {
            const t = performance.now();
            if (t - lastDraw < 100) return;
            lastDraw = t;
            process.stderr.write(`\r\x1b[K${progressLine({ done, total, elapsedMs: t - started })}`);
          }
        : undefined,
    });
    if (tty) process.stderr.write('\r\x1b[K');
    // a sweep run from cron tells the buyers, and a pushing shop, what it delivered (serve's own loops do it otherwise)
    if (!dryRun && svc.config.mail) await dispatchMail(svc);
    if (!dryRun && svc.config.push?.webhookUrl) await dispatchWebhooks(svc);
    console.log(values.json ? JSON.stringify(jsonLine(summary)) : humanSummary(summary, dryRun));
    return 0;
  } finally {
    await svc.close();
  }
}

function jsonLine(s: SweepSummary) {
  return { picked: s.picked, byVerdict: s.byVerdict, byAction: s.byAction, errors: s.errors, durationMs: s.durationMs };
}

function humanSummary(s: SweepSummary, dryRun: boolean): string {
  const list = (m: Record<string, number>) =>
    Object.entries(m).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ') || '-';
  return [
    `sweep${dryRun ? ' (dry run: nothing applied)' : ''}: ${s.picked} orders in ${(s.durationMs / 1000).toFixed(1)} s (run ${s.runId})`,
    `  verdicts: ${list(s.byVerdict)}`,
    `  actions:  ${list(s.byAction)}${dryRun ? ' (suggested)' : ''}`,
    `  errors:   ${list(s.errors)}`,
  ].join('\n');
}

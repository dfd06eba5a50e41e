/**
 * `order-doctor report [--since 7d] [--json]`: the outcome report over the last window (default
 * 7 days): verdicts, actions, self-service rate, pay-to-key times, tickets, the sweep.
 * `--json` prints exactly one line, the OutcomeReport object.
 */
import type { Config } from '../config.ts';
import { formatTime } from '../domain/format.ts';
import { outcomeReport, type OutcomeReport } from '../reports/outcomes.ts';
import { createServices } from '../services.ts';
import { formatDuration } from './duration.ts';
import { parse, UsageError } from './args.ts';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `30m`, `24h`, `7d` -> milliseconds */
export function parseSince(v: string): number {
  const m = /^(\d{1,4})(m|h|d)$/.exec(v);
  if (!m || Number(m[1]) === 0) throw new UsageError(`--since '${v}': expected a window like 30m, 24h or 7d`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

export async function reportCommand(args: string[], config: Config): Promise<number> {
  const { values, positionals } = parse(args, { since: { type: 'string', default: '7d' }, json: { type: 'boolean' } });
  if (positionals.length) throw new UsageError(`report: unexpected argument '${positionals[0]}'`);
  const since = String(values.since);
  const windowMs = parseSince(since);
  const svc = await createServices(config);
  try {
    const until = svc.now();
    const report = await outcomeReport(svc.database, { since: new Date(until.getTime() - windowMs), until });
    console.log(values.json ? JSON.stringify(report) : humanReport(report, since));
    return 0;
  } finally {
    await svc.close();
  }
}

export function humanReport(r: OutcomeReport, window: string): string {
  const list = (m: Record<string, number>) => Object.entries(m).map(([k, n]) => `${k} ${n}`).join(', ') || '-';
  const percent = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);
  const wait = r.keys.payToKeySeconds;
  const last = r.sweep.lastRun;
  return [
    `order-doctor report: ${formatTime(r.since)} to ${formatTime(r.until)} (last ${window}, Beijing time)`,
    `  diagnoses     ${r.diagnoses.total} on ${r.diagnoses.orders} orders (${list(r.diagnoses.byActor)})`,
    `  verdicts      ${list(r.diagnoses.byVerdict)}`,
    `  actions       ${list(r.diagnoses.byAction)}`,
    `  self-service  ${r.selfService.closedWithoutAgent} of ${r.selfService.ordersChecked} orders checked by buyers closed without an agent (${percent(r.selfService.rate)})`,
    `  keys issued   ${r.keys.issued} to ${r.keys.orders} orders (${list(r.keys.byActor)})` +
      (wait ? `; payment to key p50 ${formatDuration(wait.p50)}, p90 ${formatDuration(wait.p90)}, max ${formatDuration(wait.max)}` : ''),
    `  tickets       ${r.tickets.opened} opened; ${r.tickets.openNow} open now, ${r.tickets.overdueNow} past their SLA`,
    `  sweep         ${r.sweep.runs} run${r.sweep.runs === 1 ? '' : 's'}` +
      (last ? `; last ${formatTime(last.startedAt)}: ${last.picked} orders in ${((last.durationMs ?? 0) / 1000).toFixed(1)} s, errors: ${list(last.errors)}` : ''),
  ].join('\n');
}

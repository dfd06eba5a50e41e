/**
 * `order-doctor report [--since 7d | --from YYYY-MM-DD --to YYYY-MM-DD] [--json]`: the outcome
 * report, with every section of the console's report page (/agent/report): verdicts, actions,
 * self-service rate, payment-to-key p50/p90, callback failures per gateway, SLA met per priority and
 * per agent, the buyers' answers, tickets, the sweep. Both are made by reports/console-report.ts
 * from the same queries, and say their figures with the same words (reports/words.ts), so the page
 * and the terminal never disagree. `--json` prints exactly one line: the object the page's
 * /agent/report.json exports for the same window.
 */
import type { Config } from '../config.ts';
import { formatTime } from '../domain/format.ts';
import { consoleReport, type ConsoleReport } from '../reports/console-report.ts';
import { parsePeriod, PRESETS, reportTimeZone, type Period } from '../reports/period.ts';
import type { SlaRow } from '../reports/sla.ts';
import { percent, share, slaText } from '../reports/words.ts';
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

/**
 * The period asked for: `--since` a window ending now (the page's presets and any other), or whole
 * days `--from`/`--to` in the shop's time zone, validated as the page validates them.
 */
export function periodOf(values: { since?: string; from?: string; to?: string }, now: Date, zone: string): Period {
  if (values.from !== undefined || values.to !== undefined) {
    if (values.since !== undefined) throw new UsageError('report: give --since, or --from and --to, not both');
    const parsed = parsePeriod({ from: values.from ?? '', to: values.to ?? '' }, now, zone);
    if (!parsed.ok) throw new UsageError(`report: ${parsed.error}`);
    return parsed.period;
  }
  const since = values.since ?? '7d';
  const ms = parseSince(since);
  if (since in PRESETS) {
    const parsed = parsePeriod({ period: since }, now, zone);
    if (parsed.ok) return parsed.period;
  }
  return { since: new Date(now.getTime() - ms), until: now, preset: null, timeZone: zone };
}

export async function reportCommand(args: string[], config: Config): Promise<number> {
  const { values, positionals } = parse(args, {
    since: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' },
  });
  if (positionals.length) throw new UsageError(`report: unexpected argument '${positionals[0]}'`);
  const asked = { since: values.since as string | undefined, from: values.from as string | undefined, to: values.to as string | undefined };
  const zone = reportTimeZone(config.shop);
  // checked before anything is opened (on the wall clock; again below on the services' own):
  // bad input writes nothing, not even a data directory
  periodOf(asked, new Date(), zone);
  const svc = await createServices(config);
  try {
    const period = periodOf(asked, svc.now(), zone);
    const report = await consoleReport(svc.database, period);
    const label = period.from ? `${period.from} to ${period.to}, ${zone} days` : `last ${asked.since ?? '7d'}`;
    console.log(values.json ? JSON.stringify(report) : humanReport(report, label));
    return 0;
  } finally {
    await svc.close();
  }
}

/** The report as a few lines; `window` says the period in words ("last 7d", "2026-11-01 to 2026-11-07, Asia/Shanghai days"). */
export function humanReport(r: ConsoleReport, window: string): string {
  const list = (m: Record<string, number>) => Object.entries(m).map(([k, n]) => `${k} ${n}`).join(', ') || '-';
  const wait = r.keys.payToKeySeconds;
  const last = r.sweep.lastRun;
  const callbacks = r.callbackFailures.map((c) => `${c.channel} ${share(c.missed, c.confirmed, c.rate)}`).join(', ');
  const sla = (label: string, row: SlaRow) => `    ${label.padEnd(12)} ${row.tickets} ticket${row.tickets === 1 ? '' : 's'}: first response ${slaText(row.firstResponse)}; resolution ${slaText(row.resolution)}`;
  const a = r.buyerAnswers;
  return [
    `order-doctor report: ${formatTime(r.since)} to ${formatTime(r.until)} Beijing time (${window})`,
    `  diagnoses     ${r.diagnoses.total} on ${r.diagnoses.orders} orders (${list(r.diagnoses.byActor)})`,
    `  verdicts      ${list(r.diagnoses.byVerdict)}`,
    `  actions       ${list(r.diagnoses.byAction)}`,
    `  self-service  ${r.selfService.closedWithoutAgent} of ${r.selfService.ordersChecked} orders checked by buyers closed without an agent (${percent(r.selfService.rate)})`,
    `  keys issued   ${r.keys.issued} to ${r.keys.orders} orders (${list(r.keys.byActor)})` +
      (wait ? `; payment to key p50 ${formatDuration(wait.p50)}, p90 ${formatDuration(wait.p90)}, max ${formatDuration(wait.max)}` : ''),
    `  callbacks     ${callbacks ? `payments the gateway confirmed that the shop's records missed: ${callbacks}` : 'no gateway-confirmed payment'}`,
    `  tickets       ${r.tickets.opened} opened; ${r.tickets.openNow} open now, ${r.tickets.overdueNow} past their SLA`,
    `  SLA met`,
    sla('all', r.sla.overall),
    ...r.sla.byPriority.map((row) => sla(row.key ?? 'none', row)),
    ...r.sla.byAgent.map((row) => sla(row.key ? `agent ${row.key}` : 'unassigned', row)),
    `  buyers        ${a.solved} solved, ${a.notSolved} not solved (${percent(a.rate)} solved)`,
    `  sweep         ${r.sweep.runs} run${r.sweep.runs === 1 ? '' : 's'}` +
      (last ? `; last ${formatTime(last.startedAt)}: ${last.picked} orders in ${((last.durationMs ?? 0) / 1000).toFixed(1)} s, errors: ${list(last.errors)}` : ''),
  ].join('\n');
}

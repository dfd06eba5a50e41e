/**
 * The console report as CSV: one figure a row (`section,key,metric,value`), every figure the page
 * and the JSON show, taken from the same ConsoleReport. Rates are fractions (0.6667), times seconds.
 */
import type { ConsoleReport } from './console-report.ts';
import type { SlaRow } from './sla.ts';

type Cell = string | number | null;

/** RFC 4180 quoting; a text cell a spreadsheet would run as a formula is defused with a leading quote. */
export function csvCell(v: Cell): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(6)));
  const text = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function reportCsv(r: ConsoleReport): string {
  const rows: Cell[][] = [['section', 'key', 'metric', 'value']];
  const add = (section: string, key: string | null, metric: string, value: Cell) => rows.push([section, key ?? '', metric, value]);
  add('period', null, 'since', r.since);
  add('period', null, 'until', r.until);
  add('period', null, 'preset', r.period.preset);
  add('period', null, 'from', r.period.from ?? null);
  add('period', null, 'to', r.period.to ?? null);
  add('period', null, 'time_zone', r.period.timeZone);
  add('diagnoses', null, 'total', r.diagnoses.total);
  add('diagnoses', null, 'orders', r.diagnoses.orders);
  for (const [k, n] of Object.entries(r.diagnoses.byActor)) add('diagnoses_by_actor', k, 'diagnoses', n);
  for (const [k, n] of Object.entries(r.diagnoses.byVerdict)) add('verdict', k, 'diagnoses', n);
  for (const [k, n] of Object.entries(r.diagnoses.byAction)) add('action', k, 'diagnoses', n);
  add('self_service', null, 'orders_checked', r.selfService.ordersChecked);
  add('self_service', null, 'closed_without_agent', r.selfService.closedWithoutAgent);
  add('self_service', null, 'rate', r.selfService.rate);
  add('keys', null, 'issued', r.keys.issued);
  add('keys', null, 'orders', r.keys.orders);
  for (const [k, n] of Object.entries(r.keys.byActor)) add('keys_by_actor', k, 'issued', n);
  const wait = r.keys.payToKeySeconds;
  add('pay_to_key', null, 'p50_seconds', wait?.p50 ?? null);
  add('pay_to_key', null, 'p90_seconds', wait?.p90 ?? null);
  add('pay_to_key', null, 'max_seconds', wait?.max ?? null);
  add('tickets', null, 'opened', r.tickets.opened);
  add('tickets', null, 'open_now', r.tickets.openNow);
  add('tickets', null, 'overdue_now', r.tickets.overdueNow);
  add('sweep', null, 'runs', r.sweep.runs);
  add('sweep', null, 'last_run_started_at', r.sweep.lastRun?.startedAt ?? null);
  for (const c of r.callbackFailures) {
    add('callback_failures', c.channel, 'confirmed', c.confirmed);
    add('callback_failures', c.channel, 'missed', c.missed);
    add('callback_failures', c.channel, 'rate', c.rate);
  }
  // per clock: `first_response_met`, `resolution_breached`, ...
  const sla = (section: string, row: SlaRow) => {
    add(section, row.key, 'tickets', row.tickets);
    for (const [clock, name] of [['firstResponse', 'first_response'], ['resolution', 'resolution']] as const) {
      for (const m of ['met', 'breached', 'running', 'rate'] as const) add(section, row.key, `${name}_${m}`, row[clock][m]);
    }
  };
  sla('sla', r.sla.overall);
  for (const row of r.sla.byPriority) sla('sla_by_priority', row);
  for (const row of r.sla.byAgent) sla('sla_by_agent', row);
  add('buyer_answers', null, 'solved', r.buyerAnswers.solved);
  add('buyer_answers', null, 'not_solved', r.buyerAnswers.notSolved);
  add('buyer_answers', null, 'rate', r.buyerAnswers.rate);
  for (const p of r.series.points) {
    add(`series_${r.series.unit}`, p.label, 'diagnoses', p.diagnoses);
    add(`series_${r.series.unit}`, p.label, 'auto_fixed', p.autoFixed);
    add(`series_${r.series.unit}`, p.label, 'escalated', p.escalated);
  }
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

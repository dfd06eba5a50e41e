/**
 * The outcome report in the console (issue 11 item 5): GET /agent/report (the page), and the same
 * figures as /agent/report.csv and /agent/report.json (or `?format=csv|json`). The period is
 * `?period=24h|7d|30d` or `?from=YYYY-MM-DD&to=YYYY-MM-DD` (days in the shop's time zone); bad input
 * is a 400 that says what is wrong (the page with its chooser, or problem+json / plain text for
 * the exports), never a 500. Mounted behind the session check, so only signed-in agents reach it.
 */
import type { Context, Hono } from 'hono';
import { consoleReport } from '../../reports/console-report.ts';
import { reportCsv } from '../../reports/csv.ts';
import { parsePeriod, reportTimeZone, type Period } from '../../reports/period.ts';
import type { Services } from '../../services.ts';
import { problem } from '../problem.ts';
import type { ConsoleEnv } from './env.ts';
import { page } from './render.tsx';
import { PeriodChooser, ReportPage, type PeriodInput } from './views/report.tsx';

type Format = 'html' | 'csv' | 'json';

/** the query string that asks for `period` again (exports link to the same window) */
function periodQuery(p: Period): string {
  return p.preset ? `period=${p.preset}` : `from=${p.from}&to=${p.to}`;
}

export function mountReport(con: Hono<ConsoleEnv>, svc: Services): void {
  const zone = reportTimeZone(svc.config.shop);

  const answer = async (c: Context<ConsoleEnv>, fixed?: Format) => {
    const q = { period: c.req.query('period'), from: c.req.query('from'), to: c.req.query('to') };
    const input: PeriodInput = { preset: q.from || q.to ? null : (q.period ?? '7d'), from: (q.from ?? '').slice(0, 10), to: (q.to ?? '').slice(0, 10) };
    const asked = fixed ?? c.req.query('format') ?? 'html';
    const format: Format | null = asked === 'html' || asked === 'csv' || asked === 'json' ? asked : null;
    const now = svc.now();
    const parsed = parsePeriod(q, now, zone);
    const error = !format ? `Unknown format “${asked.slice(0, 20)}”: html, csv or json.` : !parsed.ok ? parsed.error : null;
    if (error || !parsed.ok) {
      const why = error ?? 'bad period';
      if (format === 'json') return problem(c, 'invalid_request', why);
      if (format === 'csv') return c.text(`${why}\n`, 400);
      return page(c, 400, 'Outcome report', () => <PeriodChooser input={input} timeZone={zone} error={why} />);
    }
    const period = parsed.period;
    const report = await consoleReport(svc.database, period);
    const name = `order-doctor-report-${report.since.slice(0, 10)}-${report.until.slice(0, 10)}`;
    if (format === 'json') {
      return c.body(JSON.stringify(report), 200, { 'content-type': 'application/json; charset=utf-8' });
    }
    if (format === 'csv') {
      return c.body(reportCsv(report), 200, {
        'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}.csv"`,
      });
    }
    const shown: PeriodInput = period.preset ? { preset: period.preset, from: '', to: '' } : { preset: null, from: period.from!, to: period.to! };
    return page(c, 200, 'Outcome report', () => <ReportPage r={report} input={shown} query={periodQuery(period)} />);
  };

  con.get('/report', (c) => answer(c));
  con.get('/report.csv', (c) => answer(c, 'csv'));
  con.get('/report.json', (c) => answer(c, 'json'));
}

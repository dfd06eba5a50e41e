/**
 * The outcome report as the console shows and exports it (`/agent/report`, `.csv`, `.json`): the
 * very OutcomeReport `order-doctor report --json` prints for the same window (the same function,
 * its fields unchanged), plus what only the page has: callback failures per gateway, SLA met (per
 * clock: first response and resolution; overall, per priority, per agent: sla.ts), the
 * buyers' answers and the series the charts draw. One object: the page, the CSV and the JSON are
 * all made from it, so they cannot disagree.
 */
import type { Database } from '../db/client.ts';
import { buyerAnswers, type BuyerAnswers } from './feedback.ts';
import { callbackFailures, type CallbackFailures } from './callbacks.ts';
import { outcomeReport, type OutcomeReport } from './outcomes.ts';
import type { Period, Preset } from './period.ts';
import { diagnosisSeries, type Series } from './series.ts';
import { emptySlaRow, slaMet, type SlaRow } from './sla.ts';

export interface ConsoleReport extends OutcomeReport {
  period: { preset: Preset | null; from?: string; to?: string; timeZone: string };
  callbackFailures: CallbackFailures[];
  sla: { overall: SlaRow; byPriority: SlaRow[]; byAgent: SlaRow[] };
  buyerAnswers: BuyerAnswers;
  series: Series;
}

export async function consoleReport(database: Database, period: Period): Promise<ConsoleReport> {
  const window = { since: period.since, until: period.until };
  const [outcome, callbacks, overall, byPriority, byAgent, answers, series] = await Promise.all([
    outcomeReport(database, window),
    callbackFailures(database, window),
    slaMet(database, window, { by: 'all' }),
    slaMet(database, window, { by: 'priority' }),
    slaMet(database, window, { by: 'agent' }),
    buyerAnswers(database, window),
    diagnosisSeries(database, window, period.timeZone),
  ]);
  return {
    ...outcome,
    period: { preset: period.preset, ...(period.from ? { from: period.from, to: period.to } : {}), timeZone: period.timeZone },
    callbackFailures: callbacks,
    sla: { overall: overall[0] ?? emptySlaRow(), byPriority, byAgent },
    buyerAnswers: answers,
    series,
  };
}

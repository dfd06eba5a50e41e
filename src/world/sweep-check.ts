/**
 * `"as": "sweep"` in a scenario: one sweep over the whole world at its `now`, reporting the line
 * for one order (`not_selected` when the sweep rightly left it alone).
 */
import type { Services } from '../services.ts';
import type { Action, Explanation, Verdict } from '../domain/verdicts.ts';
import { runSweep, type SweepItem } from '../jobs/sweep.ts';

export async function runSweepCheck(
  svc: Services,
  orderNo: string,
): Promise<{ verdict?: Verdict; action?: Action; error?: string; explanation?: Explanation }> {
  let mine: SweepItem | undefined;
  await runSweep(svc, {
    sweeperId: 'scenario',
    onResult: (item) => {
      if (item.orderNo === orderNo || item.result?.orderNo === orderNo) mine = item;
    },
    log: () => {},
  });
  if (!mine) return { error: 'not_selected' };
  if (!mine.result) return { error: mine.error ?? 'sweep_failed' };
  return { verdict: mine.result.verdict, action: mine.result.action, explanation: mine.result.explanation };
}

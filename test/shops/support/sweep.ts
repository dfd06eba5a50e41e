import { runSweep, type SweepItem } from '../../../src/jobs/sweep.ts';
import type { Services } from '../../../src/services.ts';

/** One sweep run: its summary, and each order it handled as `VERDICT/action` (or the error it met). */
export async function sweepOnce(svc: Services) {
  const items: SweepItem[] = [];
  const summary = await runSweep(svc, { sweeperId: 'test', log: () => {}, onResult: (i) => items.push(i) });
  return { summary, byOrder: Object.fromEntries(items.map((i) => [i.orderNo, i.result ? `${i.result.verdict}/${i.result.action}` : `error: ${i.error}`])) };
}

/**
 * The in-process schedule of `serve`: one sweep every SWEEP_INTERVAL, each awaited before the
 * next is timed (runs never overlap), errors logged and never thrown, stopped on shutdown: a run in
 * progress finishes the orders it is diagnosing, lets go of the ones it claimed but had not
 * started, and is recorded.
 */
import { hostname } from 'node:os';
import type { Services } from '../services.ts';
import { runSweep } from './sweep.ts';
import { startLoop, type Loop } from './loop.ts';
import { describeError } from '../observability/errors.ts';

export type SweepLoop = Loop;

/**
 * @param log where whole lines go (tests); default: the services' logger, a structured line per
 * run that picked orders and per failure
 */
export function startSweepLoop(svc: Services, intervalMs: number, log?: (line: string) => void): SweepLoop {
  const sweeperId = `serve:${hostname()}:${process.pid}`;
  return startLoop(async (signal) => {
    const s = await runSweep(svc, { sweeperId, log, signal });
    if (!s.picked) return;
    if (log) log(`sweep: ${s.picked} orders, ${JSON.stringify(s.byAction)} in ${s.durationMs} ms`);
    else {
      svc.logger.info({
        component: 'sweep', runId: s.runId, picked: s.picked, byVerdict: s.byVerdict, byAction: s.byAction, errors: s.errors, ms: s.durationMs,
      }, `sweep: ${s.picked} orders in ${s.durationMs} ms`);
    }
  }, intervalMs, (err) => {
    if (log) log(`sweep failed: ${err instanceof Error ? err.message : String(err)}`);
    else svc.logger.error({ component: 'sweep', error: describeError(err, { stacks: false }) }, 'sweep failed');
  });
}

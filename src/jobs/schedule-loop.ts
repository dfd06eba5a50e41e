/**
 * The in-process schedule of `serve`: one sweep every SWEEP_INTERVAL, each awaited before the
 * next is timed (runs never overlap), errors logged and never thrown, stopped on shutdown.
 */
import { hostname } from 'node:os';
import type { Services } from '../services.ts';
import { runSweep } from './sweep.ts';
import { startLoop, type Loop } from './loop.ts';

export type SweepLoop = Loop;

export function startSweepLoop(svc: Services, intervalMs: number, log: (line: string) => void = console.error): SweepLoop {
  const sweeperId = `serve:${hostname()}:${process.pid}`;
  return startLoop(async () => {
    const s = await runSweep(svc, { sweeperId, log });
    if (s.picked) log(`sweep: ${s.picked} orders, ${JSON.stringify(s.byAction)} in ${s.durationMs} ms`);
  }, intervalMs, (err) => log(`sweep failed: ${err instanceof Error ? err.message : String(err)}`));
}

/**
 * The in-process schedule of `serve`: one sweep every SWEEP_INTERVAL, each awaited before the
 * next is timed (runs never overlap), errors logged and never thrown, stopped on shutdown.
 */
import { hostname } from 'node:os';
import type { Services } from '../services.ts';
import { runSweep } from './sweep.ts';

export interface SweepLoop {
  /** stops the timer and waits for a run in progress to end */
  stop(): Promise<void>;
}

export function startSweepLoop(svc: Services, intervalMs: number, log: (line: string) => void = console.error): SweepLoop {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  const sweeperId = `serve:${hostname()}:${process.pid}`;

  const tick = async () => {
    try {
      const s = await runSweep(svc, { sweeperId, log });
      if (s.picked) log(`sweep: ${s.picked} orders, ${JSON.stringify(s.byAction)} in ${s.durationMs} ms`);
    } catch (err) {
      log(`sweep failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const plan = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().then(plan);
    }, intervalMs);
  };
  plan();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

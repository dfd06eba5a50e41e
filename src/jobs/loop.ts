/**
 * A repeating background task of `serve`: one run every interval, each awaited before the next is
 * timed (runs never overlap), errors logged and never thrown, stopped on shutdown.
 */
export interface Loop {
  /** stops the timer and waits for a run in progress to end */
  stop(): Promise<void>;
}

export function startLoop(run: () => Promise<void>, intervalMs: number, onError: (err: unknown) => void): Loop {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => run().catch(onError);
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

/**
 * A repeating background task of `serve`: one run every interval, each awaited before the next is
 * timed (runs never overlap), errors logged and never thrown, stopped on shutdown.
 */
export interface Loop {
  /**
   * Stops the timer, tells the run in progress to wind down (its signal aborts: it finishes what it
   * has started and takes nothing new), and waits for it to end.
   */
  stop(): Promise<void>;
}

export function startLoop(run: (signal: AbortSignal) => Promise<void>, intervalMs: number, onError: (err: unknown) => void): Loop {
  let stopped = false;
  const stopping = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => run(stopping.signal).catch(onError);
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
      stopping.abort();
      clearTimeout(timer);
      await running;
    },
  };
}

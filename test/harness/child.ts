/**
 * Runs kill-child.ts in a real process and reports how it ended: by SIGKILL at a named point (its
 * own line says which), by SIGKILL from here after a random delay, or by finishing its work.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const RUN_TS = fileURLToPath(new URL('../../bin/run-ts.js', import.meta.url));
const CHILD = fileURLToPath(new URL('./kill-child.ts', import.meta.url));
/** Inside the project, so that the bundle's packages (left outside it) resolve from node_modules. */
const BUNDLE = fileURLToPath(new URL(`../../node_modules/.cache/order-doctor-harness/kill-child-${process.pid}.mjs`, import.meta.url));

/** How the child is started: `node bin/run-ts.js kill-child.ts`, or its bundle when esbuild is at hand. */
let command: string[] = [RUN_TS, CHILD];

/**
 * Bundles the child once (esbuild, which tsx runs on anyway: the same transform), so each of the
 * harness' thirty-odd starts costs ~0.7 s instead of ~1.8 s of loading TypeScript through tsx's
 * hooks. Without esbuild the child runs through bin/run-ts.js, only slower.
 */
export async function prepareChild(): Promise<() => void> {
  try {
    const { build } = (await import('esbuild' as string)) as {
      build(o: Record<string, unknown>): Promise<unknown>;
    };
    await build({
      entryPoints: [CHILD], outfile: BUNDLE, bundle: true, platform: 'node', format: 'esm', target: 'node20',
      packages: 'external', logLevel: 'warning',
    });
    command = [BUNDLE];
  } catch {
    command = [RUN_TS, CHILD];
  }
  return () => rmSync(BUNDLE, { force: true });
}
/** A child that takes longer than this is stuck (a lock never released): the round fails. */
const CHILD_DEADLINE_MS = 60_000;

/** `at`: a named point (`<phase>:<point>@<n>`), `retries`: how many tries before this one missed it; `afterMs`: SIGKILL from here, that long after `ready`. */
export type Kill = { at: string; retries?: number } | { afterMs: number } | null;

export interface ChildEnd {
  /** `killed at check:delivered 1`, `killed after 420 ms`, `finished` */
  how: string;
  killed: boolean;
  /** what the child counted by the time it finished (only when it did) */
  reached?: Record<string, number>;
  outcomes?: Record<string, number>;
  ms: number;
  output: string;
}

export async function runChild(env: Record<string, string>, kill: Kill): Promise<ChildEnd> {
  const started = performance.now();
  const proc = spawn(process.execPath, command, {
    env: { PATH: process.env.PATH ?? '', ...env, HARNESS_KILL: kill && 'at' in kill ? kill.at : '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let killedHere = false;
  proc.stdout.on('data', (d) => {
    stdout += String(d);
    if (kill && 'afterMs' in kill && !timer && /^ready$/m.test(stdout)) {
      timer = setTimeout(() => { killedHere = true; proc.kill('SIGKILL'); }, kill.afterMs);
    }
  });
  proc.stderr.on('data', (d) => { stderr += String(d); });
  const deadline = setTimeout(() => proc.kill('SIGKILL'), CHILD_DEADLINE_MS);
  const how = await new Promise<NodeJS.Signals | number | null>((r) => proc.on('exit', (code, signal) => r(signal ?? code)));
  clearTimeout(deadline);
  clearTimeout(timer);
  const ms = Math.round(performance.now() - started);
  const output = `stdout: ${stdout}\nstderr: ${stderr}`;
  const named = /^killed (\S+) (\d+)$/m.exec(stdout);
  const done = /^done (.*)$/m.exec(stdout);
  if (how === 'SIGKILL' && named) return { how: `killed at ${named[1]} #${named[2]}`, killed: true, ms, output };
  if (how === 'SIGKILL' && killedHere) return { how: `killed after ${(kill as { afterMs: number }).afterMs} ms`, killed: true, ms, output };
  if (how === 0 && done) {
    const summary = JSON.parse(done[1]!) as { reached: Record<string, number>; outcomes: Record<string, number> };
    return { how: 'finished', killed: false, reached: summary.reached, outcomes: summary.outcomes, ms, output };
  }
  throw new Error(`the child ended badly (${how}${how === 'SIGKILL' ? ', past its deadline?' : ''}) after ${ms} ms:\n${output}`);
}

/**
 * `order-doctor shop check` run as an operator runs it, in a child process with nothing of this
 * one's environment but PATH and HOME, for every shop's shop-check CLI suite (test/cli/shop-check*.test.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
  /** how long the command took, start to exit */
  ms: number;
}

/** A runner of `order-doctor <args>` with its data directory in a fresh temporary one (named after `tmpPrefix`). */
export function orderDoctorCli(tmpPrefix: string): (args: string[], env?: Record<string, string>) => Promise<CliOutcome> {
  const tmp = mkdtempSync(join(tmpdir(), tmpPrefix));
  return async (args, env = {}) => {
    const started = performance.now();
    try {
      const { stdout, stderr } = await run('node', ['bin/order-doctor.js', ...args], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: join(tmp, 'data'), ...env },
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr, ms: performance.now() - started };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr, ms: performance.now() - started };
    }
  };
}

/**
 * `order-doctor serve` as a real child process on DATA_DIR and a free port, for the tests that
 * need the whole process (the DATA_DIR lock, signals, shutdown). Resolves once it listens.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ServeProcess {
  child: ChildProcess;
  port: number;
  /** the agent token a seeded demo or world prints; undefined when none was printed */
  token?: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | NodeJS.Signals | null>;
}

export async function startServe(
  dataDir: string,
  opts: { args?: string[]; env?: Record<string, string>; waitForToken?: boolean } = {},
): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['bin/order-doctor.js', 'serve', ...(opts.args ?? [])], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, PORT: '0', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => { out += String(d); });
  child.stderr!.on('data', (d) => { err += String(d); });
  const exited = new Promise<number | NodeJS.Signals | null>((r) => child.on('exit', (code, signal) => r(signal ?? code)));
  const deadline = Date.now() + 90_000;
  for (;;) {
    const port = /listening on http:\/\/localhost:(\d+)/.exec(out)?.[1];
    const token = /^agent token: (\S+)$/m.exec(out)?.[1];
    if (port && (token || !opts.waitForToken)) return { child, port: Number(port), token, stdout: () => out, stderr: () => err, exited };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start: ${out}${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

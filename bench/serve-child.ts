/**
 * `order-doctor serve --world FILE` in a child process, for the benches that measure a real server
 * from outside (bench/load.ts, bench/ab-serve.ts): on PGlite in a scratch DATA_DIR or on a scratch
 * Postgres database made next to an admin URL, its upstreams the bench's sandbox process,
 * RATE_LIMITS=off (every bench connection comes from 127.0.0.1), its JSON log in a file. `tree`
 * serves another checkout's bin/order-doctor.js (node_modules linked) under the same harness.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { request, type Dispatcher } from 'undici';
import { newMasterKey } from '../src/crypto/secret-box.ts';
import { sandboxGatewayEnv } from '../src/sandbox/credentials.ts';
import { scratchPostgres } from './scratch-postgres.ts';

export interface ServeChild {
  base: string;
  child: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

export async function startServeChild(opts: {
  /** scratch directory of this server: its log and PGlite data go here */
  dir: string;
  worldFile: string;
  sandboxUrl: string;
  /** a Postgres admin URL: the server gets a scratch database next to it (dropped on stop); else PGlite */
  db?: string;
  /** another checkout to serve from */
  tree?: string;
  /** node flags before the script (--cpu-prof, --max-semi-space-size=...) */
  nodeArgs?: string[];
}): Promise<ServeChild> {
  mkdirSync(opts.dir, { recursive: true });
  const scratch = opts.db ? await scratchPostgres(opts.db, 'od_load') : undefined;
  const port = await freePort();
  const logFile = join(opts.dir, 'server.log');
  const logFd = openSync(logFile, 'w');
  const env: NodeJS.ProcessEnv = {
    ...process.env, ...sandboxGatewayEnv(opts.sandboxUrl),
    PORT: String(port), HOST: '127.0.0.1', DATA_DIR: join(opts.dir, 'data'), CARD_KEY_SECRET: newMasterKey(), RATE_LIMITS: 'off',
  };
  delete env.DATABASE_URL;
  if (scratch) env.DATABASE_URL = scratch.url;
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), 'bin/order-doctor.js', 'serve', '--world', opts.worldFile], {
    env, stdio: ['ignore', logFd, logFd], cwd: opts.tree ?? '.',
  });
  closeSync(logFd);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await scratch?.drop();
  };
  try {
    await waitForLine(logFile, /order-doctor listening on (\S+)/, child, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { base: `http://127.0.0.1:${port}`, child, logFile, stop };
}

/** the secret every bench world (in-progress-world.ts) gives its orders */
const CHECK_BODY = JSON.stringify({ secret: '8462' });

/** One buyer's check of `orderNo` on a served child. */
export async function postCheck(base: string, orderNo: string, dispatcher: Dispatcher): Promise<{ status: number; text: string }> {
  const res = await request(`${base}/api/v1/orders/${orderNo}/check`, {
    method: 'POST', body: CHECK_BODY, headers: { 'content-type': 'application/json' }, dispatcher,
  });
  return { status: res.statusCode, text: await res.body.text() };
}

/** RSS and CPU time (user + system, ms) of a process, from /proc (Linux). */
export function procStats(pid: number): { rssMb: number; cpuMs: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { rssMb: rssKb / 1024, cpuMs: (Number(f[11]) + Number(f[12])) * 10 };
  } catch {
    return null;
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitForLine(file: string, re: RegExp, child: ChildProcess, timeoutMs: number): Promise<RegExpExecArray> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const m = re.exec(readFileSync(file, 'utf8'));
    if (m) return m;
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${readFileSync(file, 'utf8').slice(-2000)}`);
    if (Date.now() > until) throw new Error(`the server did not start in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

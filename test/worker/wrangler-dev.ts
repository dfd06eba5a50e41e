/**
 * `wrangler dev` (local workerd, no Cloudflare account, no network) as a child process of the
 * test: order-doctor's Worker on a free port, its Hyperdrive binding pointed at a local Postgres
 * database, `--test-scheduled` so /__scheduled fires the cron handler.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const WRANGLER = join(process.cwd(), 'node_modules/.bin/wrangler');

/** Whether wrangler (which bundles its workerd) is installed at all. */
export const wranglerInstalled = (): boolean => existsSync(WRANGLER);

export interface WranglerDev {
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Hyperdrive's local connection string must carry a password (wrangler refuses one without);
 * a trust-auth server ignores it.
 */
export function withPassword(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  if (!u.password) u.password = 'local';
  return u.toString();
}

/** Starts the Worker with `vars` (secrets included) in an env file of its own; resolves once it answers. */
export async function startWranglerDev(opts: { databaseUrl: string; vars: Record<string, string> }): Promise<WranglerDev> {
  const dir = mkdtempSync(join(tmpdir(), 'od-wrangler-'));
  const envFile = join(dir, 'worker.vars');
  // double-quoted: dotenv turns the \n of a PEM key back into line breaks
  writeFileSync(envFile, Object.entries(opts.vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n') + '\n', { mode: 0o600 });
  const [port, inspector] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn(WRANGLER, [
    'dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector),
    '--local', '--test-scheduled', '--env-file', envFile, '--persist-to', join(dir, 'state'), '--show-interactive-dev-session=false',
  ], {
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: 'false',
      CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: withPassword(opts.databaseUrl),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: stop() ends wrangler and the workerd it started
  });
  let out = '';
  child.stdout!.on('data', (d) => { out += String(d); });
  child.stderr!.on('data', (d) => { out += String(d); });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid!, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (!/Ready on http/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, output: () => out, stop };
}

/**
 * `wrangler dev` (local workerd, no Cloudflare account, no network) as a child process of the
 * test: order-doctor's Worker on a free port, its Hyperdrive binding pointed at a local Postgres
 * database, `--test-scheduled` so /__scheduled fires the cron handler. Given a shop database
 * (SHOP=dujiao-next), a config of its own binds SHOP_HYPERDRIVE to it as well (shopConfig).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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

/**
 * The repo's wrangler.toml with the SHOP_HYPERDRIVE binding added (it is commented out there: a
 * deployment names its own shop), every path made absolute so the copy works from `dir`.
 */
export function shopConfig(dir: string): string {
  const repo = process.cwd();
  const toml = readFileSync(join(repo, 'wrangler.toml'), 'utf8');
  const withShop = toml
    .replace(/^main = "(.+)"$/m, (_, main: string) => `main = ${JSON.stringify(resolve(repo, main))}`)
    .replace(/^("[^"\n]+" = )"(\.\/[^"]+)"$/gm, (_, name: string, path: string) => `${name}${JSON.stringify(resolve(repo, path))}`)
    .replace(/^binding = "HYPERDRIVE"\nid = .*$/m, (block) => `${block}\n\n[[hyperdrive]]\nbinding = "SHOP_HYPERDRIVE"\nid = "11111111111111111111111111111111"`);
  if (!withShop.includes('"SHOP_HYPERDRIVE"')) throw new Error('wrangler.toml: no [[hyperdrive]] HYPERDRIVE block to add SHOP_HYPERDRIVE after');
  const path = join(dir, 'wrangler.toml');
  writeFileSync(path, withShop);
  return path;
}

/**
 * Starts the Worker with `vars` (secrets included) in an env file of its own; resolves once it
 * answers. `shopDatabaseUrl`: a dujiao-next shop's database behind SHOP_HYPERDRIVE.
 */
export async function startWranglerDev(opts: { databaseUrl: string; shopDatabaseUrl?: string; vars: Record<string, string> }): Promise<WranglerDev> {
  const dir = mkdtempSync(join(tmpdir(), 'od-wrangler-'));
  const envFile = join(dir, 'worker.vars');
  // double-quoted: dotenv turns the \n of a PEM key back into line breaks
  writeFileSync(envFile, Object.entries(opts.vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n') + '\n', { mode: 0o600 });
  const [port, inspector] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn(WRANGLER, [
    'dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector),
    '--local', '--test-scheduled', '--env-file', envFile, '--persist-to', join(dir, 'state'), '--show-interactive-dev-session=false',
    ...(opts.shopDatabaseUrl ? ['--config', shopConfig(dir)] : []),
  ], {
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: 'false',
      CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: withPassword(opts.databaseUrl),
      ...(opts.shopDatabaseUrl ? { CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_SHOP_HYPERDRIVE: withPassword(opts.shopDatabaseUrl) } : {}),
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

/** A buyer's check through the Worker: POST /api/v1/orders/{orderNo}/check. */
export function checkOrder(worker: WranglerDev, orderNo: string, secret: string): Promise<Response> {
  return fetch(`${worker.url}/api/v1/orders/${orderNo}/check`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret }),
  });
}

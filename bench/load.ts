/**
 * `npm run bench:load`: a bounded load test of the customer check against a real server. It is a
 * script that prints numbers (and exits 1 when a request failed), not a timed test.
 *
 *   npm run bench:load -- [--connections 200] [--seconds 60] [--latency 50] [--orders 64]
 *                         [--db postgres://...] [--cpu-prof DIR] [--tree DIR]
 *
 * - the server is `order-doctor serve --world FILE` in a child process (JSON logs to a file, the
 *   sweep and the metrics on, as in production), on PGlite in a scratch DATA_DIR, or on a scratch
 *   database created next to `--db` (and dropped afterwards);
 * - its gateways and supplier are the sandbox upstreams in a third process (bench/sandbox-server.ts,
 *   playing the same world, every answer after `--latency` ms), so their signing does not count
 *   against the server;
 * - RATE_LIMITS=off: the buyer limits are per source and every connection here comes from
 *   127.0.0.1, so with them on nearly every check would be a 429 (those are counted apart anyway);
 * - the orders are supplier orders whose payment is verified and whose supplier is still working:
 *   every check asks the gateway and the supplier, changes no state (DELIVERY_IN_PROGRESS, action
 *   none) and persists a diagnosis, as `npm run bench` does;
 * - `--connections` keep-alive connections (undici), each sending its next check as soon as the
 *   last one is answered, for `--seconds`;
 * - prints errors (anything but 200 and 429, and failed requests), 429s, p50/p99 latency,
 *   throughput, the server's CPU ms per check, and its RSS sampled every 5 s (first/last/max);
 * - `--cpu-prof DIR`: the server runs under `node --cpu-prof` and writes its profile into DIR;
 * - `--tree DIR`: the server is another checkout's `bin/order-doctor.js` (e.g. the commit an issue
 *   was filed at, node_modules linked), under the same sandbox, world and load: a before/after of
 *   the server alone. Run the two alternately; the machine drifts between runs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';
import { startSandboxProcess } from './sandbox-process.ts';
import { postCheck, procStats, startServeChild } from './serve-child.ts';
import { inProgressWorld } from './in-progress-world.ts';

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '60' },
    latency: { type: 'string', default: '50' },
    orders: { type: 'string', default: '64' },
    db: { type: 'string' },
    'cpu-prof': { type: 'string' },
    tree: { type: 'string' },
  },
});
const num = (name: string, v: string, min: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got '${v}'`);
  return n;
};
const CONNECTIONS = num('connections', args.connections!, 1);
const SECONDS = num('seconds', args.seconds!, 1);
const LATENCY = num('latency', args.latency!, 0);
const N_ORDERS = num('orders', args.orders!, 1);
const RSS_EVERY_MS = 5_000;

const dir = mkdtempSync(join(tmpdir(), 'od-load-'));

const worldFile = join(dir, 'world.json');
const w = inProgressWorld('load', N_ORDERS, '20261122');
writeFileSync(worldFile, JSON.stringify(w));

const sandbox = await startSandboxProcess({ latencyMs: LATENCY, worldFile });
const nodeArgs = args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', args['cpu-prof']] : [];
const served = await startServeChild({ dir, worldFile, sandboxUrl: sandbox.url, db: args.db, tree: args.tree, nodeArgs }).catch((err: unknown) => {
  sandbox.stop();
  throw err;
});
const server = served.child;
const logFile = served.logFile;

let exitCode = 0;
try {
  const base = served.base;
  const dispatcher = new Agent({ connections: CONNECTIONS, keepAliveTimeout: 30_000, pipelining: 1 });
  const check = (i: number) => postCheck(base, w.orders[i % w.orders.length]!.orderNo, dispatcher);
  // warm-up: every connection opened, the JIT and the key imports done; then make sure it answers as expected
  let warm = 0;
  await Promise.all(Array.from({ length: Math.min(CONNECTIONS, 64) }, async () => {
    for (let k = 0; k < 4; k++) await check(warm++);
  }));
  const probe = await check(0);
  const verdict = (JSON.parse(probe.text) as { verdict?: string }).verdict;
  if (probe.status !== 200 || verdict !== 'DELIVERY_IN_PROGRESS') throw new Error(`unexpected answer ${probe.status}: ${probe.text.slice(0, 300)}`);

  const times: number[] = [];
  const statuses = new Map<number, number>();
  const failures = new Map<string, number>();
  let next = 0;
  const rss: number[] = [];
  const cpu0 = procStats(server.pid!);
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  const sampler = setInterval(() => {
    const s = procStats(server.pid!);
    if (s) rss.push(s.rssMb);
  }, RSS_EVERY_MS);
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (performance.now() < deadline) {
      const t = performance.now();
      try {
        const { status } = await check(next++);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 200) times.push(performance.now() - t);
      } catch (err) {
        const m = (err as Error).message;
        failures.set(m, (failures.get(m) ?? 0) + 1);
      }
    }
  }));
  const wall = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const cpu1 = procStats(server.pid!);
  await dispatcher.close();

  const sorted = times.sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  const ok = statuses.get(200) ?? 0;
  const limited = statuses.get(429) ?? 0;
  const other = [...statuses].filter(([s]) => s !== 200 && s !== 429);
  const errors = other.reduce((a, [, n]) => a + n, 0) + [...failures.values()].reduce((a, n) => a + n, 0);
  const logs = readFileSync(logFile, 'utf8').split('\n');
  const bad = logs.filter((l) => /"level":"(warn|error|fatal)"/.test(l));
  console.log(`order-doctor load: ${CONNECTIONS} connections, ${SECONDS} s, upstream latency ${LATENCY} ms, ${N_ORDERS} orders, ${args.db ? 'postgres' : 'pglite'}, node ${process.version}${args.tree ? `, server from ${args.tree}` : ''}`);
  console.log(`  requests        ${ok + limited + errors} (200: ${ok}, 429: ${limited}, errors: ${errors})`);
  for (const [s, n] of other) console.log(`    status ${s}: ${n}`);
  for (const [m, n] of failures) console.log(`    failed: ${m} x${n}`);
  console.log(`  throughput      ${(ok / wall).toFixed(0)} checks/s`);
  console.log(`  latency ms      p50 ${pct(50).toFixed(1)}  p99 ${pct(99).toFixed(1)}  max ${pct(100).toFixed(1)}`);
  if (cpu0 && cpu1) console.log(`  server CPU      ${((cpu1.cpuMs - cpu0.cpuMs) / Math.max(1, ok)).toFixed(2)} ms per check`);
  if (rss.length) {
    console.log(`  server RSS MB   first ${rss[0]!.toFixed(0)}  last ${rss.at(-1)!.toFixed(0)}  max ${Math.max(...rss).toFixed(0)}  (every ${RSS_EVERY_MS / 1000} s: ${rss.map((r) => r.toFixed(0)).join(' ')})`);
  }
  console.log(`  server log      ${logs.length - 1} lines, ${bad.length} warn/error${bad.length ? `; first: ${bad[0]!.slice(0, 300)}` : ''}`);
  if (errors > 0) exitCode = 1;
} catch (err) {
  console.error(`bench:load: ${(err as Error).message}`);
  exitCode = 1;
} finally {
  await served.stop();
  sandbox.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(exitCode);

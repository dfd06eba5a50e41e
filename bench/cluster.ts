/**
 * `npm run bench:cluster`: buyer checks per second with 1, 2 and 3 `serve` processes on one
 * Postgres, in the same run. Prints numbers and ratios; asserts nothing (exits 1 only when a
 * request failed).
 *
 *   npm run bench:cluster -- [--db postgres://...] [--connections 48] [--seconds 15] [--latency 20]
 *                            [--orders 64] [--limits on|off]
 *
 * - three processes on a scratch database created next to `--db` (default DATABASE_URL) and
 *   dropped afterwards, each with its own sweep, the gateways and the supplier played by the
 *   sandbox upstreams in a process of their own (test/cluster/cluster.ts);
 * - for k = 1, 2, 3 the same `--connections` keep-alive connections are spread over the first k
 *   processes (the client balances, so no proxy shares the CPU), for `--seconds` after a warm-up;
 * - every check comes from an address of its own (TRUST_PROXY=on, X-Forwarded-For), so the buyer
 *   limits are on and shared through the database, as in production, and none is a 429;
 *   `--limits off` measures without them;
 * - the orders are supplier orders still being fulfilled: every check asks the gateway and the
 *   supplier, changes nothing and persists a diagnosis (as bench/load.ts);
 * - on a 2-core machine the ratio says whether processes add anything, not the absolute numbers:
 *   the load average is printed before and after.
 */
import { loadavg, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { Agent, request } from 'undici';
import { startCluster } from '../test/cluster/cluster.ts';
import { inProgressWorld } from './in-progress-world.ts';
import { scratchPostgres } from './scratch-postgres.ts';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: process.env.DATABASE_URL },
    connections: { type: 'string', default: '48' },
    seconds: { type: 'string', default: '15' },
    latency: { type: 'string', default: '20' },
    orders: { type: 'string', default: '64' },
    limits: { type: 'string', default: 'on' },
  },
});
const num = (name: string, v: string, min: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got '${v}'`);
  return n;
};
if (!args.db) throw new Error('--db postgres://USER@HOST:5432/postgres (or DATABASE_URL) is needed: N processes share one Postgres');
if (args.limits !== 'on' && args.limits !== 'off') throw new Error(`--limits: expected on or off, got '${args.limits}'`);
const CONNECTIONS = num('connections', args.connections!, 1);
const SECONDS = num('seconds', args.seconds!, 1);
const LATENCY = num('latency', args.latency!, 0);
const N_ORDERS = num('orders', args.orders!, 1);
const PROCESSES = 3;


const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const scratch = await scratchPostgres(args.db, 'od_cluster');
const url = new URL(scratch.url);

let exitCode = 0;
const loadBefore = load();
const w = inProgressWorld('cluster bench', N_ORDERS, '20261201');
const cluster = await startCluster({
  databaseUrl: url.toString(), world: w, processes: PROCESSES, latencyMs: LATENCY,
  env: { TRUST_PROXY: 'on', RATE_LIMITS: args.limits, SWEEP_INTERVAL: '10s' },
});
try {
  const agents = cluster.nodes.map(() => new Agent({ connections: CONNECTIONS, keepAliveTimeout: 30_000, pipelining: 1 }));
  const body = JSON.stringify({ secret: '8462' });
  let asker = 0;
  /** a fresh address for every check: 10.a.b.c, one source each */
  const nextIp = () => {
    const n = ++asker;
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  };
  const check = async (node: number, i: number) => {
    const res = await request(`http://127.0.0.1:${cluster.nodes[node]!.port}/api/v1/orders/${w.orders[i % w.orders.length]!.orderNo}/check`, {
      method: 'POST', body, headers: { 'content-type': 'application/json', 'x-forwarded-for': nextIp() }, dispatcher: agents[node],
    });
    return { status: res.statusCode, text: await res.body.text() };
  };

  // warm-up on every process: connections, JIT, key imports; then one answer checked for its verdict
  await Promise.all(cluster.nodes.map((_, node) => Promise.all(Array.from({ length: 16 }, (_, i) => check(node, i)))));
  const probe = await check(0, 0);
  const verdict = (JSON.parse(probe.text) as { verdict?: string }).verdict;
  if (probe.status !== 200 || verdict !== 'DELIVERY_IN_PROGRESS') throw new Error(`unexpected answer ${probe.status}: ${probe.text.slice(0, 300)}`);

  const results: Array<{ k: number; rate: number; p50: number; p99: number; errors: number; limited: number }> = [];
  for (let k = 1; k <= PROCESSES; k++) {
    const times: number[] = [];
    let errors = 0;
    let limited = 0;
    let next = 0;
    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    await Promise.all(Array.from({ length: CONNECTIONS }, async (_, c) => {
      while (performance.now() < deadline) {
        const t = performance.now();
        try {
          const { status } = await check(c % k, next++);
          if (status === 200) times.push(performance.now() - t);
          else if (status === 429) limited++;
          else errors++;
        } catch {
          errors++;
        }
      }
    }));
    const wall = (performance.now() - started) / 1000;
    const sorted = times.sort((a, b) => a - b);
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
    results.push({ k, rate: times.length / wall, p50: pct(50), p99: pct(99), errors, limited });
  }
  await Promise.all(agents.map((a) => a.close()));
  const scratchDb = postgres(url.toString(), { max: 1, onnotice: () => {} });
  const [rows] = await scratchDb<{ n: number }[]>`select count(*)::int as n from buyer_limits`;
  await scratchDb.end();

  console.log(`order-doctor cluster: ${CONNECTIONS} connections, ${SECONDS} s per step, upstream latency ${LATENCY} ms, ${N_ORDERS} orders, ` +
    `buyer limits ${args.limits === 'on' ? 'on (shared through Postgres)' : 'off'}, node ${process.version}, ${cpus().length} CPUs`);
  console.log(`  load average    before ${loadBefore}, after ${load()}`);
  for (const r of results) {
    console.log(`  ${r.k} process${r.k > 1 ? 'es' : '  '}     ${r.rate.toFixed(0).padStart(5)} checks/s  x${(r.rate / results[0]!.rate).toFixed(2)}` +
      `  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  (429: ${r.limited}, errors: ${r.errors})`);
    if (r.errors > 0) exitCode = 1;
  }
  console.log(`  buyer_limits    ${rows?.n ?? 0} rows at the end`);
} catch (err) {
  console.error(`bench:cluster: ${(err as Error).message}`);
  exitCode = 1;
} finally {
  await cluster.stop();
  await scratch.drop();
}
process.exit(exitCode);

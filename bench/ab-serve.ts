/**
 * A/B of two servers' own CPU per customer check, measured at the same time: two checkouts (or one
 * checkout under two sets of node flags), each `serve --world` in its own process on its own
 * scratch database, with one sandbox process for both, driven in alternating batches by one load
 * generator. On this shared machine, whose speed drifts by a third between runs minutes apart
 * (another tenant's load), a difference is trusted only when both sides met the same minutes:
 * the median of the paired per-batch differences is printed beside each side's median.
 *
 *   node bin/run-ts.js bench/ab-serve.ts --a DIR [--a-flags="..."] --b DIR [--b-flags="..."]
 *        [--batches 16] [--batch 400] [--connections 32] [--db postgres://...]
 *
 * DIR is a checkout with node_modules (a `git archive` of a commit with node_modules linked is
 * enough); the flags are node's (e.g. --max-semi-space-size=32). CPU is each server's, from /proc
 * (user + system, its thread pool included). Prints numbers; asserts nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';
import { inProgressWorld } from './in-progress-world.ts';
import { startSandboxProcess } from './sandbox-process.ts';
import { postCheck, procStats, startServeChild, type ServeChild } from './serve-child.ts';

const { values: args } = parseArgs({
  options: {
    a: { type: 'string' }, 'a-flags': { type: 'string', default: '' },
    b: { type: 'string' }, 'b-flags': { type: 'string', default: '' },
    batches: { type: 'string', default: '16' },
    batch: { type: 'string', default: '400' },
    connections: { type: 'string', default: '32' },
    db: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
if (!args.a || !args.b) throw new Error('--a DIR and --b DIR: the two checkouts to serve (the same one twice to compare flags)');
const BATCHES = Number(args.batches);
const BATCH = Number(args.batch);
const CONNECTIONS = Number(args.connections);

const dir = mkdtempSync(join(tmpdir(), 'od-ab-serve-'));
const worldFile = join(dir, 'world.json');
const world = inProgressWorld('ab', 64, '20261122');
writeFileSync(worldFile, JSON.stringify(world));
const sandbox = await startSandboxProcess({ latencyMs: 0, worldFile });
const flags = (f: string) => f.split(' ').filter(Boolean);
const sides: { name: string; served: ServeChild }[] = [];
const dispatcher = new Agent({ connections: CONNECTIONS * 2, keepAliveTimeout: 30_000 });

async function batch(served: ServeChild, n: number): Promise<{ cpuMs: number; rps: number; errors: number }> {
  let next = 0;
  let errors = 0;
  const pid = served.child.pid!;
  const cpu0 = procStats(pid)!.cpuMs;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (next < n) {
      const i = next++;
      const { status, text } = await postCheck(served.base, world.orders[i % world.orders.length]!.orderNo, dispatcher);
      if (status !== 200 || !text.includes('DELIVERY_IN_PROGRESS')) errors++;
    }
  }));
  const wall = (performance.now() - t0) / 1000;
  return { cpuMs: (procStats(pid)!.cpuMs - cpu0) / n, rps: n / wall, errors };
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

try {
  for (const [name, tree, f] of [['a', args.a, args['a-flags']], ['b', args.b, args['b-flags']]] as const) {
    sides.push({ name, served: await startServeChild({ dir: join(dir, name), worldFile, sandboxUrl: sandbox.url, db: args.db, tree, nodeArgs: flags(f!) }) });
  }
  for (const s of sides) await batch(s.served, BATCH); // warm-up: connections, JIT, key imports
  const load0 = loadavg()[0]!;
  const out = { a: [] as number[], b: [] as number[], rpsA: [] as number[], rpsB: [] as number[], diff: [] as number[], errors: 0 };
  for (let k = 0; k < BATCHES; k++) {
    // alternate which side goes first, so a drift within a pair falls on both
    const order = k % 2 === 0 ? sides : [...sides].reverse();
    const r: Record<string, { cpuMs: number; rps: number; errors: number }> = {};
    for (const s of order) r[s.name] = await batch(s.served, BATCH);
    out.a.push(r.a!.cpuMs);
    out.b.push(r.b!.cpuMs);
    out.rpsA.push(r.a!.rps);
    out.rpsB.push(r.b!.rps);
    out.diff.push(r.b!.cpuMs - r.a!.cpuMs);
    out.errors += r.a!.errors + r.b!.errors;
  }
  const a = median(out.a);
  const d = median(out.diff);
  console.log(`ab-serve: ${BATCHES} x ${BATCH} checks per side, c=${CONNECTIONS}, upstream latency 0, load average ${load0.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)}`);
  console.log(`  a: ${args.a} ${args['a-flags']}`.trimEnd());
  console.log(`  b: ${args.b} ${args['b-flags']}`.trimEnd());
  console.log(`  server CPU ms per check, median of batches: a ${a.toFixed(2)}, b ${median(out.b).toFixed(2)}; median of paired differences b - a ${d >= 0 ? '+' : ''}${d.toFixed(2)} ms (${((100 * d) / a).toFixed(0)}%)`);
  console.log(`  checks/s, median of batches: a ${median(out.rpsA).toFixed(0)}, b ${median(out.rpsB).toFixed(0)}; errors ${out.errors}`);
  if (out.errors) process.exitCode = 1;
} finally {
  await dispatcher.close();
  for (const s of sides) await s.served.stop();
  sandbox.stop();
  rmSync(dir, { recursive: true, force: true });
}

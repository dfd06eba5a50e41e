/**
 * A/B of the customer check's own CPU on a shared, noisy machine: the same check served by two
 * copies of the code in ONE process (this tree, and a copy of it with some files as they were:
 * `--base DIR`), each on its own port and scratch Postgres database, driven in alternating short
 * batches. Whatever else the machine runs hits both sides alike, batch by batch, so the difference
 * of their medians is the change's, where two `npm run bench` runs minutes apart differ by more.
 *
 *   node bin/run-ts.js bench/ab-check.ts --base /tmp/base-tree [--batches 20] [--batch 300] [--concurrency 32]
 *
 * The base tree is a copy of this one (node_modules linked) with the files under test restored;
 * its modules are imported from there, so both sides are complete and independent:
 *
 *   rsync -a --exclude node_modules --exclude .git ./ /tmp/base-tree && ln -s "$PWD/node_modules" /tmp/base-tree/
 *   git show HEAD:src/net/http-client.ts > /tmp/base-tree/src/net/http-client.ts   # each file under test
 * Logs are
 * serve's JSON lines at info, into a sink that discards them (their cost counts, not their I/O).
 * The sandbox upstreams run in a process of their own (latency 0), as in `npm run bench`. CPU is
 * this process's (server and load generator, the same load generator for both). Prints numbers.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { Agent } from 'undici';
import { startSandboxProcess } from './sandbox-process.ts';

const { values: args } = parseArgs({
  options: {
    base: { type: 'string' },
    batches: { type: 'string', default: '20' },
    batch: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '32' },
  },
});
if (!args.base) throw new Error('--base DIR: a copy of this tree with the files under test as they were');
const BATCHES = Number(args.batches);
const BATCH = Number(args.batch);
const CONCURRENCY = Number(args.concurrency);
const NOW = '2026-11-22T10:00:00+08:00';
const N_ORDERS = 64;
const orderNo = (i: number) => `B2026112200${String(i).padStart(3, '0')}`;

function world() {
  const orders = Array.from({ length: N_ORDERS }, (_, i) => ({
    orderNo: orderNo(i), sku: 'APPSTORE-100', quantity: 1, amountCents: 10000,
    channel: (['alipay', 'wechat', 'epay'] as const)[i % 3], status: 'paid', createdAt: '2026-11-22T09:50:00+08:00',
    paidAt: '2026-11-22T09:51:00+08:00', querySecret: '8462', keys: [],
    supplier: { state: 'processing', since: '2026-11-22T09:51:30+08:00' },
  }));
  return {
    name: 'ab', now: NOW,
    products: [{ sku: 'APPSTORE-100', title: 'App Store 充值卡 100元', priceCents: 10000, fulfilment: 'supplier', deliveryWindowMinutes: 30 }],
    orders,
    gateway: Object.fromEntries(orders.map((o, i) => [o.orderNo, { state: 'paid', amountCents: 10000, paidAt: '2026-11-22T09:51:00+08:00', tradeNo: `20261122220014${String(i).padStart(6, '0')}` }])),
  };
}

const pgUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const admin = postgres(pgUrl, { max: 1, onnotice: () => {} });
const scratch: string[] = [];

/** One side: the app of the tree at `root`, on its own scratch database, listening on its own port. */
async function side(root: string, sandboxUrl: string): Promise<{ url: string; server: ServerType; close(): Promise<void> }> {
  const load = <T>(path: string) => import(pathToFileURL(join(root, path)).href) as Promise<T>;
  const { loadConfig } = await load<typeof import('../src/config.ts')>('src/config.ts');
  const { newMasterKey } = await load<typeof import('../src/crypto/secret-box.ts')>('src/crypto/secret-box.ts');
  const { openDatabase } = await load<typeof import('../src/db/client.ts')>('src/db/client.ts');
  const { migrateDatabase } = await load<typeof import('../src/db/migrate.ts')>('src/db/migrate.ts');
  const { createApp } = await load<typeof import('../src/http/app.ts')>('src/http/app.ts');
  const { createServices } = await load<typeof import('../src/services.ts')>('src/services.ts');
  const { sandboxGatewayEnv } = await load<typeof import('../src/sandbox/credentials.ts')>('src/sandbox/credentials.ts');
  const { loadWorld } = await load<typeof import('../src/world/load.ts')>('src/world/load.ts');
  const { parseScenario } = await load<typeof import('../src/world/schema.ts')>('src/world/schema.ts');
  const { createLogger } = await load<typeof import('../src/observability/logger.ts')>('src/observability/logger.ts');

  const name = `od_ab_${Date.now().toString(36)}_${scratch.length}`;
  await admin.unsafe(`create database ${name}`);
  scratch.push(name);
  const u = new URL(pgUrl);
  u.pathname = `/${name}`;
  const database = await openDatabase({ url: u.toString(), maxConnections: 20 });
  await migrateDatabase(database);
  const config = loadConfig({ ...sandboxGatewayEnv(sandboxUrl), CARD_KEY_SECRET: newMasterKey(), RATE_LIMITS: 'off', SWEEP_INTERVAL: 'off' });
  const fixed = new Date(NOW);
  const logger = createLogger({ format: 'json', level: 'info', destination: { write: () => {} } });
  const svc = await createServices(config, { database, migrated: true, now: () => new Date(fixed), logger });
  const parsed = parseScenario(world());
  if (!parsed.ok) throw new Error(parsed.error);
  await loadWorld(svc, parsed.scenario);
  const app = createApp(svc);
  const server: ServerType = await new Promise((r) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => r(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server,
    async close() {
      server.close();
      await svc.close();
      await database.close();
    },
  };
}

const dispatcher = new Agent({ connections: 128, keepAliveTimeout: 30_000 });
const body = JSON.stringify({ secret: '8462' });

/** A batch of checks; the CPU this process spent on it, per check (ms), and its rate. */
async function batch(url: string, n: number): Promise<{ cpuMs: number; rps: number; errors: number }> {
  let next = 0;
  let errors = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) {
      const i = next++;
      const res = await fetch(`${url}/api/v1/orders/${orderNo(i % N_ORDERS)}/check`, {
        method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher,
      } as RequestInit);
      const j = (await res.json()) as { verdict?: string };
      if (res.status !== 200 || j.verdict !== 'DELIVERY_IN_PROGRESS') errors++;
    }
  }));
  const cpu = process.cpuUsage(cpu0);
  return { cpuMs: (cpu.user + cpu.system) / 1000 / n, rps: n / ((performance.now() - t0) / 1000), errors };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const worldFile = join(mkdtempSync(join(tmpdir(), 'od-ab-')), 'world.json');
writeFileSync(worldFile, JSON.stringify(world()));
const sandbox = await startSandboxProcess({ latencyMs: 0, worldFile, now: NOW });
const sides = { base: await side(resolve(args.base), sandbox.url), new: await side(resolve('.'), sandbox.url) };
try {
  const load0 = loadavg()[0]!;
  for (const s of Object.values(sides)) await batch(s.url, 200); // warm-up: connections, JIT, key imports
  const seen = { base: [] as Array<{ cpuMs: number; rps: number }>, new: [] as Array<{ cpuMs: number; rps: number }> };
  let errors = 0;
  for (let b = 0; b < BATCHES; b++) {
    // who goes first alternates too
    for (const k of (b % 2 ? ['new', 'base'] : ['base', 'new']) as Array<'base' | 'new'>) {
      const r = await batch(sides[k].url, BATCH);
      errors += r.errors;
      seen[k].push(r);
    }
  }
  const cpu = (k: 'base' | 'new') => median(seen[k].map((r) => r.cpuMs));
  const rps = (k: 'base' | 'new') => median(seen[k].map((r) => r.rps));
  const diffs = seen.new.map((r, i) => r.cpuMs - seen.base[i]!.cpuMs);
  console.log(`ab-check: ${BATCHES} x ${BATCH} checks per side, c=${CONCURRENCY}, upstream latency 0, load average ${load0.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)}`);
  console.log(`  CPU ms per check (server + load generator), median of batches: base ${cpu('base').toFixed(2)}, new ${cpu('new').toFixed(2)}; median of paired differences ${median(diffs) >= 0 ? '+' : ''}${median(diffs).toFixed(2)} ms (${((median(diffs) / cpu('base')) * 100).toFixed(0)}%)`);
  console.log(`  checks/s, median of batches: base ${rps('base').toFixed(0)}, new ${rps('new').toFixed(0)}; errors ${errors}`);
} finally {
  for (const s of Object.values(sides)) await s.close();
  sandbox.stop();
  await dispatcher.close();
  for (const name of scratch) await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
  await admin.end();
}

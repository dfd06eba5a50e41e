/**
 * `npm run bench`: the customer check end to end over HTTP, on PGlite and on real Postgres.
 *
 * - latency: SANDBOX_LATENCY_MS=50 on every upstream; p50/p99 at concurrency 1 and 64, and p50
 *   divided by the slowest upstream's latency (goal <= 1.1: checkers truly concurrent, little own cost);
 * - throughput: SANDBOX_LATENCY_MS=0, against a bare hono route served the same way, same run.
 *
 * The order checked is a supplier product whose payment is verified and whose supplier is still
 * processing: the check needs the gateway AND the supplier (two 50 ms upstreams, run concurrently),
 * does not change state (DELIVERY_IN_PROGRESS, action none), and still persists a diagnosis.
 * The sandbox gateways and supplier run in a process of their own (bench/sandbox-server.ts), as
 * real gateways would be elsewhere: their signing and world lookups do not count against the
 * process measured. Load generator and server share one process (2 cores here).
 * Postgres: DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres (a scratch database is
 * created and dropped). Prints numbers; asserts nothing.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { Agent } from 'undici';
import { loadConfig } from '../src/config.ts';
import { newMasterKey } from '../src/crypto/secret-box.ts';
import { openDatabase, type Database } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { createApp } from '../src/http/app.ts';
import { createServices } from '../src/services.ts';
import { sandboxGatewayEnv } from '../src/sandbox/credentials.ts';
import { startSandboxProcess } from './sandbox-process.ts';
import { loadWorld } from '../src/world/load.ts';
import { parseScenario } from '../src/world/schema.ts';

const LATENCY = 50;
const N_ORDERS = 64;
const NOW = '2026-11-22T10:00:00+08:00';

function world() {
  const orders = Array.from({ length: N_ORDERS }, (_, i) => ({
    orderNo: `B2026112200${String(i).padStart(3, '0')}`, sku: 'APPSTORE-100', quantity: 1, amountCents: 10000,
    channel: (['alipay', 'wechat', 'epay'] as const)[i % 3], status: 'paid', createdAt: '2026-11-22T09:50:00+08:00',
    paidAt: '2026-11-22T09:51:00+08:00', querySecret: '8462', keys: [],
    supplier: { state: 'processing', since: '2026-11-22T09:51:30+08:00' },
  }));
  const parsed = parseScenario({
    name: 'bench', now: NOW,
    products: [{ sku: 'APPSTORE-100', title: 'App Store 充值卡 100元', priceCents: 10000, fulfilment: 'supplier', deliveryWindowMinutes: 30 }],
    orders,
    gateway: Object.fromEntries(orders.map((o, i) => [o.orderNo, { state: 'paid', amountCents: 10000, paidAt: '2026-11-22T09:51:00+08:00', tradeNo: `20261122220014${String(i).padStart(6, '0')}` }])),
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.scenario;
}

async function listen(fetch: (r: Request) => Response | Promise<Response>): Promise<{ url: string; server: ServerType }> {
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const dispatcher = new Agent({ connections: 128, keepAliveTimeout: 30_000 });

async function load(url: (i: number) => string, body: (i: number) => string | undefined, concurrency: number, total: number) {
  const times: number[] = [];
  let next = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      const i = next++;
      const t = performance.now();
      const b = body(i);
      const res = await fetch(url(i), { method: b ? 'POST' : 'GET', body: b, headers: b ? { 'content-type': 'application/json' } : {}, dispatcher } as RequestInit);
      await res.arrayBuffer();
      if (res.status !== 200) errors++;
      times.push(performance.now() - t);
    }
  }));
  const wall = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!;
  return { p50: pct(50), p99: pct(99), rps: total / wall, errors };
}

const worldFile = join(mkdtempSync(join(tmpdir(), 'od-bench-')), 'world.json');
writeFileSync(worldFile, JSON.stringify(world()));

async function benchOne(kind: 'pglite' | 'postgres', database: Database) {
  await migrateDatabase(database);
  const results: Record<string, string> = {};
  for (const latency of [LATENCY, 0]) {
    const sandbox = await startSandboxProcess({ latencyMs: latency, worldFile, now: NOW });
    const config = loadConfig({
      ...sandboxGatewayEnv(sandbox.url), CARD_KEY_SECRET: newMasterKey(), RATE_LIMITS: 'off', SWEEP_INTERVAL: 'off',
    });
    const fixed = new Date(NOW);
    const svc = await createServices(config, { database, migrated: true, now: () => new Date(fixed) });
    const { truncateAll } = await import('../src/db/migrate.ts');
    await truncateAll(database);
    await loadWorld(svc, world());
    const { url, server } = await listen(createApp(svc).fetch);
    const check = (i: number) => `${url}/api/v1/orders/B2026112200${String(i % N_ORDERS).padStart(3, '0')}/check`;
    const body = () => JSON.stringify({ secret: '8462' });
    await load(check, body, 8, 64); // warm-up: connections, JIT, key imports
    if (latency > 0) {
      const c1 = await load(check, body, 1, 150);
      const c64 = await load(check, body, 64, 1500);
      results['c=1  p50/p99 ms'] = `${c1.p50.toFixed(1)} / ${c1.p99.toFixed(1)}  (p50 / slowest upstream ${LATENCY} ms = ${(c1.p50 / LATENCY).toFixed(2)})`;
      results['c=64 p50/p99 ms'] = `${c64.p50.toFixed(1)} / ${c64.p99.toFixed(1)}  (p50 / ${LATENCY} ms = ${(c64.p50 / LATENCY).toFixed(2)}; ${c64.rps.toFixed(0)} req/s; errors ${c1.errors + c64.errors})`;
    } else {
      const c = await load(check, body, 64, 3000);
      results['throughput, latency 0, c=64'] = `${c.rps.toFixed(0)} checks/s (p50 ${c.p50.toFixed(1)} ms, errors ${c.errors})`;
    }
    server.close();
    await svc.close();
    sandbox.stop();
  }
  const bare = new Hono().get('/', (c) => c.json({ ok: true }));
  const { url, server } = await listen(bare.fetch);
  const b = await load(() => `${url}/`, () => undefined, 64, 20000);
  results['bare hono route, c=64'] = `${b.rps.toFixed(0)} req/s (p50 ${b.p50.toFixed(2)} ms)`;
  server.close();
  console.log(`\n== ${kind}`);
  for (const [k, v] of Object.entries(results)) console.log(`  ${k.padEnd(30)} ${v}`);
}

const pgUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
console.log(`order-doctor bench: customer check, upstream latency ${LATENCY} ms, node ${process.version}`);
await benchOne('pglite', await openDatabase({}));

const scratch = `od_bench_${Date.now().toString(36)}`;
const admin = postgres(pgUrl, { max: 1, onnotice: () => {} });
try {
  await admin.unsafe(`create database ${scratch}`);
  const u = new URL(pgUrl);
  u.pathname = `/${scratch}`;
  const database = await openDatabase({ url: u.toString(), maxConnections: 20 });
  await benchOne('postgres', database);
  await database.close();
} catch (err) {
  console.log(`\n== postgres: skipped (${(err as Error).message})`);
} finally {
  await admin.unsafe(`drop database if exists ${scratch} with (force)`).catch(() => {});
  await admin.end();
}
await dispatcher.close();

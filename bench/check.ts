/**
 * `npm run bench`: the customer check end to end over HTTP, on PGlite and on real Postgres, for
 * the built-in store and for a dujiaoka shop on MariaDB (SHOP=dujiaoka).
 *
 * - latency: SANDBOX_LATENCY_MS=50 on every upstream; p50/p99 at concurrency 1, 16 and 64, and p50
 *   divided by the slowest upstream's latency (goal <= 1.1: checkers truly concurrent, little own cost);
 * - throughput: SANDBOX_LATENCY_MS=0, against a bare hono route served the same way, in alternating
 *   rounds (the share is the median of the rounds' ratios), with the CPU each check cost this
 *   process (server and load generator), the sandbox and Postgres.
 *
 * Built-in: the order checked is a supplier product whose payment is verified and whose supplier is
 * still processing: the check needs the gateway AND the supplier (two 50 ms upstreams, run
 * concurrently), does not change state (DELIVERY_IN_PROGRESS, action none), and still persists a
 * diagnosis.
 * dujiaoka: dujiaoka has no supplier goods; the order checked is a manual-delivery goods (type 2)
 * order pending (status 2) inside the owner's window: the check reads the shop's row from MariaDB,
 * needs the gateway's verified answer (ONE 50 ms upstream), writes nothing into the shop
 * (DELIVERY_IN_PROGRESS, action none) and persists a diagnosis in order-doctor's own database. The
 * 64 orders are spread over the shop's alipay, wepay (WeChat Pay API v2) and yipay (EPay V1,
 * EPAY_V1_TRUST=accept) channels, whose credentials are read from the shop's `pays` rows
 * (SHOP_GATEWAYS=shop) and point at the sandbox. Each check is compared with its own slowest
 * upstream (50 ms either way); the adapter's cost is the difference of the c=1 p50s, measured
 * once from the two sections and once with the two checks alternating request by request on the
 * same own database (less exposed to the machine's drift between sections).
 *
 * The sandbox gateways and supplier run in a process of their own (bench/sandbox-server.ts), as
 * real gateways would be elsewhere: their signing and world lookups do not count against the
 * process measured. Load generator and server share one process (2 cores here).
 * Postgres: DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres; MariaDB:
 * TEST_SHOP_DATABASE_URL, else mysql://root@127.0.0.1:3306/ (scratch databases are created and
 * dropped on both). `--only builtin|dujiaoka` runs one half. Prints numbers; asserts nothing.
 */
import { writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import mysql from 'mysql2/promise';
import { Agent } from 'undici';
import { loadConfig, type Env } from '../src/config.ts';
import { newMasterKey } from '../src/crypto/secret-box.ts';
import { openDatabase, type Database } from '../src/db/client.ts';
import { migrateDatabase, truncateAll } from '../src/db/migrate.ts';
import { createApp } from '../src/http/app.ts';
import { createServices, type Services } from '../src/services.ts';
import { sandboxCredentials, sandboxGatewayEnv, sandboxKeys } from '../src/sandbox/credentials.ts';
import { toShopTime } from '../src/shops/local-time.ts';
import { startSandboxProcess } from './sandbox-process.ts';
import { scratchPostgres } from './scratch-postgres.ts';
import { startCpuMeter } from './cpu-meter.ts';
import type { AnswerFile } from './answer-world.ts';
import { loadWorld } from '../src/world/load.ts';
import { parseScenario } from '../src/world/schema.ts';

const LATENCY = 50;
const N_ORDERS = 64;
/** c=1 checks of each kind in the alternating run */
const PAIRS = 150;
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

interface Load { p50: number; p99: number; rps: number; errors: number }

async function load(url: (i: number) => string, body: (i: number) => string | undefined, concurrency: number, total: number): Promise<Load> {
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
  return { ...percentiles(times), rps: total / wall, errors };
}

function percentiles(times: number[]): { p50: number; p99: number } {
  const sorted = [...times].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  return { p50: pct(50), p99: pct(99) };
}

/** One check server on its own port, its sandbox in another process, playing the bench's orders. */
interface Target {
  orderNos: string[];
  check(i: number): string;
  /** the shop port's lookup of order i, in this process (what the adapter costs a check, alone) */
  find(i: number): Promise<unknown>;
  close(): Promise<void>;
}
const body = () => JSON.stringify({ secret: '8462' });

interface Numbers { c1: Load; c16: Load; c64: Load; thr: Load; cpu: CpuPerCheck; bare: Load; share: number }

/** CPU per check during the throughput run: this process (server AND load generator), the sandbox's, Postgres' */
interface CpuPerCheck { process: number; sandbox: number; postgres: number }

/**
 * Throughput at 0 ms in alternating rounds: checks, then a bare hono route served the same way, so
 * both meet the same minutes of this shared machine (whose speed drifts by a third between runs);
 * the share is the median of the rounds' own ratios. One run of each, minutes apart, put the share
 * anywhere from 7% to 9% for the same code.
 */
const ROUNDS = 6;
const CHECKS_PER_ROUND = 500;
const BARE_PER_ROUND = 4000;

/** the middle of the rounds' figures (percentiles' p50) */
const median = (xs: number[]) => percentiles(xs).p50;

async function throughput(t: Target): Promise<Pick<Numbers, 'thr' | 'cpu' | 'bare' | 'share'>> {
  const bareApp = new Hono().get('/', (c) => c.json({ ok: true }));
  const { url, server } = await listen(bareApp.fetch);
  try {
    await load(() => `${url}/`, () => undefined, 64, 2000); // warm-up
    const checks: Load[] = [];
    const bares: Load[] = [];
    let cpuMs = 0;
    const byRole = { sandbox: 0, postgres: 0 };
    for (let r = 0; r < ROUNDS; r++) {
      const meter = startCpuMeter();
      const cpu0 = process.cpuUsage();
      checks.push(await load(t.check, body, 64, CHECKS_PER_ROUND));
      const cpu = process.cpuUsage(cpu0);
      const roles = meter.stop();
      cpuMs += (cpu.user + cpu.system) / 1000;
      byRole.sandbox += roles ? roles.byRole.sandbox * 1000 : NaN;
      byRole.postgres += roles ? roles.byRole.postgres * 1000 : NaN;
      bares.push(await load(() => `${url}/`, () => undefined, 64, BARE_PER_ROUND));
    }
    const n = ROUNDS * CHECKS_PER_ROUND;
    const summary = (ls: Load[]): Load => ({
      p50: median(ls.map((l) => l.p50)), p99: median(ls.map((l) => l.p99)), rps: median(ls.map((l) => l.rps)), errors: ls.reduce((e, l) => e + l.errors, 0),
    });
    return {
      thr: summary(checks),
      bare: summary(bares),
      share: median(checks.map((c, i) => c.rps / bares[i]!.rps)),
      cpu: { process: cpuMs / n, sandbox: byRole.sandbox / n, postgres: byRole.postgres / n },
    };
  } finally {
    server.close();
  }
}

/** The same measurements on any target: c=1, c=16 and c=64 at 50 ms upstreams, then throughput at 0 ms. */
async function measure(start: (latencyMs: number) => Promise<Target>, first?: (t: Target) => Promise<void>): Promise<Numbers> {
  const out: Partial<Numbers> = {};
  for (const latency of [LATENCY, 0]) {
    const t = await start(latency);
    try {
      if (latency > 0) await first?.(t);
      await load(t.check, body, 8, 64); // warm-up: connections, JIT, key imports
      if (latency > 0) {
        out.c1 = await load(t.check, body, 1, 150);
        out.c16 = await load(t.check, body, 16, 400);
        out.c64 = await load(t.check, body, 64, 1500);
      } else {
        Object.assign(out, await throughput(t));
      }
    } finally {
      await t.close();
    }
  }
  return out as Numbers;
}

const worldFile = join(mkdtempSync(join(tmpdir(), 'od-bench-')), 'world.json');
writeFileSync(worldFile, JSON.stringify(world()));

/** The app on its own port, checking these orders in turn; closing it stops the sandbox too. */
async function serveTarget(svc: Services, sandbox: { stop(): void }, orderNos: string[]): Promise<Target> {
  const { url, server } = await listen(createApp(svc).fetch);
  return {
    orderNos,
    check: (i) => `${url}/api/v1/orders/${orderNos[i % orderNos.length]}/check`,
    find: (i) => svc.shop.find(orderNos[i % orderNos.length]!),
    async close() {
      server.close();
      await svc.close();
      sandbox.stop();
    },
  };
}

async function builtinTarget(database: Database, latency: number): Promise<Target> {
  const sandbox = await startSandboxProcess({ latencyMs: latency, worldFile, now: NOW });
  const config = loadConfig({
    ...sandboxGatewayEnv(sandbox.url), CARD_KEY_SECRET: newMasterKey(), RATE_LIMITS: 'off', SWEEP_INTERVAL: 'off',
  });
  const fixed = new Date(NOW);
  const svc = await createServices(config, { database, migrated: true, now: () => new Date(fixed) });
  await truncateAll(database);
  await loadWorld(svc, world());
  return serveTarget(svc, sandbox, Array.from({ length: N_ORDERS }, (_, i) => `B2026112200${String(i).padStart(3, '0')}`));
}

async function benchOne(kind: 'pglite' | 'postgres', database: Database): Promise<Numbers> {
  await migrateDatabase(database);
  const n = await measure((latency) => builtinTarget(database, latency));
  const results: Record<string, string> = {
    'c=1  p50/p99 ms': `${n.c1.p50.toFixed(1)} / ${n.c1.p99.toFixed(1)}  (p50 / slowest upstream ${LATENCY} ms = ${(n.c1.p50 / LATENCY).toFixed(2)})`,
    'c=16 p50/p99 ms': `${n.c16.p50.toFixed(1)} / ${n.c16.p99.toFixed(1)}  (p50 / ${LATENCY} ms = ${(n.c16.p50 / LATENCY).toFixed(2)}; ${n.c16.rps.toFixed(0)} req/s; errors ${n.c16.errors})`,
    'c=64 p50/p99 ms': `${n.c64.p50.toFixed(1)} / ${n.c64.p99.toFixed(1)}  (p50 / ${LATENCY} ms = ${(n.c64.p50 / LATENCY).toFixed(2)}; ${n.c64.rps.toFixed(0)} req/s; errors ${n.c1.errors + n.c64.errors})`,
    'throughput, latency 0, c=64': `${n.thr.rps.toFixed(0)} checks/s (p50 ${n.thr.p50.toFixed(1)} ms, errors ${n.thr.errors}; median of ${ROUNDS} rounds)`,
    // this process is the server and the load generator; the sandbox runs apart (bench/cpu-meter.ts)
    'CPU ms per check, latency 0': `server+client ${n.cpu.process.toFixed(2)}, sandbox ${n.cpu.sandbox.toFixed(2)}, postgres ${n.cpu.postgres.toFixed(2)}`,
    'bare hono route, c=64': `${n.bare.rps.toFixed(0)} req/s (p50 ${n.bare.p50.toFixed(2)} ms; rounds alternating with the checks)`,
    'checks/s as a share of bare': `${(100 * n.share).toFixed(1)}% (median of the rounds' ratios)`,
  };
  console.log(`\n== ${kind}`);
  for (const [k, v] of Object.entries(results)) console.log(`  ${k.padEnd(30)} ${v}`);
  return n;
}

// ---- dujiaoka: the same check on a dujiaoka shop in MariaDB ----

const SHOP_SERVER = process.env.TEST_SHOP_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/';
const ZONE = 'Asia/Shanghai';
const DDL = readFileSync(new URL('../fixtures/dujiaoka/schema.sql', import.meta.url), 'utf8');
/** the shop's pays rows, as dujiaoka's installer numbers them in the tests */
const PAY = { alipay: 1, wechat: 8, epay: 14 } as const;
const CHANNELS = ['alipay', 'wechat', 'epay'] as const;
const djOrderNo = (i: number) => `BENCHDJ${String(i).padStart(9, '0')}`; // 16 characters, as dujiaoka's order_sn

interface BenchShop { url: string; pool: mysql.Pool; version: string; drop(): Promise<void> }

/** A scratch dujiaoka database from our DDL: one manual goods, 64 paid orders pending with the owner. */
async function scratchShop(): Promise<BenchShop> {
  const name = `od_bench_dj_${Date.now().toString(36)}`;
  const admin = await mysql.createConnection({ uri: SHOP_SERVER, multipleStatements: true, connectTimeout: 3000 });
  try {
    await admin.query(`create database ${name} character set utf8mb4`);
    await admin.query(`use ${name}; ${DDL}`);
  } finally {
    await admin.end();
  }
  const u = new URL(SHOP_SERVER);
  u.pathname = `/${name}`;
  const pool = mysql.createPool({ uri: u.toString(), dateStrings: true, connectionLimit: 2 });
  const [[v]] = (await pool.query('select version() as v')) as unknown as [[{ v: string }]];
  await pool.query(
    `insert into goods (id, gd_name, actual_price, type, sales_volume, in_stock, created_at, updated_at)
     values (1, '代充 App Store 100元', 100.00, 2, 10, 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')`,
  );
  const created = toShopTime(new Date(new Date(NOW).getTime() - 30 * 60_000), ZONE);
  const rows = answers();
  await pool.query(
    `insert into orders (order_sn, goods_id, title, type, goods_price, buy_amount, total_price, actual_price, search_pwd, email,
       info, pay_id, buy_ip, trade_no, status, created_at, updated_at) values ?`,
    [Object.entries(rows).map(([sn, a]) => [
      sn, 1, '代充 App Store 100元 x 1', 2, '100.00', 1, '100.00', '100.00', '8462', `${sn.toLowerCase()}@example.com`,
      'Apple ID: buyer@example.com', PAY[a.channel], '127.0.0.1', a.answer.tradeNo, 2, created, created,
    ])],
  );
  return {
    url: u.toString(), pool, version: v.v,
    async drop() {
      await pool.end();
      const a = await mysql.createConnection({ uri: SHOP_SERVER });
      await a.query(`drop database if exists ${name}`);
      await a.end();
    },
  };
}

/** What each order's gateway answers: paid in full, 29 minutes ago. */
function answers(): AnswerFile {
  const paidAt = new Date(new Date(NOW).getTime() - 29 * 60_000).toISOString();
  const createdAt = new Date(new Date(NOW).getTime() - 30 * 60_000).toISOString();
  const tradeNo = (channel: (typeof CHANNELS)[number], i: number) =>
    channel === 'alipay' ? `2026112222001400${String(i).padStart(6, '0')}`
      : channel === 'wechat' ? `42000023452026112282${String(i).padStart(8, '0')}`
        : `20261122${String(i).padStart(8, '0')}`;
  return Object.fromEntries(Array.from({ length: N_ORDERS }, (_, i) => {
    const channel = CHANNELS[i % 3]!;
    return [djOrderNo(i), { channel, totalCents: 10000, createdAt, subject: '代充 App Store 100元', answer: { state: 'paid' as const, amountCents: 10000, paidAt, tradeNo: tradeNo(channel, i) } }];
  }));
}

const answersFile = join(mkdtempSync(join(tmpdir(), 'od-bench-')), 'answers.json');
writeFileSync(answersFile, JSON.stringify(answers()));

/** The shop's channels with the sandbox's credentials in them, as an owner would have typed theirs. */
async function pointPaysAt(shop: BenchShop, sandboxUrl: string): Promise<void> {
  const k = sandboxKeys;
  const c = sandboxCredentials(sandboxUrl);
  await shop.pool.query('delete from pays');
  await shop.pool.query(
    'insert into pays (id, pay_name, pay_check, pay_method, pay_client, merchant_id, merchant_key, merchant_pem, pay_handleroute, is_open) values ?',
    [[
      [PAY.alipay, '支付宝当面付', 'zfbf2f', 1, 1, k.alipay.appId, c.alipay.alipayPublicKey, c.alipay.merchantPrivateKey, '/pay/alipay', 1],
      [PAY.wechat, '微信扫码', 'wescan', 1, 1, k.wechatpayV2.appid, k.wechatpayV2.mchid, k.wechatpayV2.key, '/pay/wepay', 1],
      [PAY.epay, '易支付-支付宝', 'alipay', 1, 1, k.epay.pid, `${sandboxUrl}/sandbox/epay/submit.php`, k.epay.key, '/pay/yipay', 1],
    ]],
  );
}

async function dujiaokaTarget(database: Database, shop: BenchShop, latency: number): Promise<Target> {
  const sandbox = await startSandboxProcess({ latencyMs: latency, answersFile, now: NOW });
  await pointPaysAt(shop, sandbox.url);
  const c = sandboxCredentials(sandbox.url);
  const env: Env = {
    SHOP: 'dujiaoka', SHOP_DATABASE_URL: shop.url, SHOP_GATEWAYS: 'shop', SHOP_TIMEZONE: ZONE, EPAY_V1_TRUST: 'accept',
    // the endpoints for credentials read from the shop (the yipay row names its own site)
    ALIPAY_GATEWAY: c.alipay.gateway, WECHATPAY_V2_URL: c.wechatpayV2.url,
    CARD_KEY_SECRET: newMasterKey(), RATE_LIMITS: 'off', SWEEP_INTERVAL: 'off',
  };
  const fixed = new Date(NOW);
  const svc = await createServices(loadConfig(env), { database, migrated: true, now: () => new Date(fixed) });
  await truncateAll(database);
  return serveTarget(svc, sandbox, Array.from({ length: N_ORDERS }, (_, i) => djOrderNo(i)));
}

/** Each order checked once: what the check decided, tallied (the bench measures the path it meant to). */
async function verdicts(t: Target): Promise<string> {
  const tally = new Map<string, number>();
  for (let i = 0; i < t.orderNos.length; i++) {
    const res = await fetch(t.check(i), { method: 'POST', body: body(), headers: { 'content-type': 'application/json' }, dispatcher } as RequestInit);
    const j = (await res.json()) as { verdict?: string; action?: string; code?: string };
    const k = res.status === 200 ? `${j.verdict}/${j.action}` : `HTTP ${res.status} ${j.code ?? ''}`;
    tally.set(k, (tally.get(k) ?? 0) + 1);
  }
  return [...tally].map(([k, n]) => `${k} x${n}`).join(', ');
}

/** c=1, the built-in and the dujiaoka check alternating request by request, on one own database. */
async function paired(database: Database, shop: BenchShop, pairs: number) {
  const dj = await dujiaokaTarget(database, shop, LATENCY);
  const bi = await builtinTarget(database, LATENCY);
  try {
    await load(dj.check, body, 8, 64);
    await load(bi.check, body, 8, 64);
    const tb: number[] = [];
    const td: number[] = [];
    let errors = 0;
    const one = async (t: Target, i: number, into: number[]) => {
      const s = performance.now();
      const res = await fetch(t.check(i), { method: 'POST', body: body(), headers: { 'content-type': 'application/json' }, dispatcher } as RequestInit);
      await res.arrayBuffer();
      if (res.status !== 200) errors++;
      into.push(performance.now() - s);
    };
    for (let i = 0; i < pairs; i++) {
      // who goes first alternates too
      if (i % 2) {
        await one(bi, i, tb);
        await one(dj, i, td);
      } else {
        await one(dj, i, td);
        await one(bi, i, tb);
      }
    }
    const diffs = td.map((d, i) => d - tb[i]!);
    // the shop port's lookup alone, alternating the same way (the built-in's runs on the own database)
    const fb: number[] = [];
    const fd: number[] = [];
    const find = async (t: Target, i: number, into: number[]) => {
      const s = performance.now();
      if (!(await t.find(i))) throw new Error(`bench order ${t.orderNos[i % N_ORDERS]} not found`);
      into.push(performance.now() - s);
    };
    for (let i = 0; i < 4 * pairs; i++) {
      await find(bi, i, fb);
      await find(dj, i, fd);
    }
    return {
      builtin: percentiles(tb).p50, dujiaoka: percentiles(td).p50, medianDiff: percentiles(diffs).p50, errors,
      findBuiltin: percentiles(fb), findDujiaoka: percentiles(fd),
    };
  } finally {
    await dj.close();
    await bi.close();
  }
}

async function benchDujiaoka(kind: 'PGlite' | 'Postgres', database: Database, shop: BenchShop, builtin: Numbers | undefined) {
  await migrateDatabase(database);
  let tally = '';
  const n = await measure((latency) => dujiaokaTarget(database, shop, latency), async (t) => {
    tally = await verdicts(t);
  });
  const p = await paired(database, shop, PAIRS);
  const lat = (l: Load | undefined) => (l ? `${l.p50.toFixed(1)} / ${l.p99.toFixed(1)} (${(l.p50 / LATENCY).toFixed(2)})` : '-');
  const col = (a: string, b: string) => `${a.padEnd(34)} ${b}`;
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} ms`;
  const bi = builtin;
  console.log(`\n== dujiaoka (MariaDB shop, ${kind} own db)`);
  const rows: [string, string][] = [
    ['shop', `${shop.version}; ${N_ORDERS} manual orders pending (alipay, wepay v2, yipay v1 in turn), SHOP_GATEWAYS=shop, EPAY_V1_TRUST=accept`],
    ['verdicts', tally],
    ['', col('built-in (gateway + supplier)', 'dujiaoka (gateway)')],
    ['c=1  p50/p99 ms (p50/50 ms)', col(lat(bi?.c1), lat(n.c1))],
    ['c=64 p50/p99 ms (p50/50 ms)', col(lat(bi?.c64), lat(n.c64))],
    ['c=64 req/s, errors', col(bi ? `${bi.c64.rps.toFixed(0)}, ${bi.c1.errors + bi.c64.errors}` : '-', `${n.c64.rps.toFixed(0)}, ${n.c1.errors + n.c64.errors}`)],
    ['throughput, latency 0, c=64', col(bi ? `${bi.thr.rps.toFixed(0)} checks/s (p50 ${bi.thr.p50.toFixed(1)} ms)` : '-', `${n.thr.rps.toFixed(0)} checks/s (p50 ${n.thr.p50.toFixed(1)} ms, errors ${n.thr.errors})`)],
    ['c=1 p50 ms, alternating', col(`${p.builtin.toFixed(1)}`, `${p.dujiaoka.toFixed(1)}  (${p.errors} errors in ${2 * PAIRS} checks)`)],
    ['shop.find p50/p99 ms, in-proc', col(`${p.findBuiltin.p50.toFixed(2)} / ${p.findBuiltin.p99.toFixed(2)}`, `${p.findDujiaoka.p50.toFixed(2)} / ${p.findDujiaoka.p99.toFixed(2)}`)],
    ['adapter cost, c=1 p50 dj - bi', `${bi ? `sections ${signed(n.c1.p50 - bi.c1.p50)}; ` : ''}alternating ${signed(p.dujiaoka - p.builtin)} (median of pairs ${signed(p.medianDiff)}) (goal < 2 ms)`],
  ];
  for (const [k, v] of rows) console.log(`  ${k.padEnd(30)} ${v}`);
}

async function withScratchPostgres<T>(fn: (database: Database) => Promise<T>): Promise<T> {
  const scratch = await scratchPostgres(pgUrl, 'od_bench');
  try {
    const database = await openDatabase({ url: scratch.url, maxConnections: 20 });
    try {
      return await fn(database);
    } finally {
      await database.close();
    }
  } finally {
    await scratch.drop();
  }
}

const { values: args } = parseArgs({ options: { only: { type: 'string' } } });
if (args.only && args.only !== 'builtin' && args.only !== 'dujiaoka') throw new Error('--only: expected builtin or dujiaoka');
const pgUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
console.log(`order-doctor bench: customer check, upstream latency ${LATENCY} ms, node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}`);
const builtin: { pglite?: Numbers; postgres?: Numbers } = {};
let postgresUp = args.only === 'dujiaoka';
if (args.only !== 'dujiaoka') {
  builtin.pglite = await benchOne('pglite', await openDatabase({}));
  try {
    builtin.postgres = await withScratchPostgres(async (database) => {
      postgresUp = true;
      return benchOne('postgres', database);
    });
  } catch (err) {
    console.log(`\n== postgres: skipped (${(err as Error).message})`);
  }
}

let shop: BenchShop | undefined;
if (args.only !== 'builtin') {
  try {
    shop = await scratchShop();
  } catch (err) {
    console.log(`\n== dujiaoka: skipped (${(err as Error).message})`);
  }
}
if (shop) {
  try {
    const pglite = await openDatabase({});
    await benchDujiaoka('PGlite', pglite, shop, builtin.pglite);
    await pglite.close();
    if (postgresUp) {
      try {
        await withScratchPostgres((database) => benchDujiaoka('Postgres', database, shop!, builtin.postgres));
      } catch (err) {
        console.log(`\n== dujiaoka (Postgres own db): skipped (${(err as Error).message})`);
      }
    }
  } finally {
    await shop.drop();
  }
}
await dispatcher.close();
console.log(`\nload average at the end ${loadavg()[0]!.toFixed(1)} (1 min; other work on the machine shows here)`);

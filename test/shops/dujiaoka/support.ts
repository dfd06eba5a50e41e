/**
 * A dujiaoka shop for tests, on the real MariaDB: a fresh database per test file built by our own
 * DDL (fixtures/dujiaoka/schema.sql, from the documented schema), row builders that write the way
 * dujiaoka does (times in the shop's local wall clock), and the sandbox gateways playing what each
 * order's gateway will answer. Without MariaDB (a laptop) the suites are skipped and named in the
 * run's last line (test/support/requires.ts); under CI=true a missing MariaDB fails the run instead.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import mysql from 'mysql2/promise';
import { loadConfig, type Env } from '../../../src/config.ts';
import { newMasterKey } from '../../../src/crypto/secret-box.ts';
import type { Database } from '../../../src/db/client.ts';
import { truncateAll } from '../../../src/db/migrate.ts';
import { testDatabase, type TestDatabase } from '../../support/db.ts';
import { requires, SHOP_SERVER_URL } from '../../support/requires.ts';
import { createServices, type Services } from '../../../src/services.ts';
import { listenSandbox, type SandboxListener } from '../../../src/sandbox/listener.ts';
import { sandboxCredentials, sandboxGatewayEnv, sandboxKeys } from '../../../src/sandbox/credentials.ts';
import type { GatewayAnswer, SandboxTrade, SandboxWorld } from '../../../src/sandbox/types.ts';
import type { Channel } from '../../../src/domain/verdicts.ts';
import { toShopTime } from '../../../src/shops/local-time.ts';

export const SERVER_URL = SHOP_SERVER_URL;
export const ZONE = 'Asia/Shanghai';

/** Whether MariaDB is up; a missing one fails the run under CI=true (money tests must not skip silently). */
export const MARIADB = await requires('mariadb');

export interface TestShop {
  url: string;
  pool: mysql.Pool;
  drop(): Promise<void>;
}

const DDL = readFileSync(new URL('../../../fixtures/dujiaoka/schema.sql', import.meta.url), 'utf8');

export async function freshShop(): Promise<TestShop> {
  const name = `od_dj_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = await mysql.createConnection({ uri: SERVER_URL, multipleStatements: true });
  await admin.query(`create database ${name} character set utf8mb4`);
  await admin.query(`use ${name}; ${DDL}`);
  await admin.end();
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const pool = mysql.createPool({ uri: url.toString(), dateStrings: true, connectionLimit: 4 });
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      const a = await mysql.createConnection({ uri: SERVER_URL });
      await a.query(`drop database if exists ${name}`);
      await a.end();
    },
  };
}

/** Empties the shop's tables (ids restart): a fresh shop per test without a new database. */
export async function resetShop(shop: TestShop): Promise<void> {
  for (const t of ['orders', 'carmis', 'goods', 'pays']) await shop.pool.query(`truncate table ${t}`);
}

export const local = (d: Date) => toShopTime(d, ZONE);

/** The shop's channels with the sandbox's credentials in them, as an owner would have typed theirs. */
export async function insertPays(shop: TestShop, sandboxUrl: string): Promise<void> {
  const k = sandboxKeys;
  const c = sandboxCredentials(sandboxUrl);
  const rows: [number, string, string, string, string | null, string | null, string, number][] = [
    [1, '支付宝当面付', 'zfbf2f', '/pay/alipay', k.alipay.appId, c.alipay.alipayPublicKey, c.alipay.merchantPrivateKey, 1],
    [8, '微信扫码', 'wescan', '/pay/wepay', k.wechatpayV2.appid, k.wechatpayV2.mchid, k.wechatpayV2.key, 1],
    [14, '易支付-支付宝', 'alipay', '/pay/yipay', k.epay.pid, `${sandboxUrl}/sandbox/epay/submit.php`, k.epay.key, 1],
    [21, 'Stripe[微信支付宝]', 'stripe', 'pay/stripe', 'pk_live_x', null, 'sk_live_x', 1],
    [3, '码支付 QQ', 'mqq', '/pay/mapay', '商户号', '', '密钥', 1],
  ];
  for (const r of rows) {
    await shop.pool.query(
      'insert into pays (id, pay_name, pay_check, pay_method, pay_client, merchant_id, merchant_key, merchant_pem, pay_handleroute, is_open) values (?, ?, ?, 1, 1, ?, ?, ?, ?, ?)',
      [r[0], r[1], r[2], r[4], r[5], r[6], r[3], r[7]],
    );
  }
}

export const PAY = { alipay: 1, wechat: 8, epay: 14, stripe: 21, mapay: 3 } as const;

export async function insertGoods(shop: TestShop, g: { id: number; name: string; priceCents: number; type?: 1 | 2; salesVolume?: number }): Promise<void> {
  await shop.pool.query(
    'insert into goods (id, gd_name, actual_price, type, sales_volume, in_stock, created_at, updated_at) values (?, ?, ?, ?, ?, 0, ?, ?)',
    [g.id, g.name, (g.priceCents / 100).toFixed(2), g.type ?? 1, g.salesVolume ?? 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00'],
  );
}

export async function insertCarmis(shop: TestShop, goodsId: number, keys: string[], opts: { loop?: boolean; status?: 1 | 2 } = {}): Promise<void> {
  for (const k of keys) {
    await shop.pool.query(
      'insert into carmis (goods_id, status, is_loop, carmi, created_at, updated_at) values (?, ?, ?, ?, ?, ?)',
      [goodsId, opts.status ?? 1, opts.loop ? 1 : 0, k, '2026-01-01 00:00:00', '2026-01-01 00:00:00'],
    );
  }
}

export interface OrderSpec {
  orderSn: string;
  goodsId: number;
  title?: string;
  type?: 1 | 2;
  buyAmount?: number;
  priceCents: number;
  searchPwd?: string;
  email?: string;
  info?: string | null;
  payId: number;
  tradeNo?: string;
  status: number;
  createdAt: Date;
  updatedAt?: Date;
}

export async function insertOrder(shop: TestShop, o: OrderSpec): Promise<void> {
  const n = o.buyAmount ?? 1;
  const total = ((o.priceCents * n) / 100).toFixed(2);
  await shop.pool.query(
    `insert into orders (order_sn, goods_id, title, type, goods_price, buy_amount, total_price, actual_price, search_pwd, email,
       info, pay_id, buy_ip, trade_no, status, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '127.0.0.1', ?, ?, ?, ?)`,
    [o.orderSn, o.goodsId, o.title ?? 'order', o.type ?? 1, (o.priceCents / 100).toFixed(2), n, total, total, o.searchPwd ?? '',
      o.email ?? 'buyer@example.com', o.info ?? null, o.payId, o.tradeNo ?? '', o.status, local(o.createdAt), local(o.updatedAt ?? o.createdAt)],
  );
}

export async function orderRow(shop: TestShop, orderSn: string): Promise<Record<string, unknown>> {
  const [rows] = await shop.pool.query('select * from orders where order_sn = ?', [orderSn]);
  return (rows as Record<string, unknown>[])[0]!;
}

export async function rows(shop: TestShop, q: string, args: unknown[] = []): Promise<Record<string, unknown>[]> {
  const [r] = await shop.pool.query(q, args);
  return r as Record<string, unknown>[];
}

/** What each order's gateway will answer (by order_sn), played by the sandbox over the real protocols. */
export class AnswerBook implements SandboxWorld {
  private trades = new Map<string, SandboxTrade>();
  set(orderSn: string, channel: Channel, totalCents: number, answer: GatewayAnswer, createdAt = new Date()): void {
    this.trades.set(orderSn, { orderNo: orderSn, channel, subject: orderSn, totalCents, createdAt: createdAt.toISOString(), answer });
  }
  clear(): void {
    this.trades.clear();
  }
  async findTrade(channel: Channel, ref: { orderNo: string } | { tradeNo: string }): Promise<SandboxTrade | null> {
    const t = 'orderNo' in ref ? this.trades.get(ref.orderNo) : [...this.trades.values()].find((x) => x.answer.tradeNo === ref.tradeNo);
    return t && t.channel === channel ? t : null;
  }
  async findSupplierOrder() {
    return null;
  }
}

export interface Harness {
  shop: TestShop;
  book: AnswerBook;
  sandbox: SandboxListener;
  services(env?: Env, opts?: { now?: () => Date }): Promise<Services>;
  close(): Promise<void>;
}

/**
 * A shop, the sandbox playing `book`, and a way to build services on it: the gateways from the
 * shop's own `pays` rows (SHOP_GATEWAYS=shop) unless `env` says otherwise.
 */
export async function harness(database: Database, clock: () => Date): Promise<Harness> {
  const shop = await freshShop();
  const book = new AnswerBook();
  const sandbox = await listenSandbox({ world: book, now: clock, latencyMs: 0 });
  await insertPays(shop, sandbox.baseUrl);
  const built: Services[] = [];
  return {
    shop, book, sandbox,
    async services(env: Env = {}, opts = {}) {
      await truncateAll(database);
      const config = loadConfig({
        SHOP: 'dujiaoka', SHOP_DATABASE_URL: shop.url, SHOP_GATEWAYS: 'shop', SHOP_TIMEZONE: ZONE,
        ALIPAY_GATEWAY: sandboxCredentials(sandbox.baseUrl).alipay.gateway,
        WECHATPAY_V2_URL: sandboxCredentials(sandbox.baseUrl).wechatpayV2.url,
        CARD_KEY_SECRET: newMasterKey(), CHECKER_TIMEOUT_MS: '3000', RATE_LIMITS: 'off', SWEEP_INTERVAL: 'off',
        SWEEP_RATE_LIMIT: '1000', ...env,
      });
      const svc = await createServices(config, { database, migrated: true, now: opts.now ?? clock });
      built.push(svc);
      return svc;
    },
    async close() {
      for (const s of built) await s.close().catch(() => {});
      await sandbox.close();
      await shop.drop();
    },
  };
}

/** The sandbox as order-doctor's own configured gateways (SHOP_GATEWAYS=config). */
export function configGateways(h: Harness): Env {
  return { SHOP_GATEWAYS: 'config', ...sandboxGatewayEnv(h.sandbox.baseUrl) };
}

/**
 * A suite's shop: our own test database (real Postgres with DATABASE_URL, else PGlite) and a
 * dujiaoka shop beside it, made before the suite's tests and dropped after them.
 */
export function suiteHarness(clock: () => Date): { readonly h: Harness } {
  let tdb: TestDatabase | undefined;
  let h: Harness | undefined;
  beforeAll(async () => {
    tdb = await testDatabase();
    h = await harness(tdb.database, clock);
  });
  afterAll(async () => {
    await h?.close();
    await tdb?.drop();
  });
  return {
    get h() {
      if (!h) throw new Error('the harness is made in beforeAll');
      return h;
    },
  };
}

/** An empty shop again, with its channels, and no gateway answers. */
export async function emptyShop(h: Harness): Promise<void> {
  await resetShop(h.shop);
  await insertPays(h.shop, h.sandbox.baseUrl);
  h.book.clear();
}

/**
 * A dujiaoka shop for tests, on the real MariaDB: a fresh database per test file built by our own
 * DDL (fixtures/dujiaoka/schema.sql, from the documented schema), row builders that write the way
 * dujiaoka does (times in the shop's local wall clock), and the sandbox gateways playing what each
 * order's gateway will answer (by order_sn). The server, the harness and the answer book are every
 * shop's suites' (../support/).
 */
import { readFileSync } from 'node:fs';
import type { Env } from '../../../src/config.ts';
import { newMasterKey } from '../../../src/crypto/secret-box.ts';
import type { Database } from '../../../src/db/client.ts';
import { testDatabase } from '../../support/db.ts';
import { sandboxCredentials, sandboxGatewayEnv, sandboxKeys } from '../../../src/sandbox/credentials.ts';
import { AnswerBook, emptyShop, shopHarness, suiteOf, type Harness as ShopHarness, type ShopKind } from '../support/harness.ts';
import { freshDatabase, local, MARIADB, rows, SERVER_URL, ZONE, type MySqlTestDatabase } from '../support/mysql.ts';

export { AnswerBook, emptyShop, local, MARIADB, rows, SERVER_URL, ZONE };

export type TestShop = MySqlTestDatabase;

const DDL = readFileSync(new URL('../../../fixtures/dujiaoka/schema.sql', import.meta.url), 'utf8');

export async function freshShop(): Promise<TestShop> {
  return freshDatabase('od_dj', DDL);
}

/** Empties the shop's tables (ids restart): a fresh shop per test without a new database. */
export async function resetShop(shop: TestShop): Promise<void> {
  for (const t of ['orders', 'carmis', 'goods', 'pays']) await shop.pool.query(`truncate table ${t}`);
}

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

export type Harness = ShopHarness<TestShop>;

/** dujiaoka as the harness builds it: its `pays` rows hold the sandbox's credentials, as an owner would have typed theirs. */
const DUJIAOKA: ShopKind<TestShop> = {
  fresh: freshShop,
  reset: resetShop,
  seed: insertPays,
  env: (shop, sandboxUrl) => ({
    SHOP: 'dujiaoka', SHOP_DATABASE_URL: shop.url, SHOP_GATEWAYS: 'shop', SHOP_TIMEZONE: ZONE,
    ALIPAY_GATEWAY: sandboxCredentials(sandboxUrl).alipay.gateway,
    WECHATPAY_V2_URL: sandboxCredentials(sandboxUrl).wechatpayV2.url,
    CARD_KEY_SECRET: newMasterKey(), CHECKER_TIMEOUT_MS: '3000', RATE_LIMITS: 'off', SWEEP_INTERVAL: 'off',
    SWEEP_RATE_LIMIT: '1000',
  }),
};

/**
 * A shop, the sandbox playing `book`, and a way to build services on it: the gateways from the
 * shop's own `pays` rows (SHOP_GATEWAYS=shop) unless `env` says otherwise.
 */
export async function harness(database: Database, clock: () => Date): Promise<Harness> {
  return shopHarness(DUJIAOKA, database, clock);
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
  return suiteOf(testDatabase, (database) => harness(database, clock));
}

/**
 * An acg-faka shop for tests, on the real MariaDB: a fresh database per suite built by our own DDL
 * (fixtures/acg-faka/schema.sql, from the documented schema) under a table prefix (acg_ unless a
 * test picks another), row builders that write the way acg-faka does (times in the shop's local wall
 * clock, 18-digit trade numbers), and the sandbox playing each order's EPay answer over the real
 * protocol. acg-faka keeps its plugins' credentials out of reach, so the gateways are order-doctor's
 * own settings (SHOP_GATEWAYS=config), the sandbox's here. The harness, the answer book, the server
 * and the zone are every MySQL shop's suites' (../support/: one MariaDB, one sandbox world per suite).
 */
import { readFileSync } from 'node:fs';
import type { Env } from '../../../src/config.ts';
import { newMasterKey } from '../../../src/crypto/secret-box.ts';
import type { Database } from '../../../src/db/client.ts';
import { sandboxGatewayEnv } from '../../../src/sandbox/credentials.ts';
import { testDatabase } from '../../support/db.ts';
import { AnswerBook, emptyShop, shopHarness, suiteOf, type Harness as ShopHarness, type ShopKind } from '../support/harness.ts';
import { freshDatabase, local, MARIADB, rows, SERVER_URL, ZONE, type MySqlTestDatabase } from '../support/mysql.ts';

export { AnswerBook, emptyShop, local, MARIADB, rows, SERVER_URL, ZONE };

const DDL = readFileSync(new URL('../../../fixtures/acg-faka/schema.sql', import.meta.url), 'utf8');

export interface TestShop extends MySqlTestDatabase {
  prefix: string;
  /** `acg_order` for `order`: the table's name under this shop's prefix, quoted */
  t(name: 'order' | 'card' | 'commodity' | 'pay'): string;
}

export async function freshShop(prefix = 'acg_'): Promise<TestShop> {
  const db = await freshDatabase('od_af', DDL.replaceAll('__PREFIX__', prefix));
  return { ...db, prefix, t: (table) => `\`${prefix}${table}\`` };
}

/** The shop's payment methods: its balance, two EPay types, and a plugin order-doctor does not speak. */
export const PAY = { balance: 1, epayAlipay: 2, epayWxpay: 3, usdt: 4 } as const;

export async function insertPays(shop: TestShop): Promise<void> {
  const rows: [number, string, string, string][] = [
    [PAY.balance, '余额', '#system', '#system'],
    [PAY.epayAlipay, '支付宝', 'alipay', 'Epay'],
    [PAY.epayWxpay, '微信', 'wxpay', 'Epay'],
    [PAY.usdt, 'USDT', 'usdt', 'Epusdt'],
  ];
  for (const [id, name, code, handle] of rows) {
    await shop.pool.query(`insert into ${shop.t('pay')} (id, name, code, commodity, recharge, create_time, handle) values (?, ?, ?, 1, 0, '1997-01-01 00:00:00', ?)`, [id, name, code, handle]);
  }
}

export interface CommoditySpec {
  id: number;
  name: string;
  priceCents: number;
  /** 0 automatic (default), 1 manual */
  deliveryWay?: 0 | 1;
  /** 0 oldest first (default), 1 random, 2 newest first */
  autoMode?: 0 | 1 | 2;
  sharedId?: number;
}

export async function insertCommodity(shop: TestShop, c: CommoditySpec): Promise<void> {
  await shop.pool.query(
    `insert into ${shop.t('commodity')} (id, name, price, create_time, code, delivery_way, delivery_auto_mode, shared_id, stock)
     values (?, ?, ?, '2026-01-01 00:00:00', ?, ?, ?, ?, 100)`,
    [c.id, c.name, (c.priceCents / 100).toFixed(2), `C${c.id}`, c.deliveryWay ?? 0, c.autoMode ?? 0, c.sharedId ?? null],
  );
}

export async function insertCards(shop: TestShop, commodityId: number, keys: string[], opts: { status?: 0 | 1 | 2; race?: string; sku?: Record<string, string> } = {}): Promise<void> {
  for (const k of keys) {
    await shop.pool.query(
      `insert into ${shop.t('card')} (commodity_id, secret, create_time, status, race, sku) values (?, ?, '2026-01-01 00:00:00', ?, ?, ?)`,
      [commodityId, k, opts.status ?? 0, opts.race ?? null, opts.sku ? JSON.stringify(opts.sku) : null],
    );
  }
}

export interface OrderSpec {
  tradeNo: string;
  commodityId: number;
  /** the unit price; the order's amount is price x quantity */
  priceCents: number;
  cardNum?: number;
  payId: number;
  /** 0 unpaid, 1 paid */
  status: 0 | 1;
  deliveryStatus?: 0 | 1;
  secret?: string | null;
  password?: string | null;
  contact?: string | null;
  createdAt: Date;
  paidAt?: Date;
  race?: string;
  sku?: Record<string, string>;
  cardId?: number;
  owner?: number;
  rebate?: string;
}

export async function insertOrder(shop: TestShop, o: OrderSpec): Promise<number> {
  const n = o.cardNum ?? 1;
  const [res] = await shop.pool.query(
    `insert into ${shop.t('order')} (owner, trade_no, amount, commodity_id, card_id, card_num, pay_id, create_time, create_ip, create_device,
       pay_time, status, secret, password, contact, delivery_status, race, sku, rebate)
     values (?, ?, ?, ?, ?, ?, ?, ?, '127.0.0.1', 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [o.owner ?? 0, o.tradeNo, ((o.priceCents * n) / 100).toFixed(2), o.commodityId, o.cardId ?? null, n, o.payId, local(o.createdAt),
      o.paidAt ? local(o.paidAt) : null, o.status, o.secret ?? null, o.password ?? null, o.contact ?? 'buyer@example.com',
      o.deliveryStatus ?? 0, o.race ?? null, o.sku ? JSON.stringify(o.sku) : null, o.rebate ?? '0.00'],
  );
  return (res as { insertId: number }).insertId;
}

export async function orderRow(shop: TestShop, tradeNo: string): Promise<Record<string, unknown>> {
  return (await rows(shop, `select * from ${shop.t('order')} where trade_no = ?`, [tradeNo]))[0]!;
}

/** Every card: its key, status, order and purchase time, by key. */
export async function cards(shop: TestShop): Promise<Record<string, { status: number; order_id: number | null; purchase_time: string | null }>> {
  const r = await rows(shop, `select secret, status, order_id, purchase_time from ${shop.t('card')} order by id`);
  return Object.fromEntries(r.map((x) => [x.secret as string, { status: x.status as number, order_id: x.order_id as number | null, purchase_time: x.purchase_time as string | null }]));
}

export async function resetShop(shop: TestShop): Promise<void> {
  await shop.pool.query('set foreign_key_checks = 0');
  for (const t of ['order', 'card', 'commodity', 'pay'] as const) await shop.pool.query(`truncate table ${shop.t(t)}`);
  await shop.pool.query('set foreign_key_checks = 1');
}

/** The environment of order-doctor on this shop, with the sandbox as its EPay (and every other) gateway. */
export function shopEnv(shop: TestShop, sandboxUrl: string): Env {
  return {
    SHOP: 'acg-faka', SHOP_DATABASE_URL: shop.url, SHOP_TABLE_PREFIX: shop.prefix, SHOP_TIMEZONE: ZONE,
    ...sandboxGatewayEnv(sandboxUrl), CARD_KEY_SECRET: newMasterKey(), CHECKER_TIMEOUT_MS: '3000', RATE_LIMITS: 'off',
    SWEEP_INTERVAL: 'off', SWEEP_RATE_LIMIT: '1000',
  };
}

export type Harness = ShopHarness<TestShop>;

/** acg-faka as the harness builds it, under the table prefix `prefix`: its payment methods, the sandbox as its gateways. */
const acgFaka = (prefix?: string): ShopKind<TestShop> => ({
  fresh: () => freshShop(prefix),
  reset: resetShop,
  seed: (shop) => insertPays(shop),
  env: shopEnv,
});

export async function harness(database: Database, clock: () => Date, opts: { prefix?: string } = {}): Promise<Harness> {
  return shopHarness(acgFaka(opts.prefix), database, clock);
}

/** A suite's shop beside our own test database, made before the suite's tests and dropped after them. */
export function suiteHarness(clock: () => Date, opts: { prefix?: string } = {}): { readonly h: Harness } {
  return suiteOf(testDatabase, (database) => harness(database, clock, opts));
}

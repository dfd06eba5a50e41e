/**
 * A dujiao-next shop for tests, on the real Postgres: a fresh database per test file built by our
 * own DDL (fixtures/dujiao-next/schema.sql, from the documented schema), row builders that write
 * the way dujiao-next does (an order with its items, a split order's children, payment attempts,
 * reserved and available keys), and the sandbox gateways playing what each attempt's gateway will
 * answer (asked by the attempt's gateway_order_no). The shop's gateways come from order-doctor's
 * own settings (dujiao-next's channel records lend none: src/shops/dujiao-next/channels.ts).
 * Without Postgres the suites are skipped and named in the run's last line; under CI=true a
 * missing Postgres fails the run instead (test/support/requires.ts).
 */
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { newMasterKey } from '../../../src/crypto/secret-box.ts';
import type { Database } from '../../../src/db/client.ts';
import { freshPostgres, type TestDatabase } from '../../support/db.ts';
import { POSTGRES_URL, requires } from '../../support/requires.ts';
import { sandboxGatewayEnv } from '../../../src/sandbox/credentials.ts';
import { emptyShop, shopHarness, suiteOf, type Harness as ShopHarness, type ShopKind } from '../support/harness.ts';

export { emptyShop };

/** Whether Postgres is up; a missing one fails the run under CI=true (money tests must not skip silently). */
export const PG = await requires('postgres');

const DDL = readFileSync(new URL('../../../fixtures/dujiao-next/schema.sql', import.meta.url), 'utf8');

export interface TestShop {
  url: string;
  sql: postgres.Sql;
  drop(): Promise<void>;
}

export async function freshShop(): Promise<TestShop> {
  const name = `od_dn_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(POSTGRES_URL!, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const u = new URL(POSTGRES_URL!);
  u.pathname = `/${name}`;
  const sql = postgres(u.toString(), { max: 4, onnotice: () => {} });
  await sql.unsafe(DDL);
  return {
    url: u.toString(), sql,
    async drop() {
      await sql.end({ timeout: 1 });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

export async function resetShop(shop: TestShop): Promise<void> {
  await shop.sql.unsafe('truncate users, orders, order_items, payment_channels, payments, fulfillments, card_secrets restart identity');
}

/** dujiao-next's channels as an owner sets them up: official Alipay and WeChat, EPay, Stripe. */
export const CHANNEL = { alipay: 1, wechat: 2, epay: 3, stripe: 4 } as const;
const CHANNELS: [number, string, string, string][] = [
  [1, '支付宝', 'official', 'alipay'], [2, '微信支付', 'official', 'wechat'], [3, '易支付-支付宝', 'epay', 'alipay'], [4, 'Stripe', 'stripe', 'stripe'],
];
export async function insertChannels(shop: TestShop): Promise<void> {
  for (const [id, name, provider, kind] of CHANNELS) {
    await shop.sql`insert into payment_channels (id, name, provider_type, channel_type) values (${id}, ${name}, ${provider}, ${kind})`;
  }
}

export async function insertSecrets(shop: TestShop, productId: number, keys: string[], opts: { skuId?: number; status?: 'available' | 'reserved' | 'used'; orderId?: number } = {}): Promise<void> {
  for (const k of keys) {
    await shop.sql`insert into card_secrets (product_id, sku_id, secret, status, order_id, reserved_at)
      values (${productId}, ${opts.skuId ?? 0}, ${k}, ${opts.status ?? 'available'}, ${opts.orderId ?? null}, ${opts.status === 'reserved' ? new Date('2026-11-22T01:00:00Z') : null})`;
  }
}

export interface Part { productId: number; quantity?: number; priceCents: number; type?: 'auto' | 'manual' | 'upstream'; title?: string }

export interface OrderSpec {
  orderNo: string;
  status: string;
  /** one part: a plain order; several: a split order (parent + one child per part, numbered -01, -02) */
  parts: Part[];
  /** each child's own status (default: the order's) */
  childStatus?: string[];
  guestPassword?: string;
  guestEmail?: string;
  userId?: number;
  createdAt: Date;
  paidAt?: Date | null;
  /** the payment attempts, oldest first */
  payments?: { channel: keyof typeof CHANNEL; status: string; gatewayOrderNo: string; providerRef?: string; feeCents?: number }[];
}

const yuan = (cents: number) => (cents / 100).toFixed(2);

/** Inserts the order (and children) with items and payments; returns the ids: [parent, ...children]. */
export async function insertOrder(shop: TestShop, o: OrderSpec): Promise<number[]> {
  const total = o.parts.reduce((n, p) => n + p.priceCents * (p.quantity ?? 1), 0);
  const row = async (orderNo: string, parentId: number | null, status: string, cents: number) => {
    const [r] = await shop.sql<{ id: string }[]>`insert into orders
      (order_no, parent_id, user_id, guest_email, guest_password, status, original_amount, total_amount, online_paid_amount, paid_at, expires_at, canceled_at, created_at, updated_at)
      values (${orderNo}, ${parentId}, ${o.userId ?? 0}, ${o.userId ? '' : (o.guestEmail ?? 'buyer@example.com')}, ${o.userId ? '' : (o.guestPassword ?? '')}, ${status},
        ${yuan(cents)}, ${yuan(cents)}, ${o.paidAt ? yuan(cents) : '0'}, ${o.paidAt ?? null}, ${new Date(o.createdAt.getTime() + 15 * 60_000)},
        ${status === 'canceled' ? new Date(o.createdAt.getTime() + 15 * 60_000) : null}, ${o.createdAt}, ${o.createdAt}) returning id`;
    return Number(r!.id);
  };
  const item = async (orderId: number, p: Part) => {
    await shop.sql`insert into order_items (order_id, product_id, sku_id, title, unit_price, quantity, total_price, fulfillment_type)
      values (${orderId}, ${p.productId}, 0, ${shop.sql.json({ 'zh-CN': p.title ?? `商品 ${p.productId}` })}, ${yuan(p.priceCents)}, ${p.quantity ?? 1},
        ${yuan(p.priceCents * (p.quantity ?? 1))}, ${p.type ?? 'auto'})`;
  };
  const parent = await row(o.orderNo, null, o.status, total);
  const ids = [parent];
  if (o.parts.length === 1) await item(parent, o.parts[0]!);
  else {
    for (const [i, p] of o.parts.entries()) {
      const child = await row(`${o.orderNo}-${String(i + 1).padStart(2, '0')}`, parent, o.childStatus?.[i] ?? o.status, p.priceCents * (p.quantity ?? 1));
      await item(child, p);
      ids.push(child);
    }
  }
  for (const [i, p] of (o.payments ?? []).entries()) {
    const [, , provider, kind] = CHANNELS.find((c) => c[0] === CHANNEL[p.channel])!;
    const at = new Date(o.createdAt.getTime() + (i + 1) * 1000);
    await shop.sql`insert into payments (order_id, channel_id, provider_type, channel_type, amount, fee_amount, status, provider_ref, gateway_order_no, created_at, updated_at, paid_at)
      values (${parent}, ${CHANNEL[p.channel]}, ${provider}, ${kind}, ${yuan(total + (p.feeCents ?? 0))}, ${yuan(p.feeCents ?? 0)}, ${p.status}, ${p.providerRef ?? ''},
        ${p.gatewayOrderNo}, ${at}, ${at}, ${p.status === 'success' ? at : null})`;
  }
  return ids;
}

export async function rows<T = Record<string, unknown>>(shop: TestShop, q: string, args: unknown[] = []): Promise<T[]> {
  return (await shop.sql.unsafe(q, args as never[])) as unknown as T[];
}

export type Harness = ShopHarness<TestShop>;

export const KEY = newMasterKey();

/** dujiao-next as the harness builds it: its channels, the sandbox as order-doctor's own gateways, one card-key secret. */
const DUJIAO_NEXT: ShopKind<TestShop> = {
  fresh: freshShop,
  reset: resetShop,
  seed: (shop) => insertChannels(shop),
  env: (shop, sandboxUrl) => ({
    SHOP: 'dujiao-next', SHOP_DATABASE_URL: shop.url, SHOP_GATEWAYS: 'config', ...sandboxGatewayEnv(sandboxUrl),
    CARD_KEY_SECRET: KEY, CHECKER_TIMEOUT_MS: '3000', RATE_LIMITS: 'off', SWEEP_INTERVAL: 'off', SWEEP_RATE_LIMIT: '1000',
  }),
};

export async function harness(database: Database, clock: () => Date): Promise<Harness> {
  return shopHarness(DUJIAO_NEXT, database, clock);
}

/** A suite's shop: our own test database on the real Postgres and a dujiao-next shop beside it. */
export function suiteHarness(clock: () => Date, maxConnections = 20): { readonly h: Harness; readonly tdb: TestDatabase } {
  return suiteOf(() => freshPostgres(POSTGRES_URL!, maxConnections), (database) => harness(database, clock));
}

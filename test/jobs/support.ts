/**
 * Sweep test helpers: services on a world with a clock the test moves, and order/answer builders.
 */
import { sql as sqlTag } from 'drizzle-orm';
import { loadConfig, type Env } from '../../src/config.ts';
import { newMasterKey } from '../../src/crypto/secret-box.ts';
import type { Database } from '../../src/db/client.ts';
import { truncateAll } from '../../src/db/migrate.ts';
import { createServices, type Services } from '../../src/services.ts';
import { loadWorld } from '../../src/world/load.ts';
import { parseScenario } from '../../src/world/schema.ts';

export interface Clock {
  now: () => Date;
  set(iso: string | Date): void;
  advance(ms: number): void;
}

export function movableClock(start: string | Date): Clock {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    set: (iso) => { t = new Date(iso).getTime(); },
    advance: (ms) => { t += ms; },
  };
}

/** Services over a freshly loaded world, its gateways played by the sandbox (SANDBOX=on); `clock` null = the real clock. */
export async function sweepServices(
  database: Database,
  world: Record<string, unknown>,
  opts: { clock: Clock | null; env?: Env; cardKeySecret?: string },
): Promise<Services> {
  const parsed = parseScenario({ name: 'sweep test', checks: [], legacy: { orders: [], migration: {} }, ...world });
  if (!parsed.ok) throw new Error(`bad test world: ${parsed.error}`);
  await truncateAll(database);
  const config = loadConfig({
    CARD_KEY_SECRET: opts.cardKeySecret ?? newMasterKey(), CHECKER_TIMEOUT_MS: '2000', RATE_LIMITS: 'off',
    SWEEP_INTERVAL: 'off', SWEEP_RATE_LIMIT: '1000', SANDBOX: 'on', ...opts.env,
  });
  const svc = await createServices(config, { database, migrated: true, ...(opts.clock ? { now: opts.clock.now } : {}) });
  await loadWorld(svc, parsed.scenario);
  return svc;
}

export const STEAM = { sku: 'STEAM-100', title: 'Steam 钱包充值卡 100元', priceCents: 10000, fulfilment: 'stock', deliveryWindowMinutes: 10 };

export function order(orderNo: string, createdAt: string, extra: Record<string, unknown> = {}) {
  return {
    orderNo, sku: 'STEAM-100', quantity: 1, amountCents: 10000, channel: 'alipay', status: 'pending', createdAt,
    querySecret: '8462', keys: [], supplier: null, ...extra,
  };
}

export function paid(orderNo: string, paidAt: string, n = 0) {
  return [orderNo, { state: 'paid', amountCents: 10000, paidAt, tradeNo: `20261122220014${String(n).padStart(8, '0')}` }] as const;
}

export function stockKeys(n: number, prefix = 'S100-SWEEP') {
  return Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(6, '0')}`);
}

/** The URL of the database a TestDatabase created (for a second pool or a child process). */
export async function urlOf(database: Database, serverUrl: string): Promise<string> {
  const [row] = await database.rows<{ name: string }>(sqlTag`select current_database() as name`);
  const u = new URL(serverUrl);
  u.pathname = `/${row!.name}`;
  return u.toString();
}

/** `n` paid, undelivered orders created 20 minutes before `now`, each on its own paid answer. */
export function stuckWorld(now: Date, n: number, stock = n) {
  const iso = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString();
  const orders = Array.from({ length: n }, (_, i) => order(`K2026${String(i + 1).padStart(8, '0')}`, iso(20)));
  return {
    now: now.toISOString(),
    products: [STEAM],
    stock: [{ sku: 'STEAM-100', keys: stockKeys(stock) }],
    orders,
    gateway: Object.fromEntries(orders.map((o, i) => paid(o.orderNo, iso(19), i))),
  };
}

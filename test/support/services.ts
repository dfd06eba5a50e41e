import { loadConfig, type Config, type Env } from '../../src/config.ts';
import { newMasterKey } from '../../src/crypto/secret-box.ts';
import type { Database } from '../../src/db/client.ts';
import { migrateDatabase, truncateAll } from '../../src/db/migrate.ts';
import { createServices, openConfiguredDatabase, type Services } from '../../src/services.ts';
import { loadWorld } from '../../src/world/load.ts';
import { parseScenario, type World } from '../../src/world/schema.ts';

/**
 * Services on a test database with a fixed clock, the sandbox upstreams (sandbox mode, unless `env`
 * says SANDBOX: 'off') and the given world loaded.
 */
export async function servicesWithWorld(database: Database, world: unknown, env: Env = {}): Promise<Services> {
  const parsed = parseScenario({ name: 'test', checks: [], ...(world as object) });
  if (!parsed.ok) throw new Error(`bad test world: ${parsed.error}`);
  const w: World = parsed.scenario;
  await truncateAll(database);
  const config = loadConfig({ CARD_KEY_SECRET: newMasterKey(), CHECKER_TIMEOUT_MS: '2000', RATE_LIMITS: 'off', SANDBOX: 'on', ...env });
  const fixed = new Date(w.now);
  const svc = await createServices(config, { database, migrated: true, now: () => new Date(fixed) });
  await loadWorld(svc, w);
  return svc;
}

/** A small world: one stock product, one order per entry, each paid on the gateway unless said otherwise. */
export function paidOrdersWorld(opts: { orders: number; stock: number; channel?: 'alipay' | 'wechat' | 'epay'; quantity?: number }) {
  const q = opts.quantity ?? 1;
  const orders = Array.from({ length: opts.orders }, (_, i) => ({
    orderNo: `K20261122${String(i + 1).padStart(5, '0')}`, sku: 'STEAM-100', quantity: q, amountCents: 10000 * q,
    channel: opts.channel ?? 'alipay', status: 'pending', createdAt: '2026-11-22T09:40:00+08:00',
    querySecret: '8462', keys: [], supplier: null,
  }));
  return {
    now: '2026-11-22T10:00:00+08:00',
    products: [{ sku: 'STEAM-100', title: 'Steam 钱包充值卡 100元', priceCents: 10000, fulfilment: 'stock', deliveryWindowMinutes: 10 }],
    stock: [{ sku: 'STEAM-100', keys: Array.from({ length: opts.stock }, (_, i) => `S100-TEST-${String(i).padStart(5, '0')}`) }],
    orders,
    gateway: Object.fromEntries(orders.map((o, i) => [o.orderNo, {
      state: 'paid', amountCents: o.amountCents, paidAt: '2026-11-22T09:41:10+08:00', tradeNo: `2026112222001400${String(i).padStart(5, '0')}`,
    }])),
  };
}

/**
 * The database `config` names (PGlite: holding DATA_DIR's lock meanwhile), migrated, with services
 * made by `make` (default: plain services on it), for `fn` only: what the CLI tests do between runs
 * of the command itself.
 */
export async function withConfiguredServices<T>(
  config: Config,
  fn: (svc: Services) => Promise<T>,
  make: (database: Database) => Promise<Services> = (database) => createServices(config, { database, migrated: true }),
): Promise<T> {
  const database = await openConfiguredDatabase(config);
  try {
    await migrateDatabase(database);
    const svc = await make(database);
    try {
      return await fn(svc);
    } finally {
      await svc.close();
    }
  } finally {
    await database.close();
  }
}

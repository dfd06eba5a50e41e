/**
 * The dujiaoka (独角数卡) adapter: order-doctor next to the shop an owner already runs, reading its
 * MySQL/MariaDB tables as they are (no schema change asked of the shop) and delivering into them
 * exactly as dujiaoka's own completion would. mysql2 with drizzle's MySQL dialect.
 */
import { drizzle } from 'drizzle-orm/mysql2';
import type mysql from 'mysql2/promise';
import { indexLeads, serverVersion, shopPool, supportsSkipLocked } from '../mysql/pool.ts';
import type { ShopConfig } from '../../config.ts';
import type { Database } from '../../db/client.ts';
import { digestsEqual, type SecretBox } from '../../crypto/secret-box.ts';
import type { ShopOpenDeps, ShopPort } from '../port.ts';
import type { DujiaokaContext, ServerFacts } from './context.ts';
import { dujiaokaTables } from './tables.ts';
import { findByContact, findByNumber, findByOrderNo } from './find.ts';
import { SECRET, type DujiaokaOrder, infoKeys } from './map.ts';
import { deliverDujiaoka, landedDujiaoka } from './deliver.ts';
import { countDujiaokaStuck, findDujiaokaStuck } from './stuck.ts';
import { dujiaokaChannels } from './channels.ts';
import { dujiaokaInStock } from './stock.ts';
import { STATUS, TYPE } from './tables.ts';
import { checkOpened } from '../errors.ts';
import { readSchema, schemaGaps } from './schema-check.ts';

type DujiaokaConfig = Extract<ShopConfig, { kind: 'dujiaoka' }>;

export type OpenDeps = ShopOpenDeps;

/** moved to ../mysql/pool.ts (shared with acg-faka); still exported here for the callers that import them from dujiaoka */
export { shopPool, supportsSkipLocked };

/** Server version and what it means for the claim, and which of the optional indexes are there. */
export async function serverFacts(pool: mysql.Pool, prefix: string): Promise<ServerFacts> {
  const version = await serverVersion(pool);
  return {
    version, skipLocked: supportsSkipLocked(version),
    tradeNoIndex: await indexLeads(pool, `${prefix}orders`, ['trade_no']),
    stockIndex: await indexLeads(pool, `${prefix}carmis`, ['goods_id', 'status']),
  };
}

/** What is worth saying at start about this shop (serve prints it): its server, and the indexes a large shop wants. */
export function startNotes(server: ServerFacts, prefix: string): string[] {
  const notes = [`shop: dujiaoka on ${server.version}${server.skipLocked ? '' : ' (no SKIP LOCKED: stock claims wait for each other, still exactly once)'}`];
  if (!server.tradeNoIndex) {
    notes.push(`shop: orders.trade_no has no index: a buyer's transaction number is looked up through the gateways (optional: CREATE INDEX idx_trade_no ON \`${prefix}orders\` (trade_no))`);
  }
  if (!server.stockIndex) {
    notes.push(`shop: carmis has no (goods_id, status) index: stock claims walk a product's sold keys (optional: CREATE INDEX idx_goods_status ON \`${prefix}carmis\` (goods_id, status))`);
  }
  return notes;
}

export async function openDujiaokaShop(cfg: DujiaokaConfig, deps: OpenDeps): Promise<ShopPort> {
  const pool = shopPool(cfg.databaseUrl, { statementTimeoutMs: cfg.statementTimeoutMs });
  const server = await checkOpened(cfg.databaseUrl, 'dujiaoka', () => pool.end(), async () => ({
    facts: await serverFacts(pool, cfg.tablePrefix),
    gaps: schemaGaps(await readSchema(pool, dujiaokaTables(cfg.tablePrefix))),
  }));
  const u = new URL(cfg.databaseUrl);
  const ctx: DujiaokaContext = {
    db: drizzle({ client: pool }), pool, t: dujiaokaTables(cfg.tablePrefix), prefix: cfg.tablePrefix, zone: cfg.timezone, box: deps.box, now: deps.now,
    autoWindowMs: cfg.autoWindowMs, manualWindowMs: cfg.manualWindowMs, server, own: deps.database,
    identity: `dujiaoka:${u.hostname}:${u.port || 3306}/${u.pathname.slice(1)}/${cfg.tablePrefix}`,
  };
  return createDujiaokaShop(ctx);
}

export function createDujiaokaShop(ctx: DujiaokaContext): ShopPort {
  return {
    kind: 'dujiaoka',
    separate: true,
    notes: startNotes(ctx.server, ctx.prefix),
    find: (asked) => findByNumber(ctx, asked),
    findByOrderNo: (orderNo) => findByOrderNo(ctx, orderNo),
    findByContact: (contact, limit) => findByContact(ctx, contact, limit),
    async verifySecret(order, secret) {
      const expected = (order as DujiaokaOrder)[SECRET];
      if (!expected) throw new Error('not a dujiaoka order');
      // 查询密码 exactly as typed; an order without one is opened by its email, whatever its case
      const given = expected.kind === 'email' ? secret.trim().toLowerCase() : secret;
      // both sides through the same keyed hash: constant-time, and equal work whatever the lengths
      return digestsEqual(await ctx.box.querySecretHash(order.orderNo, given), await ctx.box.querySecretHash(order.orderNo, expected.value));
    },
    async revealKeys(order) {
      const o = order as DujiaokaOrder;
      if (o.rawStatus !== STATUS.COMPLETED) return [];
      const issuedAt = (o.updatedAt ?? o.createdAt).toISOString();
      // manual goods: the owner's delivery text is the whole of what the buyer gets
      const keys = o.type === TYPE.MANUAL ? [o.info ?? ''].filter((k) => k.trim() !== '') : infoKeys(o.info);
      return keys.map((secret, i) => ({ slot: i + 1, secret, issuedAt, replacement: false }));
    },
    deliver: (req, dc) => deliverDujiaoka(ctx, req, dc),
    landed: (entry) => landedDujiaoka(ctx, entry),
    findStuck: (q) => findDujiaokaStuck(ctx, q),
    countStuck: (q) => countDujiaokaStuck(ctx, q),
    inStock: (skus) => dujiaokaInStock(ctx, skus),
    channels: () => dujiaokaChannels(ctx),
    ping: async () => {
      await ctx.pool.query('select 1');
    },
    close: () => ctx.pool.end(),
  };
}

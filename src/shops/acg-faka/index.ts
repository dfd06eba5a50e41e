/**
 * The acg-faka adapter: order-doctor next to the shop an owner already runs, reading its MySQL
 * tables as they are (with the table prefix chosen at install; no schema change asked of the shop)
 * and delivering into them exactly as acg-faka's own payment path would. mysql2 with drizzle's
 * MySQL dialect; the pool and server facts are shared with dujiaoka (../mysql/).
 */
import { drizzle } from 'drizzle-orm/mysql2';
import type { Pool } from 'mysql2/promise';
import type { ShopConfig } from '../../config.ts';
import { digestsEqual } from '../../crypto/secret-box.ts';
import type { ShopOpenDeps, ShopPort } from '../port.ts';
import { checkOpened } from '../errors.ts';
import { indexLeads, serverVersion, shopPool, supportsSkipLocked } from '../mysql/pool.ts';
import { readTables, schemaGaps } from '../mysql/schema.ts';
import type { AcgFakaContext, AcgFakaServer } from './context.ts';
import { acgFakaTables, TABLES } from './tables.ts';
import { findByContact, findByTradeNo } from './find.ts';
import { SECRET, type AcgFakaOrder } from './map.ts';
import { deliverAcgFaka, landedAcgFaka } from './deliver.ts';
import { countAcgFakaStuck, findAcgFakaStuck } from './stuck.ts';
import { acgFakaChannels, acgFakaInStock } from './channels.ts';
import { fromShopTime } from '../local-time.ts';

type AcgFakaConfig = Extract<ShopConfig, { kind: 'acg-faka' }>;

/** Server version and what it means for the claim, and whether the optional stock index is there. */
export async function acgFakaServer(pool: Pool, prefix: string): Promise<AcgFakaServer> {
  const version = await serverVersion(pool);
  return { version, skipLocked: supportsSkipLocked(version), stockIndex: await indexLeads(pool, `${prefix}card`, ['commodity_id', 'status']) };
}

/** What is worth saying at start about this shop (serve prints it): its server, and the index a large shop wants. */
export function startNotes(server: AcgFakaServer, prefix: string): string[] {
  const notes = [`shop: acg-faka on ${server.version}${server.skipLocked ? '' : ' (no SKIP LOCKED: card claims wait for each other, still exactly once)'}`];
  if (!server.stockIndex) {
    notes.push(`shop: ${prefix}card has no (commodity_id, status) index: card claims walk a product's sold cards (optional: CREATE INDEX idx_commodity_status ON \`${prefix}card\` (commodity_id, status))`);
  }
  return notes;
}

export async function openAcgFakaShop(cfg: AcgFakaConfig, deps: ShopOpenDeps): Promise<ShopPort> {
  const pool = shopPool(cfg.databaseUrl, { statementTimeoutMs: cfg.statementTimeoutMs });
  const t = acgFakaTables(cfg.tablePrefix);
  const server = await checkOpened(cfg.databaseUrl, 'acg-faka', () => pool.end(), async () => ({
    facts: await acgFakaServer(pool, cfg.tablePrefix),
    gaps: schemaGaps(await readTables(pool, t, TABLES)),
  }));
  const u = new URL(cfg.databaseUrl);
  return createAcgFakaShop({
    db: drizzle({ client: pool }), pool, t, prefix: cfg.tablePrefix, zone: cfg.timezone, box: deps.box, now: deps.now,
    autoWindowMs: cfg.autoWindowMs, manualWindowMs: cfg.manualWindowMs, server, own: deps.database,
    identity: `acg-faka:${u.hostname}:${u.port || 3306}/${u.pathname.slice(1)}/${cfg.tablePrefix}`,
  });
}

export function createAcgFakaShop(ctx: AcgFakaContext): ShopPort {
  return {
    kind: 'acg-faka',
    separate: true,
    notes: startNotes(ctx.server, ctx.prefix),
    // the shop's number is the only one it knows (it keeps no gateway transaction number)
    find: (asked) => findByTradeNo(ctx, asked),
    findByOrderNo: (orderNo) => findByTradeNo(ctx, orderNo),
    findByContact: (contact, limit) => findByContact(ctx, contact, limit),
    async verifySecret(order, secret) {
      const o = order as AcgFakaOrder;
      if (!(SECRET in o)) throw new Error('not an acg-faka order');
      const expected = o[SECRET];
      // 查询密码 exactly as typed; without one, the contact the buyer gave, whatever its case
      const given = expected?.kind === 'contact' ? secret.trim().toLowerCase() : secret;
      // both sides through the same keyed hash: constant-time, and equal work whatever the lengths
      const same = digestsEqual(await ctx.box.querySecretHash(order.orderNo, given), await ctx.box.querySecretHash(order.orderNo, expected?.value ?? ''));
      // an order with neither (an old row) opens for no one
      return same && expected !== null;
    },
    async revealKeys(order) {
      const o = order as AcgFakaOrder;
      if (o.status !== 'delivered' && o.held.length === 0) return [];
      if (!o.automatic) {
        // the owner's delivery text is the whole of what the buyer gets
        const text = (o.deliveryText ?? '').trim();
        return text ? [{ slot: 1, secret: text, issuedAt: (o.paidAt ?? o.createdAt).toISOString(), replacement: false }] : [];
      }
      return o.held.map((k, i) => ({
        slot: i + 1, secret: k.secret, replacement: false,
        issuedAt: (fromShopTime(k.purchaseTime, ctx.zone) ?? o.paidAt ?? o.createdAt).toISOString(),
      }));
    },
    deliver: (req, dc) => deliverAcgFaka(ctx, req, dc),
    landed: (entry) => landedAcgFaka(ctx, entry),
    findStuck: (q) => findAcgFakaStuck(ctx, q),
    countStuck: (q) => countAcgFakaStuck(ctx, q),
    inStock: (skus) => acgFakaInStock(ctx, skus),
    channels: () => acgFakaChannels(ctx),
    ping: async () => {
      await ctx.pool.query('select 1');
    },
    close: () => ctx.pool.end(),
  };
}

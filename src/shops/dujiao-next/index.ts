/**
 * The dujiao-next adapter: order-doctor next to the Go shop an owner already runs, reading its
 * PostgreSQL tables as they are (no schema change asked of the shop) and delivering into them
 * exactly as dujiao-next's own automatic fulfilment would. postgres.js with drizzle's pg dialect.
 *
 * The order number buyers type is the top-level order's `order_no` (a split order's children
 * have their own numbers, which lead to the parent); map.ts says how the children map onto one
 * ShopOrder and which payment attempt is "the" payment.
 */
import { drizzle } from 'drizzle-orm/postgres-js';
import type { Sql } from 'postgres';
import { deadlineBoundPostgres } from '../../db/client.ts';
import type { Postgres } from '../../db/postgres-guard.ts';
import type { ShopConfig } from '../../config.ts';
import { digestsEqual } from '../../crypto/secret-box.ts';
import type { ShopOpenDeps, ShopPort } from '../port.ts';
import { checkOpened } from '../errors.ts';
import type { DujiaoNextContext } from './context.ts';
import { findByContact, findByNumber, findByOrderNo, load } from './find.ts';
import { autoTargets, payloadKeys, SECRET, type DujiaoNextOrder } from './map.ts';
import { deliverDujiaoNext, landedDujiaoNext } from './deliver.ts';
import { countDujiaoNextStuck, findDujiaoNextStuck } from './stuck.ts';
import { dujiaoNextChannels } from './channels.ts';
import { dujiaoNextInStock } from './stock.ts';
import { readSchema, schemaGaps } from './schema-check.ts';

type DujiaoNextConfig = Extract<ShopConfig, { kind: 'dujiao-next' }>;

/**
 * A pool on the shop's database, with the deadlines of our own (db/client.ts): the guarded
 * postgres.js (a shop's Postgres dropping our connections must not take the process down), a
 * connect timeout, a statement timeout and a reply watch (a hung or partitioned shop database is a
 * 503, never a hang). Decimals stay strings (never floats), as every money column is read. Through
 * Hyperdrive (a Worker) no session settings are sent, as for our own database there.
 */
export async function shopSql(
  url: string,
  opts: { connections?: number; statementTimeoutMs?: number; postgres?: Postgres } = {},
): Promise<{ sql: Sql; stop(): void }> {
  const { client, stop } = await deadlineBoundPostgres(
    {
      url, maxConnections: opts.connections ?? 10, statementTimeoutMs: opts.statementTimeoutMs,
      postgres: opts.postgres, startupSettings: !viaHyperdrive(new URL(url)),
    },
    {
      idle_timeout: 30,
      // numeric (1700) as text: drizzle's numeric columns expect strings
      types: { numeric: { to: 1700, from: [1700], serialize: (v: string) => v, parse: (v: string) => v } },
    },
  );
  return { sql: client, stop };
}

/** Server version, for `serve`'s start notes and `shop check`. */
export async function serverVersion(sql: Sql): Promise<string> {
  const [row] = await sql<{ v: string }[]>`select current_setting('server_version') as v`;
  return `PostgreSQL ${row?.v ?? '?'}`;
}

/**
 * Whether the URL is a Hyperdrive binding's (a Worker's SHOP_HYPERDRIVE): its host is
 * `<random hex>.hyperdrive.local`, drawn anew by each isolate, whatever server is behind it.
 */
const viaHyperdrive = (u: URL) => u.hostname.endsWith('.hyperdrive.local');

/**
 * The shop's database as order-doctor's own records name it (the sweep cursor's key). Named by a
 * Hyperdrive host, every new isolate would start a cursor of its own (the sweep re-reading its
 * whole window) and leave another settings row behind; the database's name, which Hyperdrive
 * passes through, stays the same.
 */
function shopIdentity(u: URL): string {
  return viaHyperdrive(u) ? `dujiao-next:hyperdrive${u.pathname}` : `dujiao-next:${u.hostname}:${u.port || 5432}${u.pathname}`;
}

export async function openDujiaoNextShop(cfg: DujiaoNextConfig, deps: ShopOpenDeps): Promise<ShopPort> {
  const u = new URL(cfg.databaseUrl);
  // on a Worker: 2 of the 5 database connections an invocation keeps (worker/services.ts), the shop's reads are few
  const { sql, stop } = await shopSql(cfg.databaseUrl, {
    ...(viaHyperdrive(u) ? { connections: 2 } : {}), statementTimeoutMs: cfg.statementTimeoutMs, postgres: deps.postgres,
  });
  const version = await checkOpened(cfg.databaseUrl, 'dujiao-next', () => sql.end({ timeout: 1 }).finally(stop), async () => ({
    facts: await serverVersion(sql),
    gaps: schemaGaps(await readSchema(sql)),
  }));
  const ctx: DujiaoNextContext = {
    db: drizzle({ client: sql }), sql, box: deps.box, now: deps.now,
    autoWindowMs: cfg.autoWindowMs, manualWindowMs: cfg.manualWindowMs, own: deps.database,
    identity: shopIdentity(u),
  };
  const port = createDujiaoNextShop(ctx, [`shop: dujiao-next on ${version}`]);
  return { ...port, close: () => port.close().finally(stop) };
}

export function createDujiaoNextShop(ctx: DujiaoNextContext, notes: string[] = []): ShopPort {
  return {
    kind: 'dujiao-next',
    separate: true,
    notes,
    find: (asked) => findByNumber(ctx, asked),
    findByOrderNo: (orderNo) => findByOrderNo(ctx, orderNo),
    findByContact: (contact, limit) => findByContact(ctx, contact, limit),
    async verifySecret(order, secret) {
      const expected = (order as DujiaoNextOrder)[SECRET];
      if (!expected) throw new Error('not a dujiao-next order');
      // an order nobody can open (no password, no email) opens for no one, the same work done
      const given = expected.kind === 'email' ? secret.trim().toLowerCase() : secret;
      const same = digestsEqual(await ctx.box.querySecretHash(order.orderNo, given), await ctx.box.querySecretHash(order.orderNo, expected.value));
      return same && expected.value !== '';
    },
    async revealKeys(order) {
      const l = await load(ctx.db, order.id);
      if (!l) return [];
      return autoTargets(l).flatMap((t) => {
        const f = l.fulfillments.find((x) => x.orderId === t.id && x.status === 'delivered');
        return payloadKeys(f?.payload ?? null).map((secret) => ({ secret, issuedAt: (f!.deliveredAt ?? t.updatedAt).toISOString() }));
      }).map((k, i) => ({ slot: i + 1, secret: k.secret, issuedAt: k.issuedAt, replacement: false }));
    },
    deliver: (req, dc) => deliverDujiaoNext(ctx, req, dc),
    landed: (entry) => landedDujiaoNext(ctx, entry),
    findStuck: (q) => findDujiaoNextStuck(ctx, q),
    countStuck: (q) => countDujiaoNextStuck(ctx, q),
    inStock: (skus) => dujiaoNextInStock(ctx, skus),
    channels: () => dujiaoNextChannels(ctx),
    ping: async () => {
      await ctx.sql`select 1`;
    },
    close: () => ctx.sql.end({ timeout: 5 }),
  };
}

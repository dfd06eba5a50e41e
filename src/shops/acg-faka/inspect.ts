/**
 * What `order-doctor shop check` finds in an acg-faka database, as a typed report: the server, the
 * four tables (under SHOP_TABLE_PREFIX) and the columns order-doctor reads, the last day's orders,
 * unsold cards, every payment method and whether order-doctor can verify it, the optional card
 * index, the clocks, the user's grants, and the first thing to fix. Read-only and cheap: the day's
 * orders come through acg-faka's own create_time index, cards are counted on its status index.
 * Nothing here prints or returns a credential.
 */
import { getTableColumns, getTableName } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/mysql2';
import type { Pool } from 'mysql2/promise';
import type { Config, ShopConfig } from '../../config.ts';
import type { Channel } from '../../domain/verdicts.ts';
import { toShopTime } from '../local-time.ts';
import { readClock, type ClockReport } from '../mysql/clock.ts';
import { readGrantsFor, type GrantReport } from '../mysql/grants.ts';
import { indexLeads, supportsSkipLocked } from '../mysql/pool.ts';
import { q, readTables, type TableFound } from '../mysql/schema.ts';
import {
  clockProblem, grantsProblem, indexesProblem, readServer, tick, verdict, type IndexReport, type Problem, type ProblemCode, type Verdict,
} from '../mysql/inspect.ts';
import { acgFakaChannels } from './channels.ts';
import { acgFakaTables, CARD, ORDER, TABLES, WAY, type TableName } from './tables.ts';

export type { IndexReport, Problem, ProblemCode };

export interface InspectConfig {
  shop: Extract<ShopConfig, { kind: 'acg-faka' }>;
  gateways: Config['gateways'];
  epayV1Trust: Config['epayV1Trust'];
  /** how far back a payment can still turn up (SWEEP_HORIZON): the window the recent counts cover */
  horizonMs: number;
}

export interface AcgFakaChannelReport {
  id: string;
  name: string;
  /** the plugin (`Epay`, `#system`, ...) */
  handler: string;
  open: boolean;
  protocol: Channel | null;
  /** verifiable: EPay with order-doctor's EPAY_* settings; no_credentials: EPay without them; unsupported: a plugin it does not speak */
  status: 'verifiable' | 'no_credentials' | 'unsupported' | 'balance';
  unsigned: boolean;
  paidNeverIssues: boolean;
  recentOrders: number | null;
  recentUnpaid: number | null;
}

export interface AcgFakaReport extends Verdict {
  shop: 'acg-faka';
  database: { host: string; port: number; name: string; tablePrefix: string };
  server: { version: string; skipLocked: boolean };
  tables: TableFound<TableName>[];
  /** none of the tables found, but all four are under this prefix: SHOP_TABLE_PREFIX's likely value */
  suggestedPrefix: string | null;
  recentOrders: number | null;
  horizonHours: number;
  unsoldCards: number | null;
  /** automatic products on sale without one unsold card */
  productsOutOfStock: number | null;
  channels: AcgFakaChannelReport[];
  /** where the gateways come from: acg-faka keeps its plugins' credentials out of reach */
  gatewaysNote: string;
  indexes: IndexReport[];
  clock: ClockReport;
  grants: GrantReport;
}

/** The columns a delivery updates (deliver.ts), by table. */
const UPDATES: Partial<Record<TableName, string[]>> = {
  order: ['status', 'pay_time', 'secret', 'delivery_status'],
  card: ['status', 'order_id', 'purchase_time'],
};

const HOUR = 3_600_000;

export async function inspectAcgFaka(pool: Pool, cfg: InspectConfig, deps: { now: () => Date }): Promise<AcgFakaReport> {
  const url = new URL(cfg.shop.databaseUrl);
  const t = acgFakaTables(cfg.shop.tablePrefix);
  const { version, dbName } = await readServer(pool, cfg.shop.databaseUrl);
  const grants = await readGrantsFor(pool, dbName, TABLES.map((name) => ({
    table: getTableName(t[name]), reads: Object.values(getTableColumns(t[name])).map((c) => c.name), writes: UPDATES[name] ?? [],
  })));
  const tables = await readTables(pool, t, TABLES);
  const suggestedPrefix = tables.some((x) => x.present) ? null : await findPrefix(pool, cfg.shop.tablePrefix);
  const complete = (n: TableName) => tables.some((x) => x.name === n && x.present && x.missingColumns.length === 0);
  const now = deps.now();

  let recentOrders: number | null = null;
  const recentByPay = new Map<string, { orders: number; unpaid: number }>();
  let newestOrder: string | null = null;
  if (complete('order')) {
    const since = toShopTime(new Date(now.getTime() - cfg.horizonMs), cfg.shop.timezone);
    const byPay = await q<{ pay_id: number; n: number | string; unpaid: number | string | null }>(pool,
      `select pay_id, count(*) as n, sum(status = ${ORDER.UNPAID}) as unpaid from ${tick(getTableName(t.order))} where create_time > ? group by pay_id`, [since]);
    recentOrders = byPay.reduce((s, r) => s + Number(r.n), 0);
    for (const r of byPay) recentByPay.set(String(r.pay_id), { orders: Number(r.n), unpaid: Number(r.unpaid ?? 0) });
    const [newest] = await q<{ c: string | null }>(pool, `select create_time as c from ${tick(getTableName(t.order))} order by id desc limit 1`);
    newestOrder = newest?.c ?? null;
  }

  let unsoldCards: number | null = null;
  let productsOutOfStock: number | null = null;
  if (complete('card') && complete('commodity')) {
    const groups = await q<{ commodity_id: number; n: number | string }>(pool,
      `select commodity_id, count(*) as n from ${tick(getTableName(t.card))} where status = ${CARD.UNSOLD} group by commodity_id`);
    unsoldCards = groups.reduce((s, g) => s + Number(g.n), 0);
    const stocked = new Set(groups.map((g) => Number(g.commodity_id)));
    const auto = await q<{ id: number }>(pool,
      `select id from ${tick(getTableName(t.commodity))} where delivery_way = ${WAY.AUTOMATIC} and (shared_id is null or shared_id = 0) and status = 1`);
    productsOutOfStock = auto.filter((g) => !stocked.has(Number(g.id))).length;
  }

  const readers = { db: drizzle({ client: pool }), t };
  const epay = cfg.gateways.epay;
  const channels = complete('pay')
    ? (await acgFakaChannels(readers)).map((c): AcgFakaChannelReport => {
      const recent = recentOrders === null ? null : recentByPay.get(c.ref) ?? { orders: 0, unpaid: 0 };
      const unsigned = c.channel === 'epay' && epay?.version === 'v1';
      const status = c.handler === '#system' ? 'balance' : !c.channel ? 'unsupported' : epay ? 'verifiable' : 'no_credentials';
      return {
        id: c.ref, name: c.name, handler: c.handler, open: c.open, protocol: c.channel, status,
        unsigned: status === 'verifiable' && unsigned, paidNeverIssues: status === 'verifiable' && unsigned && cfg.epayV1Trust === 'reject',
        recentOrders: recent?.orders ?? null, recentUnpaid: recent?.unpaid ?? null,
      };
    })
    : [];
  const cardTable = getTableName(t.card);
  const indexes: IndexReport[] = complete('card') ? [{
    name: `${cardTable} (commodity_id, status)`, present: await indexLeads(pool, cardTable, ['commodity_id', 'status']),
    why: 'card claims and stock counts stop walking a product\'s sold cards',
    create: `CREATE INDEX idx_commodity_status ON ${tick(cardTable)} (commodity_id, status);`,
  }] : [];
  const clock = await readClock(pool, cfg.shop.timezone, now, newestOrder, { shop: 'acg-faka', zoneSetting: 'kernel/Kernel.php, Asia/Shanghai' });

  const report: Omit<AcgFakaReport, 'problems' | 'usable' | 'firstToFix'> = {
    shop: 'acg-faka',
    database: { host: url.hostname, port: Number(url.port || 3306), name: dbName, tablePrefix: cfg.shop.tablePrefix },
    server: { version, skipLocked: supportsSkipLocked(version) },
    tables, suggestedPrefix, recentOrders, horizonHours: Math.round(cfg.horizonMs / HOUR), unsoldCards, productsOutOfStock, channels,
    gatewaysNote: `acg-faka keeps its payment plugins' credentials in their own configuration: EPay is verified through order-doctor's EPAY_* settings${cfg.shop.gateways === 'shop' ? ' (SHOP_GATEWAYS=shop has nothing to read here)' : ''}`,
    indexes, clock, grants,
  };
  return { ...report, ...verdict(problemsOf(report)) };
}

/** With none of the tables where expected: a prefix under which all four are there. */
async function findPrefix(pool: Pool, current: string): Promise<string | null> {
  const names = new Set((await q<{ name: string }>(pool,
    'select table_name as name from information_schema.tables where table_schema = database()')).map((r) => r.name));
  for (const n of names) {
    if (!n.endsWith('order')) continue;
    const prefix = n.slice(0, -'order'.length);
    if (prefix !== current && TABLES.every((tn) => names.has(`${prefix}${tn}`))) return prefix;
  }
  return null;
}

function problemsOf(r: Omit<AcgFakaReport, 'problems' | 'usable' | 'firstToFix'>): Problem[] {
  const out: Problem[] = [];
  const missing = r.tables.filter((x) => !x.present);
  if (missing.length === r.tables.length) {
    out.push({
      code: 'schema', severity: 'blocker',
      text: r.suggestedPrefix !== null
        ? `none of acg-faka's tables (${r.tables.map((x) => x.table).join(', ')}) is in database ${r.database.name}, but ${TABLES.map((n) => `${r.suggestedPrefix}${n}`).join(', ')} are: set SHOP_TABLE_PREFIX=${r.suggestedPrefix}`
        : `none of acg-faka's tables (${r.tables.map((x) => x.table).join(', ')}) is in database ${r.database.name}: the wrong database, or the wrong SHOP_TABLE_PREFIX (acg_ by default)?`,
    });
  } else if (missing.length) {
    out.push({ code: 'schema', severity: 'blocker', text: `table${missing.length > 1 ? 's' : ''} ${missing.map((x) => x.table).join(', ')} missing from database ${r.database.name}: order-doctor needs acg-faka's order, commodity, card and pay` });
  }
  for (const x of r.tables.filter((t) => t.present && t.missingColumns.length)) {
    out.push({ code: 'schema', severity: 'blocker', text: `${x.table} lacks column${x.missingColumns.length > 1 ? 's' : ''} ${x.missingColumns.join(', ')}: not the acg-faka schema order-doctor reads` });
  }
  const open = r.channels.filter((c) => c.open && c.status !== 'balance');
  const pay = r.tables.find((x) => x.name === 'pay');
  if (pay?.present && !pay.missingColumns.length && !open.some((c) => c.status === 'verifiable')) {
    out.push({
      code: 'no_verifiable_channel', severity: 'blocker',
      text: open.some((c) => c.status === 'no_credentials')
        ? 'no payment method can be verified: the EPay methods need order-doctor\'s own EPAY_API_URL, EPAY_PID and keys (acg-faka keeps the plugin\'s out of reach)'
        : `no payment method can be verified: order-doctor speaks EPay only, and the open methods use ${open.map((c) => c.handler).filter((v, i, a) => a.indexOf(v) === i).join(', ') || 'nothing'}`,
    });
  }
  const grants = grantsProblem(r.grants);
  if (grants) out.push(grants);
  if (!r.server.skipLocked) {
    out.push({ code: 'skip_locked', severity: 'warning', text: `${r.server.version} has no FOR UPDATE SKIP LOCKED (MariaDB >= 10.6, MySQL >= 8.0.1): card claims wait for a racing delivery instead of skipping its cards; still exactly once` });
  }
  const clock = clockProblem(r.clock);
  if (clock) out.push(clock);
  for (const c of open.filter((x) => x.status === 'unsupported' && (x.recentUnpaid ?? 0) > 0)) {
    out.push({ code: 'channel_unverifiable', severity: 'warning', text: `${c.handler} (#${c.id} ${c.name}) is a plugin order-doctor cannot ask: its unpaid orders become tickets when a buyer checks them (${c.recentUnpaid} in ${r.horizonHours} h)` });
  }
  for (const c of open.filter((x) => x.paidNeverIssues)) {
    out.push({ code: 'channel_unverifiable', severity: 'warning', text: `${c.handler} (#${c.id} ${c.name}) answers unsigned (EPAY_VERSION=v1): under EPAY_V1_TRUST=reject a paid claim never issues a key` });
  }
  const indexes = indexesProblem(r.indexes);
  if (indexes) out.push(indexes);
  return out;
}

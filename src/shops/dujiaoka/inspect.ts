/**
 * What `order-doctor shop check` finds in a dujiaoka database, as a typed report: the server, the
 * four tables and the columns order-doctor reads, counts, every payment channel and whether
 * order-doctor can verify it, the optional indexes, the clocks, the user's grants, and the first
 * thing to fix. Read-only, and cheap on a shop with millions of orders: big tables are counted from
 * the server's estimates, the last day's orders by the primary-key search the sweep uses (stuck.ts),
 * and the one scan it cannot avoid (unsold keys without a (goods_id, status) index) runs under a
 * statement time limit. Nothing here prints or returns a credential: only whether one is usable.
 */
import { getTableColumns, getTableName } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/mysql2';
import type { Pool } from 'mysql2/promise';
import { q } from './schema-check.ts';
import type { Config, ShopConfig } from '../../config.ts';
import type { Channel } from '../../domain/verdicts.ts';
import { fromShopTime, toShopTime } from '../local-time.ts';
import type { ShopChannel } from '../port.ts';
import { dujiaokaChannels } from './channels.ts';
import type { DujiaokaContext } from './context.ts';
import { supportsSkipLocked } from './index.ts';
import { idBefore } from './stuck.ts';
import { readSchema, TABLES, type TableName } from './schema-check.ts';
import { readClock, type ClockReport } from './clock-check.ts';
import { readGrants, type GrantReport } from './grants.ts';
import {
  clockProblem, grantsProblem, indexesProblem, readServer, tick, verdict, type IndexReport, type Problem, type ProblemCode, type Verdict,
} from '../mysql/inspect.ts';

export type { ClockReport, GrantReport, IndexReport, Problem, ProblemCode };
import { dujiaokaTables, STATUS, type DujiaokaTables } from './tables.ts';

type DujiaokaConfig = Extract<ShopConfig, { kind: 'dujiaoka' }>;

export interface InspectConfig {
  shop: DujiaokaConfig;
  /** order-doctor's own gateway settings: a channel configured there wins over the shop's row */
  gateways: Config['gateways'];
  epayV1Trust: Config['epayV1Trust'];
  /** how far back a payment can still turn up (SWEEP_HORIZON): the window the recent counts cover */
  horizonMs: number;
}

export interface InspectDeps {
  now: () => Date;
  /** the longest the one unbounded scan (unsold keys) may take; default 3 s */
  scanLimitMs?: number;
}

export type { TableName };

export interface TableReport {
  name: TableName;
  /** the name in the database, with SHOP_TABLE_PREFIX */
  table: string;
  present: boolean;
  /** columns order-doctor reads that the table lacks */
  missingColumns: string[];
  rows: number | null;
  /** rows is the server's estimate (information_schema.tables.table_rows) */
  estimate: boolean;
}

export type ChannelStatus = 'verifiable' | 'no_credentials' | 'unsupported';

export interface ChannelReport {
  id: string;
  name: string;
  handler: string;
  open: boolean;
  /** the protocol order-doctor speaks for it; null: none */
  protocol: Channel | null;
  status: ChannelStatus;
  /** where the credentials come from: order-doctor's settings (they win) or the shop's `pays` row */
  source: 'settings' | 'shop' | null;
  /** answers carry no signature (EPay V1) */
  unsigned: boolean;
  /** an unsigned paid claim never issues a key (EPAY_V1_TRUST=reject) */
  paidNeverIssues: boolean;
  /** the row holds usable credentials that SHOP_GATEWAYS=config leaves unused */
  unusedShopCredentials: boolean;
  /** orders through this channel in the horizon (null: not counted) */
  recentOrders: number | null;
  /** of those, still waiting for payment or expired: a paid one among them is what order-doctor looks for */
  recentUnpaid: number | null;
}

export interface DujiaokaReport extends Verdict {
  shop: 'dujiaoka';
  database: { host: string; port: number; name: string; tablePrefix: string };
  server: { version: string; skipLocked: boolean; withoutSkipLocked: string | null };
  tables: TableReport[];
  /** none of the tables found, but these are, under another prefix: SHOP_TABLE_PREFIX's likely value */
  suggestedPrefix: string | null;
  /** orders created within the horizon (null: not counted) */
  recentOrders: number | null;
  horizonHours: number;
  /** unsold, undeleted keys (null: not counted, see stockNote) */
  unsoldKeys: number | null;
  /** automatic goods (on sale, where the shop records it) without one unsold key */
  goodsOutOfStock: number | null;
  stockNote: string | null;
  channels: ChannelReport[];
  indexes: IndexReport[];
  clock: ClockReport;
  grants: GrantReport;
}

/** Above this many estimated rows a table is not counted exactly. */
const EXACT_UP_TO = 200_000;
const HOUR = 3_600_000;


const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export async function inspectDujiaoka(pool: Pool, cfg: InspectConfig, deps: InspectDeps): Promise<DujiaokaReport> {
  const url = new URL(cfg.shop.databaseUrl);
  const t = dujiaokaTables(cfg.shop.tablePrefix);
  const { version, dbName } = await readServer(pool, cfg.shop.databaseUrl);
  const skipLocked = supportsSkipLocked(version);
  const grants = await readGrants(pool, dbName, t);
  const tables = await readTables(pool, t);
  const suggestedPrefix = tables.some((x) => x.present) ? null : await findPrefix(pool, cfg.shop.tablePrefix);
  const complete = (n: TableName) => tables.some((x) => x.name === n && x.present && x.missingColumns.length === 0);

  // the adapter's own readers (stuck.ts idBefore, channels.ts) use only these: no services, no own database
  const readers: Pick<DujiaokaContext, 'db' | 'pool' | 't' | 'zone' | 'now'> = {
    db: drizzle({ client: pool }), pool, t, zone: cfg.shop.timezone, now: deps.now,
  };
  const ctx = readers as DujiaokaContext;
  const now = deps.now();

  let recentOrders: number | null = null;
  const recentByPay = new Map<string, { orders: number; unpaid: number }>();
  let newestOrder: string | null = null;
  if (complete('orders')) {
    const since = new Date(now.getTime() - cfg.horizonMs);
    // ids grow with creation time: the range after the boundary id is the window (the created_at
    // test only drops the odd row written out of order), read by the primary key whatever the table's size
    const from = await idBefore(ctx, since);
    const byPay = await q<{ pay_id: number | null; n: number | string; unpaid: number | string | null }>(pool,
      `select pay_id, count(*) as n, sum(status in (${STATUS.WAITING}, ${STATUS.EXPIRED})) as unpaid from ${tick(getTableName(t.orders))} where id > ? and created_at > ? and deleted_at is null group by pay_id`,
      [from, toShopTime(since, cfg.shop.timezone)]);
    recentOrders = byPay.reduce((s, r) => s + Number(r.n), 0);
    for (const r of byPay) if (r.pay_id !== null) recentByPay.set(String(r.pay_id), { orders: Number(r.n), unpaid: Number(r.unpaid ?? 0) });
    const [newest] = await q<{ c: string | null }>(pool, `select created_at as c from ${tick(getTableName(t.orders))} order by id desc limit 1`);
    newestOrder = newest?.c ?? null;
  }

  const stock = complete('carmis') && complete('goods')
    ? await readStock(pool, t, version, deps.scanLimitMs ?? 3000)
    : { unsold: null, outOfStock: null, note: null };

  const channels = complete('pays')
    ? (await dujiaokaChannels(ctx)).map((c) => channelReport(c, cfg, recentOrders === null ? null : recentByPay.get(c.ref) ?? { orders: 0, unpaid: 0 }))
    : [];
  const indexes = await readIndexes(pool, t, tables);
  const clock = await readClock(pool, cfg.shop.timezone, now, newestOrder);

  const report: Omit<DujiaokaReport, 'problems' | 'usable' | 'firstToFix'> = {
    shop: 'dujiaoka',
    database: { host: url.hostname, port: Number(url.port || 3306), name: dbName, tablePrefix: cfg.shop.tablePrefix },
    server: {
      version, skipLocked,
      withoutSkipLocked: skipLocked ? null
        : 'stock claims wait for a racing delivery of the same product instead of skipping its keys: still exactly once, only slower under load',
    },
    tables, suggestedPrefix, recentOrders, horizonHours: Math.round(cfg.horizonMs / HOUR), unsoldKeys: stock.unsold,
    goodsOutOfStock: stock.outOfStock, stockNote: stock.note, channels, indexes, clock, grants,
  };
  return { ...report, ...verdict(problemsOf(report, cfg)) };
}

async function readTables(pool: Pool, t: DujiaokaTables): Promise<TableReport[]> {
  const out: TableReport[] = [];
  for (const f of await readSchema(pool, t)) {
    let rows = f.rowsEstimate;
    let estimate = false;
    if (f.present) {
      // small tables (and pays/goods, always small) exactly; big ones from the server's estimate
      if ((f.name === 'pays' || f.name === 'goods') || rows === null || rows < EXACT_UP_TO) {
        const [c] = await q<{ n: number | string }>(pool, `select count(*) as n from ${tick(f.table)}`);
        rows = Number(c!.n);
      } else {
        estimate = true;
      }
    }
    out.push({ name: f.name, table: f.table, present: f.present, missingColumns: f.missingColumns, rows, estimate });
  }
  return out;
}

/** With none of the tables where expected: a prefix under which all four are there (acg-style installs). */
async function findPrefix(pool: Pool, current: string): Promise<string | null> {
  const rows = await q<{ name: string }>(pool,
    `select table_name as name from information_schema.tables where table_schema = database() and table_name like '%pays'`);
  const names = new Set((await q<{ name: string }>(pool,
    'select table_name as name from information_schema.tables where table_schema = database()')).map((r) => r.name));
  for (const r of rows) {
    const prefix = r.name.slice(0, -'pays'.length);
    if (prefix !== current && TABLES.every((tn) => names.has(`${prefix}${tn}`))) return prefix;
  }
  return null;
}

/** Unsold keys and automatic goods without any: one grouped scan of carmis, under a time limit. */
async function readStock(pool: Pool, t: DujiaokaTables, version: string, limitMs: number):
  Promise<{ unsold: number | null; outOfStock: number | null; note: string | null }> {
  const carmis = tick(getTableName(t.carmis));
  const query = `select goods_id, count(*) as n from ${carmis} where status = 1 and deleted_at is null group by goods_id`;
  let groups: { goods_id: number; n: number | string }[];
  try {
    groups = await q(pool, /mariadb/i.test(version)
      ? `set statement max_statement_time = ${(limitMs / 1000).toFixed(3)} for ${query}`
      : query.replace(/^select /, `select /*+ MAX_EXECUTION_TIME(${limitMs}) */ `));
  } catch {
    return { unsold: null, outOfStock: null, note: `unsold keys not counted: the scan took over ${limitMs / 1000} s (an index on carmis (goods_id, status) makes it cheap)` };
  }
  const unsold = groups.reduce((s, g) => s + Number(g.n), 0);
  const stocked = new Set(groups.map((g) => Number(g.goods_id)));
  const goodsCols = await q<{ c: string }>(pool,
    `select column_name as c from information_schema.columns where table_schema = database() and table_name = ? and column_name = 'is_open'`, [getTableName(t.goods)]);
  const onSale = goodsCols.length ? ' and is_open = 1' : '';
  const auto = await q<{ id: number }>(pool, `select id from ${tick(getTableName(t.goods))} where type = 1 and deleted_at is null${onSale}`);
  return { unsold, outOfStock: auto.filter((g) => !stocked.has(Number(g.id))).length, note: null };
}

function channelReport(c: ShopChannel, cfg: InspectConfig, recent: { orders: number; unpaid: number } | null): ChannelReport {
  const base = {
    id: c.ref, name: c.name, handler: c.handler, open: c.open, protocol: c.channel,
    recentOrders: recent?.orders ?? null, recentUnpaid: recent?.unpaid ?? null, unusedShopCredentials: false,
  };
  if (!c.channel) return { ...base, status: 'unsupported', source: null, unsigned: false, paidNeverIssues: false };
  const configured = cfg.gateways[c.channel];
  if (configured) {
    // order-doctor's own settings win over the row (gateways/directory.ts)
    const unsigned = c.channel === 'epay' && cfg.gateways.epay?.version === 'v1';
    return { ...base, status: 'verifiable', source: 'settings', unsigned, paidNeverIssues: unsigned && cfg.epayV1Trust === 'reject' };
  }
  if (c.credentials && cfg.shop.gateways === 'shop') {
    const unsigned = c.credentials.protocol === 'epay-v1';
    return { ...base, status: 'verifiable', source: 'shop', unsigned, paidNeverIssues: unsigned && cfg.epayV1Trust === 'reject' };
  }
  return { ...base, status: 'no_credentials', source: null, unsigned: false, paidNeverIssues: false, unusedShopCredentials: !!c.credentials };
}

async function readIndexes(pool: Pool, t: DujiaokaTables, tables: TableReport[]): Promise<IndexReport[]> {
  const orders = getTableName(t.orders);
  const carmis = getTableName(t.carmis);
  const stats = await q<{ t: string; i: string; s: number | string; c: string }>(pool,
    `select table_name as t, index_name as i, seq_in_index as s, column_name as c from information_schema.statistics
      where table_schema = database() and table_name in (?, ?) order by table_name, index_name, seq_in_index`, [orders, carmis]);
  const byIndex = new Map<string, string[]>();
  for (const r of stats) {
    const key = `${r.t}\u0000${r.i}`;
    byIndex.set(key, [...(byIndex.get(key) ?? []), r.c.toLowerCase()]);
  }
  const startsWith = (table: string, cols: string[]) =>
    [...byIndex].some(([k, v]) => k.startsWith(`${table}\u0000`) && cols.every((c, i) => v[i] === c));
  const present = (n: TableName) => tables.find((x) => x.name === n)?.present === true;
  const out: IndexReport[] = [];
  if (present('orders') && !startsWith(orders, ['order_sn'])) {
    out.push({
      name: 'orders.order_sn', present: false,
      why: 'every lookup by the shop\'s order number scans the orders table (dujiaoka creates this unique index)',
      create: `CREATE UNIQUE INDEX idx_order_sn ON ${tick(orders)} (order_sn);`,
    });
  }
  if (present('orders')) {
    out.push({
      name: 'orders.trade_no', present: startsWith(orders, ['trade_no']),
      why: 'lookups by the gateway\'s transaction number stay local and cheap; without it they go through the gateways',
      create: `CREATE INDEX idx_trade_no ON ${tick(orders)} (trade_no);`,
    });
  }
  if (present('carmis')) {
    out.push({
      name: 'carmis (goods_id, status)', present: startsWith(carmis, ['goods_id', 'status']),
      why: 'stock claims and counts stop walking a product\'s sold keys',
      create: `CREATE INDEX idx_goods_status ON ${tick(carmis)} (goods_id, status);`,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// the first thing to fix

function problemsOf(r: Omit<DujiaokaReport, 'problems' | 'usable' | 'firstToFix'>, cfg: InspectConfig): Problem[] {
  const out: Problem[] = [];
  const missing = r.tables.filter((x) => !x.present);
  const short = r.tables.filter((x) => x.present && x.missingColumns.length);
  if (missing.length === r.tables.length) {
    out.push({
      code: 'schema', severity: 'blocker',
      text: r.suggestedPrefix !== null
        ? `none of dujiaoka's tables (${r.tables.map((x) => x.table).join(', ')}) is in database ${r.database.name}, but ${r.tables.map((x) => `${r.suggestedPrefix}${x.name}`).join(', ')} are: set SHOP_TABLE_PREFIX=${r.suggestedPrefix}`
        : `none of dujiaoka's tables (${r.tables.map((x) => x.table).join(', ')}) is in database ${r.database.name}: the wrong database${cfg.shop.tablePrefix ? ', or the wrong SHOP_TABLE_PREFIX' : ' (or a table prefix: SHOP_TABLE_PREFIX)'}?`,
    });
  } else if (missing.length) {
    const hidden = r.grants.known && !r.grants.all && missing.some((x) => r.grants.missingSelect.includes(`SELECT on ${x.table}`));
    out.push({
      code: 'schema', severity: 'blocker',
      text: `table${missing.length > 1 ? 's' : ''} ${missing.map((x) => x.table).join(', ')} missing from database ${r.database.name}` +
        (hidden ? ' (or not visible: this user has no privilege on it)' : ': order-doctor needs dujiaoka\'s orders, goods, carmis and pays'),
    });
  }
  for (const x of short) {
    out.push({ code: 'schema', severity: 'blocker', text: `${x.table} lacks column${x.missingColumns.length > 1 ? 's' : ''} ${x.missingColumns.join(', ')}: not the dujiaoka 2.0 schema order-doctor reads` });
  }
  const open = r.channels.filter((c) => c.open);
  const pays = r.tables.find((x) => x.name === 'pays');
  if (pays?.present && !pays.missingColumns.length && !open.some((c) => c.status === 'verifiable')) {
    const unverifiable = open.filter((c) => c.status === 'no_credentials');
    out.push({
      code: 'no_verifiable_channel', severity: 'blocker',
      text: open.length === 0
        ? 'no payment channel is open in pays: order-doctor has no payment to verify'
        : unverifiable.length
          ? `no channel can be verified: ${unverifiable.map((c) => c.handler).filter(unique).join(', ')} ${unverifiable.length > 1 ? 'have' : 'has'} no credentials (${credentialHint(cfg, unverifiable)})`
          : `no channel can be verified: order-doctor does not speak ${open.map((c) => c.handler).filter(unique).join(', ')}`,
    });
  }
  const grants = grantsProblem(r.grants);
  if (grants) out.push(grants);
  if (!r.server.skipLocked) {
    out.push({ code: 'skip_locked', severity: 'warning', text: `${r.server.version} has no FOR UPDATE SKIP LOCKED (MariaDB >= 10.6, MySQL >= 8.0.1): ${r.server.withoutSkipLocked}` });
  }
  const clock = clockProblem(r.clock);
  if (clock) out.push(clock);
  for (const c of open.filter((x) => x.status === 'no_credentials')) {
    out.push({
      code: 'channel_unverifiable', severity: 'warning',
      text: `${c.handler} (#${c.id} ${c.name}) has no credentials: each of its unpaid orders becomes a ticket when a buyer checks it (${credentialHint(cfg, [c])})`,
    });
  }
  for (const c of open.filter((x) => x.paidNeverIssues)) {
    out.push({
      code: 'channel_unverifiable', severity: 'warning',
      text: `${c.handler} (#${c.id} ${c.name}) answers unsigned (EPay V1): under EPAY_V1_TRUST=reject a paid claim never issues a key (EPay V2 settings, EPAY_*, are signed)`,
    });
  }
  const indexes = indexesProblem(r.indexes);
  if (indexes) out.push(indexes);
  return out;
}

const unique = <T>(v: T, i: number, a: T[]) => a.indexOf(v) === i;

function credentialHint(cfg: InspectConfig, channels: ChannelReport[]): string {
  const settings = channels.map((c) => c.protocol).filter(unique).map((p) => ({ alipay: 'ALIPAY_*', wechat: 'WECHATPAY_*', epay: 'EPAY_*' })[p!]).join(', ');
  if (cfg.shop.gateways === 'config' && channels.some((c) => c.unusedShopCredentials)) return `its pays row has them: SHOP_GATEWAYS=shop uses them, or set ${settings}`;
  return cfg.shop.gateways === 'shop' ? `fill in its pays row, or set ${settings}` : `set ${settings}, or fill in its pays row and set SHOP_GATEWAYS=shop`;
}

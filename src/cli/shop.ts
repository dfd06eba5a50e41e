/**
 * `order-doctor shop check [--json]`: connects with the configured shop settings and prints, in one
 * screen, what it found and the first thing to fix. Exit 0: the shop is usable; 1: it is not (or
 * its database cannot be reached: one line); 2: bad configuration or arguments (main.ts).
 * `--json` prints exactly one line: the report with `usable` and `firstToFix`.
 *
 * For dujiaoka it opens only a small pool on the shop's database: no services, no sandbox, and
 * order-doctor's own database is not touched. Credentials are never printed, only whether they
 * are there and usable.
 */
import { count, eq } from 'drizzle-orm';
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { orders, products, settings, stockKeys } from '../db/schema.ts';
import { openConfiguredDatabase } from '../services.ts';
import { ShopUnreachableError } from '../shops/errors.ts';
import { shopPool } from '../shops/dujiaoka/index.ts';
import { inspectDujiaoka, type ChannelReport, type DujiaokaReport } from '../shops/dujiaoka/inspect.ts';
import { utcOffset } from '../shops/dujiaoka/clock-check.ts';
import { parse, UsageError } from './args.ts';
import { checkDujiaoNext } from './shop-check-dujiao-next.ts';
import { checkAcgFaka } from './shop-check-acg-faka.ts';

const USAGE = 'usage: order-doctor shop check [--json]';

export interface MailReport {
  smtp: boolean;
  /** host:port only: the URL may carry a password */
  smtpHost: string | null;
  publicUrl: string;
  publicUrlSet: boolean;
}

export interface BuiltinReport {
  shop: 'builtin';
  usable: boolean;
  firstToFix: { code: 'ready' | 'no_verifiable_channel'; text: string };
  database: string;
  orders: number;
  ordersByStatus: Record<string, number>;
  products: number;
  stockAvailable: number;
  /** per upstream: order-doctor's own settings, or the in-process sandbox */
  channels: Record<'alipay' | 'wechat' | 'epay' | 'supplier', 'configured' | 'sandbox' | 'unverifiable'>;
  mail: MailReport;
}

export async function shopCommand(args: string[], config: Config): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  if (positionals[0] !== 'check' || positionals.length > 1) {
    throw new UsageError(positionals.length ? `shop: unknown subcommand '${positionals.slice(0, 2).join(' ')}' (${USAGE})` : USAGE);
  }
  const json = values.json === true;
  const paint = painter(!json && process.stdout.isTTY === true);

  if (config.shop.kind === 'builtin') {
    const database = await openConfiguredDatabase(config);
    try {
      await migrateDatabase(database);
      const report = await builtinReport(database, config);
      console.log(json ? JSON.stringify(report) : humanBuiltin(report, paint));
      return 0;
    } finally {
      await database.close();
    }
  }

  if (config.shop.kind === 'dujiao-next') return checkDujiaoNext(config, config.shop, json, paint);
  if (config.shop.kind === 'acg-faka') return checkAcgFaka(config, config.shop, json, paint);

  const pool = shopPool(config.shop.databaseUrl, { connections: 2, statementTimeoutMs: config.shop.statementTimeoutMs });
  try {
    const report = await inspectDujiaoka(pool, {
      shop: config.shop, gateways: config.gateways, epayV1Trust: config.epayV1Trust, horizonMs: config.sweepHorizonMs,
    }, { now: () => new Date() });
    const { shop, usable, firstToFix, ...rest } = report;
    console.log(json ? JSON.stringify({ shop, usable, firstToFix, ...rest, mail: mailReport(config) }) : humanDujiaoka(report, config, mailReport(config), paint));
    return usable ? 0 : 1;
  } catch (err) {
    if (err instanceof ShopUnreachableError && json) {
      // the script still gets its one line; the person reading stderr gets the reason (main.ts)
      console.log(JSON.stringify({ shop: 'dujiaoka', usable: false, firstToFix: { code: 'unreachable', text: err.message } }));
    }
    throw err;
  } finally {
    await pool.end().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------

export function mailReport(config: Config): MailReport {
  let smtpHost: string | null = null;
  if (config.mail) {
    const u = new URL(config.mail.smtpUrl);
    smtpHost = `${u.hostname}:${u.port || (u.protocol === 'smtps:' ? 465 : 587)}`;
  }
  return {
    smtp: config.mail !== null, smtpHost, publicUrl: config.publicUrl,
    publicUrlSet: config.publicUrl !== `http://localhost:${config.port}`,
  };
}

export function mailLine(m: MailReport): string {
  const smtp = m.smtp ? `buyer emails through ${m.smtpHost}` : 'no SMTP_URL: no buyer emails will be sent';
  const pub = m.publicUrlSet ? `PUBLIC_URL ${m.publicUrl}` : `PUBLIC_URL not set (${m.publicUrl})`;
  return `${smtp}; ${pub}`;
}

/** The built-in store in order-doctor's own (migrated) database: what it holds and where each upstream goes. */
export async function builtinReport(database: Database, config: Config): Promise<BuiltinReport> {
  const db = database.db;
  const byStatus = await db.select({ status: orders.status, n: count() }).from(orders).groupBy(orders.status);
  const [p] = await db.select({ n: count() }).from(products);
  const [s] = await db.select({ n: count() }).from(stockKeys).where(eq(stockKeys.status, 'available'));
  const g = config.gateways;
  // outside sandbox mode (SANDBOX=on, or a database a world was loaded into) nothing plays a missing gateway
  const [world] = await db.select({ key: settings.key }).from(settings).where(eq(settings.key, 'world')).limit(1);
  const missing = config.sandbox || world ? ('sandbox' as const) : ('unverifiable' as const);
  const where = (v: unknown) => (v ? 'configured' as const : missing);
  let location = `PGlite in ${config.dataDir}`;
  if (config.databaseUrl) {
    const u = new URL(config.databaseUrl);
    location = `Postgres at ${u.hostname}:${u.port || 5432}${u.pathname}`;
  }
  const none = missing === 'unverifiable' && !g.alipay && !g.wechat && !g.epay;
  return {
    shop: 'builtin', usable: !none,
    firstToFix: none
      ? { code: 'no_verifiable_channel', text: 'no gateway is configured (ALIPAY_*, WECHATPAY_*, EPAY_*) and sandbox mode is off: no payment can be verified' }
      : { code: 'ready', text: 'nothing: ready' },
    database: location,
    orders: byStatus.reduce((sum, r) => sum + Number(r.n), 0),
    ordersByStatus: Object.fromEntries(byStatus.map((r) => [r.status, Number(r.n)])),
    products: Number(p?.n ?? 0), stockAvailable: Number(s?.n ?? 0),
    channels: { alipay: where(g.alipay), wechat: where(g.wechat), epay: where(g.epay), supplier: where(g.supplier) },
    mail: mailReport(config),
  };
}

// ---------------------------------------------------------------------------------------------
// rendering: one screen, aligned (CJK channel names count double), colour only on a terminal

export type Paint = (tone: 'ok' | 'warn' | 'bad' | 'dim' | 'bold', s: string) => string;

function painter(on: boolean): Paint {
  const codes = { ok: '32', warn: '33', bad: '31', dim: '2', bold: '1' } as const;
  return on ? (tone, s) => `\x1b[${codes[tone]}m${s}\x1b[0m` : (_tone, s) => s;
}

/** Terminal columns a string takes: East Asian wide characters take two. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    const wide = (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x20000 && c <= 0x3fffd);
    w += wide ? 2 : 1;
  }
  return w;
}

/** Pads (or cuts, with an ellipsis) to exactly `width` columns. */
function fit(s: string, width: number): string {
  if (displayWidth(s) <= width) return s + ' '.repeat(width - displayWidth(s));
  let out = '';
  for (const ch of s) {
    if (displayWidth(out + ch) > width - 1) break;
    out += ch;
  }
  return out + '…' + ' '.repeat(width - 1 - displayWidth(out));
}

const label = (s: string) => `  ${s.padEnd(10)} `;
const more = ' '.repeat(13);
const n = (v: number) => v.toLocaleString('en-US');
const plural = (k: number, one: string, many = `${one}s`) => `${n(k)} ${k === 1 ? one : many}`;

const PROTOCOL: Record<string, string> = { alipay: 'Alipay', wechat: 'WeChat Pay', epay: 'EPay' };

function channelDetail(c: ChannelReport, r: DujiaokaReport, config: Config): string {
  const recent = c.recentOrders ? `; ${plural(c.recentOrders, 'order')} in ${r.horizonHours} h` : '';
  if (c.status === 'unsupported') {
    return `cannot verify: order-doctor does not speak ${c.handler}${c.recentOrders === null ? '' : `; ${plural(c.recentOrders, 'order')} in ${r.horizonHours} h`}`;
  }
  if (c.status === 'no_credentials') {
    const why = c.unusedShopCredentials ? 'no credentials (SHOP_GATEWAYS=shop would use its pays row\'s)' : 'no credentials';
    const unpaid = c.recentUnpaid === null ? '' : ` (${n(c.recentUnpaid)} in ${r.horizonHours} h)`;
    return `cannot verify: ${why}; its unpaid orders become tickets when checked${unpaid}`;
  }
  const proto = c.source === 'settings'
    ? `${PROTOCOL[c.protocol!]}${c.protocol === 'epay' ? ` ${config.gateways.epay?.version.toUpperCase()}` : c.protocol === 'wechat' ? ' v3' : ''}, order-doctor's settings`
    : `${PROTOCOL[c.protocol!]}${c.protocol === 'epay' ? ' V1' : c.protocol === 'wechat' ? ' v2' : ''}, credentials in pays`;
  const unsigned = c.unsigned
    ? c.paidNeverIssues ? '; unsigned answers: a paid claim never issues a key (EPAY_V1_TRUST=reject)' : '; unsigned answers accepted (EPAY_V1_TRUST=accept)'
    : '';
  return `${proto}${unsigned}${recent}`;
}

export function humanDujiaoka(r: DujiaokaReport, config: Config, mail: MailReport, paint: Paint): string {
  const out: string[] = [];
  const db = r.database;
  out.push(paint('bold', `order-doctor shop check: dujiaoka at ${db.host}:${db.port}/${db.name}${db.tablePrefix ? ` (tables ${db.tablePrefix}*)` : ''}`));
  out.push(`${label('server')}${r.server.version}; FOR UPDATE SKIP LOCKED: ${r.server.skipLocked ? paint('ok', 'yes') : `${paint('warn', 'no')}: ${r.server.withoutSkipLocked}`}`);

  const tables = r.tables.map((t) => {
    if (!t.present) return paint('bad', `${t.table} MISSING`);
    const rows = t.rows === null ? '?' : `${t.estimate ? '~' : ''}${n(t.rows)}`;
    const cols = t.missingColumns.length ? paint('bad', ` (lacks ${t.missingColumns.join(', ')})`) : '';
    return `${t.table} ${rows}${cols}`;
  });
  const allThere = r.tables.every((t) => t.present && !t.missingColumns.length);
  out.push(`${label('tables')}${tables.join(', ')}${allThere ? paint('dim', ' rows; every column order-doctor reads is there') : ''}`);
  if (r.recentOrders !== null) {
    out.push(`${label('orders')}${n(r.recentOrders)} created in the last ${r.horizonHours} h; newest created_at ${r.clock.newestOrder ?? '-'}`);
  }
  if (r.unsoldKeys !== null) {
    out.push(`${label('stock')}${plural(r.unsoldKeys, 'unsold key')}; ${plural(r.goodsOutOfStock ?? 0, 'automatic product')} on sale without one`);
  } else if (r.stockNote) {
    out.push(`${label('stock')}${paint('warn', r.stockNote)}`);
  }

  const open = r.channels.filter((c) => c.open);
  const closed = r.channels.filter((c) => !c.open);
  const verifiable = open.filter((c) => c.status === 'verifiable').length;
  const pays = r.tables.find((t) => t.name === 'pays')!;
  if (!pays.present || pays.missingColumns.length) out.push(`${label('channels')}not read (${pays.table} is not there as order-doctor reads it)`);
  else out.push(`${label('channels')}${open.length} open${closed.length ? `, ${closed.length} closed` : ''} in pays: order-doctor verifies ${verifiable === 0 ? paint('bad', '0') : verifiable} of the open ones`);
  const nameWidth = Math.min(20, Math.max(4, ...open.map((c) => displayWidth(c.name))));
  const handlerWidth = Math.max(4, ...open.map((c) => c.handler.length));
  const idWidth = Math.max(2, ...open.map((c) => c.id.length + 1));
  for (const c of open) {
    const mark = c.status === 'verifiable' ? (c.paidNeverIssues ? paint('warn', 'verify') : paint('ok', 'verify')) : c.status === 'no_credentials' ? paint('warn', 'cannot') : paint('dim', 'cannot');
    out.push(`    ${mark}  ${`#${c.id}`.padEnd(idWidth)} ${fit(c.name, nameWidth)} ${c.handler.padEnd(handlerWidth)}  ${channelDetail(c, r, config)}`);
  }
  if (closed.length) {
    out.push(`    ${paint('dim', 'closed')}  ${closed.map((c) => `#${c.id} ${c.name} (${c.handler}${c.status === 'verifiable' ? ', verifiable' : ''})`).join(', ')}`);
  }

  const missing = r.indexes.filter((i) => !i.present);
  const present = r.indexes.filter((i) => i.present);
  if (!r.indexes.length) out.push(`${label('indexes')}not checked (no orders or carmis table)`);
  else out.push(`${label('indexes')}${present.length ? `${present.map((i) => i.name).join(', ')}: there. ` : ''}${missing.length ? 'missing, optional (order-doctor works without them; the sweep needs none):' : 'the sweep needs none'}`);
  for (const i of missing) out.push(`${more}${i.name}: ${i.why}`);
  for (const i of missing) out.push(`${more}  ${paint('bold', i.create)}`);

  const c = r.clock;
  const serverZone = c.sessionZone === 'SYSTEM' ? `SYSTEM = ${c.systemZone}` : c.sessionZone;
  out.push(`${label('clock')}server now() ${c.serverNow ?? '?'} (${c.serverOffsetMinutes === null ? '?' : utcOffset(c.serverOffsetMinutes)}, time_zone ${serverZone}); ours in ${c.zone} ${c.ourNow} (${utcOffset(c.zoneOffsetMinutes)})`);
  for (const note of c.notes) out.push(`${more}${c.suspicious && note === c.notes[0] ? paint('warn', note) : note}`);

  const g = r.grants;
  const grants = !g.known
    ? paint('warn', 'SHOW GRANTS could not be read: not checked')
    : g.missingSelect.length || g.missingUpdate.length
      ? paint(g.roles ? 'warn' : 'bad', `missing ${[...g.missingSelect, ...g.missingUpdate].join('; ')}`)
      : `SELECT on the four tables and the UPDATEs a delivery makes: all there${g.all ? ' (ALL PRIVILEGES)' : ''}`;
  out.push(`${label('grants')}${grants}`);
  out.push(`${label('mail')}${mailLine(mail)}`);
  out.push(`${label('usable')}${r.usable ? paint('ok', 'yes') : paint('bad', 'NO')} (exit ${r.usable ? 0 : 1})`);
  const first = r.firstToFix;
  const tone = r.usable ? (first.code === 'ready' ? 'ok' : first.code === 'indexes' ? 'dim' : 'warn') : 'bad';
  out.push(`${label('first fix')}${paint(tone, first.code === 'indexes' ? `nothing blocks; ${first.text}` : first.text)}`);
  return out.join('\n');
}

function humanBuiltin(r: BuiltinReport, paint: Paint): string {
  const statuses = Object.entries(r.ordersByStatus).map(([k, v]) => `${k} ${n(v)}`).join(', ');
  const channels = Object.entries(r.channels).map(([k, v]) => `${k} ${v === 'configured' ? paint('ok', v) : v}`).join(', ');
  return [
    paint('bold', `order-doctor shop check: the built-in store (${r.database})`),
    `${label('orders')}${n(r.orders)}${statuses ? ` (${statuses})` : ''}`,
    `${label('products')}${n(r.products)}; ${plural(r.stockAvailable, 'key')} in stock`,
    `${label('channels')}${channels}${Object.values(r.channels).includes('sandbox') ? paint('dim', ' (sandbox: the in-process fake gateways of the demo and the scenario worlds)') : ''}`,
    `${label('mail')}${mailLine(r.mail)}`,
    `${label('usable')}${paint('ok', 'yes')} (exit 0)`,
    `${label('first fix')}${paint('ok', r.firstToFix.text)}`,
  ].join('\n');
}

/**
 * `order-doctor shop check [--json]` for acg-faka: a small pool on the shop's database (no services,
 * order-doctor's own database untouched), the report of shops/acg-faka/inspect.ts, one screen or one
 * JSON line. Exit 0: usable; 1: not (or unreachable: one line on stderr, main.ts). Credentials are
 * never printed: acg-faka's stay in its plugins, ours only as "configured".
 */
import type { Config, ShopConfig } from '../config.ts';
import { ShopUnreachableError } from '../shops/errors.ts';
import { shopPool } from '../shops/mysql/pool.ts';
import { utcOffset } from '../shops/mysql/clock.ts';
import { inspectAcgFaka, type AcgFakaReport } from '../shops/acg-faka/inspect.ts';
import { mailLine, mailReport, type MailReport, type Paint } from './shop.ts';

export async function checkAcgFaka(config: Config, shop: Extract<ShopConfig, { kind: 'acg-faka' }>, json: boolean, paint: Paint): Promise<number> {
  const pool = shopPool(shop.databaseUrl, { connections: 2, statementTimeoutMs: shop.statementTimeoutMs });
  try {
    const report = await inspectAcgFaka(pool, { shop, gateways: config.gateways, epayV1Trust: config.epayV1Trust, horizonMs: config.sweepHorizonMs }, { now: () => new Date() });
    const { shop: kind, usable, firstToFix, ...rest } = report;
    console.log(json ? JSON.stringify({ shop: kind, usable, firstToFix, ...rest, mail: mailReport(config) }) : humanAcgFaka(report, mailReport(config), paint));
    return usable ? 0 : 1;
  } catch (err) {
    if (err instanceof ShopUnreachableError && json) {
      // the script still gets its one line; the person reading stderr gets the reason (main.ts)
      console.log(JSON.stringify({ shop: 'acg-faka', usable: false, firstToFix: { code: 'unreachable', text: err.message } }));
    }
    throw err;
  } finally {
    await pool.end().catch(() => {});
  }
}

const label = (s: string) => `  ${s.padEnd(10)} `;
const more = ' '.repeat(13);
const n = (v: number) => v.toLocaleString('en-US');

export function humanAcgFaka(r: AcgFakaReport, mail: MailReport, paint: Paint): string {
  const out: string[] = [];
  const db = r.database;
  out.push(paint('bold', `order-doctor shop check: acg-faka at ${db.host}:${db.port}/${db.name} (tables ${db.tablePrefix}*)`));
  out.push(`${label('server')}${r.server.version}; FOR UPDATE SKIP LOCKED: ${r.server.skipLocked ? paint('ok', 'yes') : paint('warn', 'no (card claims wait for each other; still exactly once)')}`);
  const tables = r.tables.map((t) => {
    if (!t.present) return paint('bad', `${t.table} MISSING`);
    const cols = t.missingColumns.length ? paint('bad', ` (lacks ${t.missingColumns.join(', ')})`) : '';
    return `${t.table} ~${t.rowsEstimate === null ? '?' : n(t.rowsEstimate)}${cols}`;
  });
  out.push(`${label('tables')}${tables.join(', ')}`);
  if (r.recentOrders !== null) out.push(`${label('orders')}${n(r.recentOrders)} created in the last ${r.horizonHours} h; newest create_time ${r.clock.newestOrder ?? '-'}`);
  if (r.unsoldCards !== null) out.push(`${label('stock')}${n(r.unsoldCards)} unsold cards; ${n(r.productsOutOfStock ?? 0)} automatic products on sale without one`);
  const open = r.channels.filter((c) => c.open);
  out.push(`${label('payments')}${open.length} open in ${db.tablePrefix}pay; ${r.gatewaysNote}`);
  for (const c of open) {
    const mark = c.status === 'verifiable' ? paint(c.paidNeverIssues ? 'warn' : 'ok', 'verify') : c.status === 'balance' ? paint('dim', 'n/a   ') : paint(c.status === 'no_credentials' ? 'warn' : 'dim', 'cannot');
    const what = c.status === 'verifiable' ? `EPay, order-doctor's settings${c.unsigned ? (c.paidNeverIssues ? '; unsigned answers: a paid claim never issues a key' : '; unsigned answers accepted') : ''}`
      : c.status === 'balance' ? 'the buyer\'s balance: settled inside the order itself'
        : c.status === 'no_credentials' ? 'EPay, but EPAY_* is not set' : `order-doctor does not speak ${c.handler}: its unpaid orders become tickets when checked`;
    const recent = c.recentOrders ? `; ${n(c.recentOrders)} orders in ${r.horizonHours} h` : '';
    out.push(`    ${mark}  #${c.id} ${c.name} (${c.handler})  ${what}${recent}`);
  }
  for (const i of r.indexes.filter((x) => !x.present)) out.push(`${label('indexes')}${i.name} missing, optional: ${i.why}\n${more}  ${paint('bold', i.create)}`);
  const c = r.clock;
  out.push(`${label('clock')}server now() ${c.serverNow ?? '?'} (${c.serverOffsetMinutes === null ? '?' : utcOffset(c.serverOffsetMinutes)}); ours in ${c.zone} ${c.ourNow} (${utcOffset(c.zoneOffsetMinutes)})`);
  for (const note of c.notes) out.push(`${more}${c.suspicious && note === c.notes[0] ? paint('warn', note) : note}`);
  const g = r.grants;
  out.push(`${label('grants')}${!g.known ? paint('warn', 'SHOW GRANTS could not be read: not checked') : g.missingSelect.length || g.missingUpdate.length
    ? paint(g.roles ? 'warn' : 'bad', `missing ${[...g.missingSelect, ...g.missingUpdate].join('; ')}`)
    : `SELECT on the four tables and the UPDATEs a delivery makes: all there${g.all ? ' (ALL PRIVILEGES)' : ''}`}`);
  out.push(`${label('mail')}${mailLine(mail)}`);
  out.push(`${label('usable')}${r.usable ? paint('ok', 'yes') : paint('bad', 'NO')} (exit ${r.usable ? 0 : 1})`);
  const first = r.firstToFix;
  out.push(`${label('first fix')}${paint(r.usable ? (first.code === 'ready' ? 'ok' : first.code === 'indexes' ? 'dim' : 'warn') : 'bad', first.code === 'indexes' ? `nothing blocks; ${first.text}` : first.text)}`);
  return out.join('\n');
}

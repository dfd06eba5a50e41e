/**
 * `order-doctor shop check` for dujiao-next: a small pool on the shop's Postgres, the report of
 * shops/dujiao-next/inspect.ts, one screen (or one JSON line). Exit 0 usable, 1 not (or the
 * database cannot be reached: main.ts prints the one line). order-doctor's own database is not
 * touched, and no credential is printed (the URL's password never is).
 */
import type { Config, ShopConfig } from '../config.ts';
import { ShopUnreachableError } from '../shops/errors.ts';
import { shopSql } from '../shops/dujiao-next/index.ts';
import { inspectDujiaoNext, type DujiaoNextReport } from '../shops/dujiao-next/inspect.ts';
import { mailLine, mailReport, type MailReport, type Paint } from './shop.ts';

export async function checkDujiaoNext(config: Config, shop: Extract<ShopConfig, { kind: 'dujiao-next' }>, json: boolean, paint: Paint): Promise<number> {
  const { sql, stop } = await shopSql(shop.databaseUrl, { connections: 2, statementTimeoutMs: shop.statementTimeoutMs });
  try {
    let report: DujiaoNextReport;
    try {
      report = await inspectDujiaoNext(sql, { databaseUrl: shop.databaseUrl, gateways: config.gateways, horizonMs: config.sweepHorizonMs }, new Date());
    } catch (err) {
      const unreachable = new ShopUnreachableError(shop.databaseUrl, err);
      // the script still gets its one line; the person reading stderr gets the reason (main.ts)
      if (json) console.log(JSON.stringify({ shop: 'dujiao-next', usable: false, firstToFix: { code: 'unreachable', text: unreachable.message } }));
      throw unreachable;
    }
    const mail = mailReport(config);
    const { shop: kind, usable, firstToFix, ...rest } = report;
    console.log(json ? JSON.stringify({ shop: kind, usable, firstToFix, ...rest, mail }) : humanDujiaoNext(report, mail, paint));
    return usable ? 0 : 1;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
    stop();
  }
}

const label = (s: string) => `  ${s.padEnd(10)}`;

export function humanDujiaoNext(r: DujiaoNextReport, mail: MailReport, paint: Paint): string {
  const out = [paint('bold', `order-doctor shop check: dujiao-next at ${r.database}`), `${label('server')}${r.server}`];
  const tables = r.tables.map((t) => {
    if (!t.present) return paint('bad', `${t.name} MISSING`);
    const cols = t.missingColumns.length ? paint('bad', ` (lacks ${t.missingColumns.join(', ')})`) : '';
    return `${t.name} ${t.rowsEstimate === null ? '?' : `~${t.rowsEstimate}`}${cols}`;
  });
  out.push(`${label('tables')}${tables.join(', ')}`);
  if (r.paidWithoutFulfillment !== null) {
    out.push(`${label('stuck')}${r.paidWithoutFulfillment} paid order(s) of the sweep's window without a fulfillment (the sweep looks at them)`);
  }
  if (r.hashedGuestPasswords) {
    out.push(`${label('secrets')}${paint('warn', `${r.hashedGuestPasswords} guest order(s) keep a hashed password`)}: their buyers open them with their email`);
  }
  const open = r.channels.filter((c) => c.open);
  out.push(`${label('channels')}${open.length} open in payment_channels; verified through order-doctor's own gateway settings (the shop's lend no credentials)`);
  for (const c of open) {
    const mark = c.verify === 'configured' ? paint('ok', 'verify') : c.verify === 'missing' ? paint('warn', 'cannot') : paint('dim', 'cannot');
    const why = c.verify === 'configured' ? `${c.channel} gateway configured` : c.verify === 'missing' ? `configure the ${c.channel} gateway` : 'a gateway order-doctor does not speak: PAYMENT_UNVERIFIABLE';
    out.push(`    ${mark}  #${c.id} ${c.name} (${c.handler}): ${why}`);
  }
  out.push(`${label('mail')}${mailLine(mail)}`);
  out.push(`${label('first')}${r.usable ? paint('ok', r.firstToFix.text) : paint('bad', r.firstToFix.text)}`);
  return out.join('\n');
}

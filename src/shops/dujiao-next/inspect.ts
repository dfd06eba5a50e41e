/**
 * What `order-doctor shop check` reports about a dujiao-next shop (cli/shop-check-dujiao-next.ts
 * renders it): the server, the tables and columns order-doctor reads, the payment channels and
 * whether each can be verified (through order-doctor's own gateway settings: dujiao-next's channel
 * records lend no credentials, channels.ts), the stuck orders of the sweep's window, and how guest
 * passwords are kept. Reads only; never a credential in the report.
 */
import { isNull } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import type { Sql } from 'postgres';
import type { Config } from '../../config.ts';
import type { Channel } from '../../domain/verdicts.ts';
import { channelOf } from './map.ts';
import { serverVersion } from './index.ts';
import { readSchema, schemaGaps, type TableFound } from './schema-check.ts';
import { paymentChannels } from './tables.ts';

export interface ChannelFound {
  id: number;
  name: string;
  /** provider/channel as dujiao-next names them (official/alipay, epay/wxpay, stripe/stripe) */
  handler: string;
  channel: Channel | null;
  open: boolean;
  /** configured: order-doctor has a gateway for it; missing: it could, with ALIPAY_*, WECHATPAY_* or EPAY_*; unsupported: a gateway it does not speak */
  verify: 'configured' | 'missing' | 'unsupported';
}

export interface DujiaoNextReport {
  shop: 'dujiao-next';
  usable: boolean;
  firstToFix: { code: 'ready' | 'not_dujiao_next' | 'no_verifiable_channel'; text: string };
  server: string;
  database: string;
  tables: TableFound[];
  channels: ChannelFound[];
  /** top-level orders of the sweep's window that are paid (or fulfilling) and still hold no fulfillment */
  paidWithoutFulfillment: number | null;
  /** guest orders whose password is stored hashed (a fork's choice): their buyers open them by email instead */
  hashedGuestPasswords: number | null;
}

export async function inspectDujiaoNext(sql: Sql, cfg: { databaseUrl: string; gateways: Config['gateways']; horizonMs: number }, now: Date): Promise<DujiaoNextReport> {
  const u = new URL(cfg.databaseUrl);
  const base = { shop: 'dujiao-next' as const, server: await serverVersion(sql), database: `${u.hostname}:${u.port || 5432}${u.pathname}` };
  const tables = await readSchema(sql);
  const gaps = schemaGaps(tables);
  if (gaps.length) {
    return {
      ...base, usable: false, tables, channels: [], paidWithoutFulfillment: null, hashedGuestPasswords: null,
      firstToFix: { code: 'not_dujiao_next', text: `SHOP_DATABASE_URL does not name a dujiao-next database: no ${gaps.slice(0, 3).join(', ')}${gaps.length > 3 ? ` (+${gaps.length - 3} more)` : ''}` },
    };
  }
  const db = drizzle({ client: sql });
  const rows = await db.select().from(paymentChannels).where(isNull(paymentChannels.deletedAt)).orderBy(paymentChannels.id);
  const channels: ChannelFound[] = rows.map((r) => {
    const channel = channelOf(r.providerType, r.channelType);
    return {
      id: Number(r.id), name: r.name, handler: `${r.providerType}/${r.channelType}`, channel, open: r.isActive !== false,
      verify: !channel ? 'unsupported' : cfg.gateways[channel] ? 'configured' : 'missing',
    };
  });
  const since = new Date(now.getTime() - cfg.horizonMs);
  const [stuck] = await sql<{ n: number }[]>`
    select count(*)::int as n from orders o
     where o.parent_id is null and o.deleted_at is null and o.created_at > ${since.toISOString()}::timestamptz and o.status in ('paid', 'fulfilling', 'partially_delivered')
       and exists (select 1 from orders p where p.deleted_at is null and (p.parent_id = o.id or p.id = o.id)
                     and not exists (select 1 from orders c where c.parent_id = p.id and c.deleted_at is null)
                     and not exists (select 1 from fulfillments f where f.order_id = p.id and f.deleted_at is null))`;
  const hashedCount = (await sql<{ n: number }[]>`
    select count(*)::int as n from orders where user_id = 0 and parent_id is null and deleted_at is null and guest_password ~ '^\\$(2[abxy]?|argon2(id|i|d)?)\\$'`)[0]?.n ?? 0;
  const open = channels.filter((c) => c.open);
  const verifiable = open.filter((c) => c.verify === 'configured');
  const missing = open.filter((c) => c.verify === 'missing');
  const firstToFix: DujiaoNextReport['firstToFix'] = verifiable.length
    ? { code: 'ready', text: missing.length ? `nothing blocking; ${missing.map((c) => c.name).join(', ')} cannot be verified until its gateway is configured` : 'nothing: ready' }
    : {
      code: 'no_verifiable_channel',
      text: missing.length
        ? `configure order-doctor's gateway settings for ${[...new Set(missing.map((c) => c.channel))].join(', ')} (ALIPAY_*, WECHATPAY_*, EPAY_*): no open channel can be verified yet`
        : 'no open channel of the shop goes through a gateway order-doctor speaks (official Alipay/WeChat, EPay): every payment would be PAYMENT_UNVERIFIABLE',
    };
  return {
    ...base, usable: verifiable.length > 0, firstToFix, tables, channels,
    paidWithoutFulfillment: stuck?.n ?? 0, hashedGuestPasswords: hashedCount,
  };
}

/**
 * The four acg-faka tables order-doctor reads (and the few columns it writes), as acg-faka's
 * installer creates them (kernel/Install/Install.sql; ../shared/reference/shops.md). Declared, never
 * migrated: the shop's schema is the shop's. `datetime` columns stay strings, exactly as acg-faka
 * wrote them from PHP in its own local time (local-time.ts).
 */
import { datetime, decimal, int, json, longtext, mysqlTable, tinyint, varchar, char } from 'drizzle-orm/mysql-core';

const at = (name: string) => datetime(name, { mode: 'string' });

export function acgFakaTables(prefix = 'acg_') {
  return {
    order: mysqlTable(`${prefix}order`, {
      id: int('id', { unsigned: true }).primaryKey(),
      /** the member who bought (0: a guest); acg-faka adds a member's payment to their recharge total */
      owner: int('owner', { unsigned: true }).notNull(),
      /** the shop's own order number (18 digits): what the buyer types and the gateway's out_trade_no */
      tradeNo: char('trade_no', { length: 19 }).notNull(),
      /** what the buyer must pay */
      amount: decimal('amount', { precision: 10, scale: 2 }).notNull(),
      commodityId: int('commodity_id', { unsigned: true }).notNull(),
      /** a key the buyer picked (预选卡密): the one card this order is delivered */
      cardId: int('card_id', { unsigned: true }),
      /** quantity */
      cardNum: int('card_num', { unsigned: true }).notNull(),
      payId: int('pay_id', { unsigned: true }).notNull(),
      createTime: at('create_time').notNull(),
      payTime: at('pay_time'),
      /** 0 unpaid, 1 paid */
      status: tinyint('status', { unsigned: true }).notNull(),
      /** the delivered keys (PHP_EOL between them), a manual product's message, or the shortage apology */
      secret: longtext('secret'),
      /** 查询密码, plain text, when the product asks for one */
      password: varchar('password', { length: 32 }),
      /** phone, email or QQ, as the product asks */
      contact: varchar('contact', { length: 32 }),
      /** 0 not delivered, 1 delivered (also set on a shortage, with the apology in secret) */
      deliveryStatus: tinyint('delivery_status', { unsigned: true }).notNull(),
      /** the card category (种类) bought: only cards of that race are delivered */
      race: varchar('race', { length: 32 }),
      /** the SKU chosen: only cards with those sku values are delivered */
      sku: json('sku'),
      /** the promoter's share, that acg-faka's own completion credits */
      divideAmount: decimal('divide_amount', { precision: 10, scale: 2 }),
      /** the merchant's (or substation's) share, credited the same way */
      rebate: decimal('rebate', { precision: 10, scale: 2 }),
    }),
    commodity: mysqlTable(`${prefix}commodity`, {
      id: int('id', { unsigned: true }).primaryKey(),
      name: varchar('name', { length: 255 }).notNull(),
      /** 0 automatic (cards), 1 manual or plugin delivery */
      deliveryWay: tinyint('delivery_way', { unsigned: true }).notNull(),
      /** which unsold card goes first: 0 oldest, 1 random, 2 newest */
      deliveryAutoMode: tinyint('delivery_auto_mode', { unsigned: true }).notNull(),
      /** a shared (remote platform) product: delivered by the platform, never from local cards */
      sharedId: int('shared_id', { unsigned: true }),
    }),
    card: mysqlTable(`${prefix}card`, {
      id: int('id', { unsigned: true }).primaryKey(),
      commodityId: int('commodity_id', { unsigned: true }).notNull(),
      secret: varchar('secret', { length: 760 }).notNull(),
      /** 0 unsold, 1 sold, 2 locked by the owner (never sold) */
      status: tinyint('status', { unsigned: true }).notNull(),
      /** the order it was sold to: the only link from an order to its keys */
      orderId: int('order_id', { unsigned: true }),
      purchaseTime: at('purchase_time'),
      race: varchar('race', { length: 32 }),
      sku: json('sku'),
    }),
    pay: mysqlTable(`${prefix}pay`, {
      id: int('id', { unsigned: true }).primaryKey(),
      name: varchar('name', { length: 16 }).notNull(),
      /** the plugin's payment type (`alipay`, `wxpay`, ...: EPay's type) */
      code: varchar('code', { length: 32 }).notNull(),
      /** the payment plugin (app/Pay/{handle}): `Epay`, `#system` (balance), ... */
      handle: varchar('handle', { length: 64 }).notNull(),
      /** offered on the shop's front (0 off, 1 on) */
      commodity: tinyint('commodity', { unsigned: true }).notNull(),
    }),
  };
}

export type AcgFakaTables = ReturnType<typeof acgFakaTables>;

export type TableName = keyof AcgFakaTables;
export const TABLES: readonly TableName[] = ['order', 'commodity', 'card', 'pay'];

export const ORDER = { UNPAID: 0, PAID: 1 } as const;
export const DELIVERY = { WAITING: 0, DELIVERED: 1 } as const;
export const WAY = { AUTOMATIC: 0, MANUAL: 1 } as const;
export const CARD = { UNSOLD: 0, SOLD: 1, LOCKED: 2 } as const;

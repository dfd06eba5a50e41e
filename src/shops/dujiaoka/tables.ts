/**
 * The four dujiaoka tables order-doctor reads (and the few columns it writes), as dujiaoka 2.0.x
 * creates them (../shared/reference/shops.md). Declared, never migrated: the shop's schema is the
 * shop's. Times stay strings, exactly as the shop wrote them in its own local time (local-time.ts).
 */
import { bigint, decimal, int, mysqlTable, text, timestamp, tinyint, varchar } from 'drizzle-orm/mysql-core';

const at = (name: string) => timestamp(name, { mode: 'string' });

export function dujiaokaTables(prefix = '') {
  return {
    orders: mysqlTable(`${prefix}orders`, {
      id: bigint('id', { mode: 'number' }).primaryKey(),
      orderSn: varchar('order_sn', { length: 150 }).notNull(),
      goodsId: int('goods_id').notNull(),
      title: varchar('title', { length: 200 }).notNull(),
      /** 1 automatic delivery, 2 manual */
      type: tinyint('type').notNull(),
      buyAmount: int('buy_amount').notNull(),
      /** what the buyer must pay */
      actualPrice: decimal('actual_price', { precision: 10, scale: 2 }).notNull(),
      searchPwd: varchar('search_pwd', { length: 200 }),
      email: varchar('email', { length: 200 }).notNull(),
      /** the keys, one per line, once delivered automatically */
      info: text('info'),
      payId: int('pay_id'),
      tradeNo: varchar('trade_no', { length: 200 }),
      /** 1 waiting, 2 pending (manual), 3 processing, 4 completed, 5 failed, 6 abnormal, -1 expired */
      status: tinyint('status').notNull(),
      createdAt: at('created_at'),
      updatedAt: at('updated_at'),
      deletedAt: at('deleted_at'),
    }),
    goods: mysqlTable(`${prefix}goods`, {
      id: int('id').primaryKey(),
      gdName: varchar('gd_name', { length: 200 }).notNull(),
      type: tinyint('type').notNull(),
      salesVolume: int('sales_volume'),
      updatedAt: at('updated_at'),
      deletedAt: at('deleted_at'),
    }),
    carmis: mysqlTable(`${prefix}carmis`, {
      id: bigint('id', { mode: 'number' }).primaryKey(),
      goodsId: int('goods_id').notNull(),
      /** 1 unsold, 2 sold */
      status: tinyint('status').notNull(),
      /** 1: a reusable key, sold again and again, never marked sold */
      isLoop: tinyint('is_loop').notNull(),
      carmi: text('carmi').notNull(),
      updatedAt: at('updated_at'),
      deletedAt: at('deleted_at'),
    }),
    pays: mysqlTable(`${prefix}pays`, {
      id: int('id').primaryKey(),
      payName: varchar('pay_name', { length: 200 }).notNull(),
      payCheck: varchar('pay_check', { length: 50 }).notNull(),
      merchantId: varchar('merchant_id', { length: 200 }),
      merchantKey: text('merchant_key'),
      merchantPem: text('merchant_pem').notNull(),
      payHandleroute: varchar('pay_handleroute', { length: 200 }).notNull(),
      isOpen: tinyint('is_open').notNull(),
      deletedAt: at('deleted_at'),
    }),
  };
}

export type DujiaokaTables = ReturnType<typeof dujiaokaTables>;

export const STATUS = { WAITING: 1, PENDING: 2, PROCESSING: 3, COMPLETED: 4, FAILED: 5, ABNORMAL: 6, EXPIRED: -1 } as const;
export const TYPE = { AUTOMATIC: 1, MANUAL: 2 } as const;
export const CARMI = { UNSOLD: 1, SOLD: 2 } as const;

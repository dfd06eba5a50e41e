/**
 * The dujiao-next tables order-doctor reads (and the few columns it writes), as dujiao-next's gorm
 * models create them on PostgreSQL (../shared/reference/shops.md; internal/models/*.go). Declared,
 * never migrated: the shop's schema is the shop's. gorm writes `time.Time` as timestamptz, so times
 * are instants here (no SHOP_TIMEZONE guessing), and money is decimal(20,2), read as strings.
 */
import { bigint, bigserial, boolean, json, numeric, pgTable, text, timestamp, varchar } from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const id = (name: string) => bigint(name, { mode: 'number' });
const money = (name: string) => numeric(name, { precision: 20, scale: 2 });

export const orders = pgTable('orders', {
  id: id('id').primaryKey(),
  orderNo: text('order_no').notNull(),
  /** set on the children of a split multi-item order */
  parentId: id('parent_id'),
  /** 0 for a guest */
  userId: id('user_id').notNull(),
  guestEmail: text('guest_email'),
  /** the guest's order password (plain in dujiao-next; some forks hash it) */
  guestPassword: varchar('guest_password', { length: 200 }),
  status: text('status').notNull(),
  totalAmount: money('total_amount').notNull(),
  walletPaidAmount: money('wallet_paid_amount').notNull(),
  onlinePaidAmount: money('online_paid_amount').notNull(),
  paidAt: at('paid_at'),
  expiresAt: at('expires_at'),
  canceledAt: at('canceled_at'),
  createdAt: at('created_at').notNull(),
  updatedAt: at('updated_at').notNull(),
  deletedAt: at('deleted_at'),
});

export const orderItems = pgTable('order_items', {
  id: id('id').primaryKey(),
  orderId: id('order_id').notNull(),
  productId: id('product_id').notNull(),
  skuId: id('sku_id').notNull(),
  /** a snapshot of the product's title per language: {"zh-CN": "...", "en-US": "..."} */
  title: json('title'),
  /** gorm's int: bigint on Postgres */
  quantity: bigint('quantity', { mode: 'number' }).notNull(),
  /** auto | manual | upstream */
  fulfillmentType: text('fulfillment_type').notNull(),
  deletedAt: at('deleted_at'),
});

export const payments = pgTable('payments', {
  id: id('id').primaryKey(),
  orderId: id('order_id').notNull(),
  channelId: id('channel_id').notNull(),
  /** official | epay | epusdt | tokenpay | paypal | stripe | ... */
  providerType: text('provider_type').notNull(),
  /** alipay | wechat | wxpay | qqpay | ... */
  channelType: text('channel_type').notNull(),
  /** what the gateway was asked for (the order's online part plus the channel's fee) */
  amount: money('amount').notNull(),
  /** initiated | pending | success | failed | expired */
  status: text('status').notNull(),
  /** the gateway's own transaction number */
  providerRef: text('provider_ref'),
  /** the number the gateway knows this attempt by (its out_trade_no) */
  gatewayOrderNo: varchar('gateway_order_no', { length: 64 }),
  paidAt: at('paid_at'),
  createdAt: at('created_at').notNull(),
  updatedAt: at('updated_at').notNull(),
  deletedAt: at('deleted_at'),
});

export const paymentChannels = pgTable('payment_channels', {
  id: id('id').primaryKey(),
  name: text('name').notNull(),
  providerType: text('provider_type').notNull(),
  channelType: text('channel_type').notNull(),
  isActive: boolean('is_active'),
  deletedAt: at('deleted_at'),
});

export const fulfillments = pgTable('fulfillments', {
  /** gorm's autoincrement key: order-doctor inserts fulfillments, the database numbers them */
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  /** unique: one fulfillment per order */
  orderId: id('order_id').notNull(),
  /** auto | manual */
  type: text('type').notNull(),
  /** pending | delivered */
  status: text('status').notNull(),
  /** the keys, one per line */
  payload: text('payload'),
  deliveredAt: at('delivered_at'),
  createdAt: at('created_at').notNull(),
  updatedAt: at('updated_at').notNull(),
  deletedAt: at('deleted_at'),
});

export const cardSecrets = pgTable('card_secrets', {
  id: id('id').primaryKey(),
  productId: id('product_id').notNull(),
  skuId: id('sku_id').notNull(),
  secret: text('secret').notNull(),
  /** available | reserved | used */
  status: text('status').notNull(),
  orderId: id('order_id'),
  reservedAt: at('reserved_at'),
  usedAt: at('used_at'),
  updatedAt: at('updated_at').notNull(),
  deletedAt: at('deleted_at'),
});

export const users = pgTable('users', {
  id: id('id').primaryKey(),
  email: text('email'),
});

export const TABLES = { orders, order_items: orderItems, payments, payment_channels: paymentChannels, fulfillments, card_secrets: cardSecrets, users } as const;

export const STATUS = {
  PENDING_PAYMENT: 'pending_payment', PAID: 'paid', FULFILLING: 'fulfilling', PARTIALLY_DELIVERED: 'partially_delivered',
  PARTIALLY_REFUNDED: 'partially_refunded', DELIVERED: 'delivered', COMPLETED: 'completed', CANCELED: 'canceled', REFUNDED: 'refunded',
} as const;
export const SECRET_STATUS = { AVAILABLE: 'available', RESERVED: 'reserved', USED: 'used' } as const;

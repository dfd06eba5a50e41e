/**
 * dujiaoka's rows as the domain's order, product and holdings (../shared/reference/shops.md).
 */
import type { Holdings, OrderView, ShopOrder } from '../../domain/order.ts';
import type { Channel, OrderStatus } from '../../domain/verdicts.ts';
import { parseYuanToCents } from '../../gateways/money.ts';
import { fromShopTime } from '../local-time.ts';
import { STATUS, TYPE } from './tables.ts';
import type { DujiaokaContext } from './context.ts';

/** The order's row with its goods and pays rows, as one lookup reads them. */
export interface OrderRow {
  id: number;
  orderSn: string;
  goodsId: number;
  title: string;
  type: number;
  buyAmount: number;
  actualPrice: string;
  searchPwd: string | null;
  email: string;
  info: string | null;
  payId: number | null;
  tradeNo: string | null;
  status: number;
  createdAt: string | null;
  updatedAt: string | null;
  goodsName: string | null;
  payName: string | null;
  payHandler: string | null;
}

/** dujiaoka's order carries what the buyer proves they know, read only by verifySecret. */
export const SECRET = Symbol('dujiaoka query secret');
export type DujiaokaOrder = ShopOrder & {
  /** the order's 查询密码, or, when the shop set none for it, its email (compared without case) */
  [SECRET]: { value: string; kind: 'password' | 'email' };
  info: string | null;
  updatedAt: Date | null;
  type: number;
  rawStatus: number;
};

/** dujiaoka's pay handlers (`/pay/alipay`; some rows omit the slash) and the protocol each speaks. */
export function channelOfHandler(handler: string | null | undefined): Channel | null {
  switch ((handler ?? '').replace(/^\/+/, '').replace(/\/+$/, '')) {
    case 'pay/alipay':
      return 'alipay';
    case 'pay/wepay':
      return 'wechat'; // WeChat Pay API v2
    case 'pay/yipay':
      return 'epay'; // EPay V1
    default:
      return null;
  }
}

export function normalHandler(handler: string | null | undefined): string {
  return `/${(handler ?? '').replace(/^\/+/, '')}`;
}

/** Keys as dujiaoka writes them into `info`: one per line (PHP_EOL). */
export function infoKeys(info: string | null): string[] {
  return (info ?? '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
}

function statusOf(row: Pick<OrderRow, 'status' | 'type' | 'buyAmount' | 'info'>): OrderStatus {
  switch (row.status) {
    case STATUS.WAITING:
      return 'pending';
    case STATUS.EXPIRED:
      return 'closed';
    case STATUS.COMPLETED:
      // completed with fewer keys than bought is not delivered, whatever the status says
      return row.type === TYPE.MANUAL || infoKeys(row.info).length >= row.buyAmount ? 'delivered' : 'paid';
    default:
      return 'paid'; // pending, processing, failed (by the owner) and abnormal orders were all paid
  }
}

export function toOrder(ctx: DujiaokaContext, row: OrderRow): DujiaokaOrder {
  const amountCents = parseYuanToCents(row.actualPrice);
  if (amountCents === null) throw new Error(`order ${row.orderSn}: unreadable actual_price ${row.actualPrice}`);
  const createdAt = fromShopTime(row.createdAt, ctx.zone);
  if (!createdAt) throw new Error(`order ${row.orderSn}: no created_at`);
  const secret = (row.searchPwd ?? '') !== ''
    ? { value: row.searchPwd!, kind: 'password' as const }
    : { value: row.email.trim().toLowerCase(), kind: 'email' as const };
  return {
    id: Number(row.id), orderNo: row.orderSn, sku: String(row.goodsId), quantity: row.buyAmount, amountCents,
    channel: channelOfHandler(row.payHandler),
    payment: row.payId !== null && row.payHandler !== null
      ? { ref: String(row.payId), name: row.payName ?? '', handler: normalHandler(row.payHandler) }
      : { ref: '', name: row.payId === null ? 'none' : `pays #${row.payId} (missing)`, handler: '' },
    status: statusOf(row), createdAt, paidAt: null, tradeNo: row.tradeNo ? row.tradeNo : null,
    contact: row.email || null,
    [SECRET]: secret, info: row.info, updatedAt: fromShopTime(row.updatedAt, ctx.zone), type: row.type, rawStatus: row.status,
  };
}

export async function toView(ctx: DujiaokaContext, row: OrderRow, stockAvailable: number): Promise<OrderView> {
  const order = toOrder(ctx, row);
  const manual = row.type === TYPE.MANUAL;
  return {
    order,
    product: {
      sku: order.sku, title: row.goodsName ?? row.title, fulfilment: manual ? 'manual' : 'stock',
      deliveryWindowMinutes: Math.round((manual ? ctx.manualWindowMs : ctx.autoWindowMs) / 60_000),
      // dujiaoka cannot void a key, so no replacement ever arises
      maxReplacements: 0,
    },
    holdings: await holdingsOf(ctx, row, stockAvailable),
  };
}

async function holdingsOf(ctx: DujiaokaContext, row: OrderRow, stockAvailable: number): Promise<Holdings> {
  if (row.type === TYPE.MANUAL) {
    // the owner's delivery (an account, a code) fills the whole order once it is completed
    if (row.status === STATUS.COMPLETED) {
      const hash = await ctx.box.keyHash(row.info ?? '');
      return { keys: Array.from({ length: row.buyAmount }, () => ({ status: 'delivered' as const, replacement: false, hash })), stockAvailable: 0 };
    }
    return { keys: [], stockAvailable: 0, manual: row.status === STATUS.FAILED ? 'failed' : 'waiting' };
  }
  // only a completed order's info holds keys (before: the buyer's form input; abnormal: a shortage message)
  const keys = row.status === STATUS.COMPLETED ? infoKeys(row.info) : [];
  const held = [];
  for (const k of keys) held.push({ status: 'delivered' as const, replacement: false, hash: await ctx.box.keyHash(k) });
  return { keys: held, stockAvailable };
}

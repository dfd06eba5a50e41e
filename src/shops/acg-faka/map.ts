/**
 * acg-faka's rows as the domain's order, product and holdings (../shared/reference/shops.md).
 *
 * An automatic product's keys are the `card` rows sold to the order (`order_id`), never the text in
 * `order.secret`: on a shortage acg-faka writes an apology there and still sets delivery_status 1,
 * so only the card rows say what the buyer holds. A manual (or shared-platform) product's delivery
 * is the text the owner (or the platform) wrote into `secret`, once delivery_status is 1.
 */
import type { Holdings, OrderView, ShopOrder } from '../../domain/order.ts';
import type { Channel, OrderStatus } from '../../domain/verdicts.ts';
import { parseYuanToCents } from '../../gateways/money.ts';
import { fromShopTime } from '../local-time.ts';
import type { AcgFakaContext } from './context.ts';
import { DELIVERY, ORDER, WAY } from './tables.ts';

/** The order's row with its commodity and pay rows, as one lookup reads them. */
export interface OrderRow {
  id: number;
  tradeNo: string;
  amount: string;
  commodityId: number;
  cardId: number | null;
  cardNum: number;
  payId: number;
  createTime: string;
  payTime: string | null;
  status: number;
  secret: string | null;
  password: string | null;
  contact: string | null;
  deliveryStatus: number;
  race: string | null;
  sku: unknown;
  commodityName: string | null;
  deliveryWay: number | null;
  deliveryAutoMode: number | null;
  sharedId: number | null;
  payName: string | null;
  payHandle: string | null;
}

/** A card sold to the order (its `order_id`), the key in clear: read only to hash or reveal it. */
export interface HeldCard {
  id: number;
  secret: string;
  purchaseTime: string | null;
}

/** acg-faka's order carries what the buyer proves they know, read only by verifySecret. */
export const SECRET = Symbol('acg-faka query secret');
export type AcgFakaOrder = ShopOrder & {
  /** the order's 查询密码, or, when the product asks for none, the contact the buyer gave; none: nothing opens it */
  [SECRET]: { value: string; kind: 'password' | 'contact' } | null;
  /** the cards sold to it and, for a manual product, the owner's delivery text */
  held: HeldCard[];
  deliveryText: string | null;
  automatic: boolean;
};

/** An automatic product delivered from the shop's own cards (not manual, not a shared platform's). */
export function isAutomatic(row: Pick<OrderRow, 'deliveryWay' | 'sharedId'>): boolean {
  return row.deliveryWay === WAY.AUTOMATIC && !(row.sharedId && row.sharedId > 0);
}

/**
 * acg-faka's payment plugins (app/Pay/{handle}) are not in its repository: EPay (`Epay`, the common
 * one, whose out_trade_no is the order's trade_no) is the one order-doctor speaks; `#system` is the
 * buyer's balance, settled inside the order's own transaction.
 */
export function channelOfHandle(handle: string | null | undefined): Channel | null {
  return (handle ?? '').trim().toLowerCase() === 'epay' ? 'epay' : null;
}

/** acg-faka decodes sku as JSON; mysql2 hands MariaDB's JSON (a longtext) over as a string. */
export function skuOf(value: unknown): Record<string, string> {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return {};
    }
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
}

function statusOf(row: OrderRow, held: number): OrderStatus {
  if (row.status !== ORDER.PAID) return 'pending';
  if (row.deliveryWay === null) return 'paid';
  // automatic: the card rows decide, whatever delivery_status says (a shortage sets it too)
  if (isAutomatic(row)) return held >= row.cardNum ? 'delivered' : 'paid';
  return row.deliveryStatus === DELIVERY.DELIVERED ? 'delivered' : 'paid';
}

export function toOrder(ctx: AcgFakaContext, row: OrderRow, held: HeldCard[]): AcgFakaOrder {
  const amountCents = parseYuanToCents(row.amount);
  if (amountCents === null) throw new Error(`order ${row.tradeNo}: unreadable amount ${row.amount}`);
  const createdAt = fromShopTime(row.createTime, ctx.zone);
  if (!createdAt) throw new Error(`order ${row.tradeNo}: no create_time`);
  const password = (row.password ?? '').trim();
  const contact = (row.contact ?? '').trim();
  const secret = password !== ''
    ? { value: row.password!, kind: 'password' as const }
    : contact !== '' ? { value: contact.toLowerCase(), kind: 'contact' as const } : null;
  return {
    id: Number(row.id), orderNo: row.tradeNo.trim(), sku: String(row.commodityId), quantity: row.cardNum, amountCents,
    channel: channelOfHandle(row.payHandle),
    payment: row.payHandle !== null
      ? { ref: String(row.payId), name: row.payName ?? '', handler: row.payHandle }
      : { ref: '', name: `pay #${row.payId} (missing)`, handler: '' },
    status: statusOf(row, held.length), createdAt, paidAt: row.status === ORDER.PAID ? fromShopTime(row.payTime, ctx.zone) : null,
    // acg-faka keeps no gateway transaction number
    tradeNo: null,
    // the contact is an email only when the product asked for one
    contact: contact.includes('@') ? contact : null,
    [SECRET]: secret, held, deliveryText: row.secret, automatic: isAutomatic(row),
  };
}

export async function toView(ctx: AcgFakaContext, row: OrderRow, held: HeldCard[], stockAvailable: number): Promise<OrderView> {
  const order = toOrder(ctx, row, held);
  const manual = !order.automatic;
  return {
    order,
    product: {
      sku: order.sku, title: row.commodityName ?? `commodity #${row.commodityId} (deleted)`, fulfilment: manual ? 'manual' : 'stock',
      deliveryWindowMinutes: Math.round((manual ? ctx.manualWindowMs : ctx.autoWindowMs) / 60_000),
      // acg-faka cannot void a key, so no replacement ever arises
      maxReplacements: 0,
    },
    holdings: await holdingsOf(ctx, row, held, stockAvailable),
  };
}

async function holdingsOf(ctx: AcgFakaContext, row: OrderRow, held: HeldCard[], stockAvailable: number): Promise<Holdings> {
  if (!isAutomatic(row)) {
    // the owner's (or the platform's) delivery text fills the whole order once it is delivered
    if (row.status === ORDER.PAID && row.deliveryStatus === DELIVERY.DELIVERED) {
      const hash = await ctx.box.keyHash(row.secret ?? '');
      return { keys: Array.from({ length: row.cardNum }, () => ({ status: 'delivered' as const, replacement: false, hash })), stockAvailable: 0 };
    }
    return { keys: [], stockAvailable: 0, manual: 'waiting' };
  }
  const keys = [];
  for (const c of held) keys.push({ status: 'delivered' as const, replacement: false, hash: await ctx.box.keyHash(c.secret) });
  return { keys, stockAvailable };
}

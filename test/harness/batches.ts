/**
 * The work each round of the kill harness adds: a small batch of stuck orders of every kind that
 * writes (reissue of one and of two keys, a paid order closed by timeout, a voided key to replace,
 * keys lost in the migration to restore, a paid order whose product has no stock), with just
 * enough stock. Each
 * batch has its own products, so what one batch ends with is known whatever the kills did. The
 * shops in their own databases make theirs alike (shops/*.ts).
 */
import type { Channel } from '../../src/domain/verdicts.ts';
import type { World } from '../../src/world/schema.ts';

export const SECRET = '8462';
export const CONTACT = 'buyer@example.com';

/** What an order of a batch must end as once everything has run (the harness' liveness check). */
export type Expect = { kind: 'filled'; quantity: number } | { kind: 'out_of_stock' };

export interface Batch {
  orders: { orderNo: string; expect: Expect }[];
}

export const iso = (d: Date, minutesAgo: number) => new Date(d.getTime() - minutesAgo * 60_000).toISOString();

/** A built-in store batch (a scenario world minus its checks), `now` the clock of the next child. */
export function builtinBatch(round: number, now: Date): { world: World; batch: Batch } {
  const r = String(round).padStart(3, '0');
  const sku = `KH-${r}`;
  const none = `KH-${r}-NONE`;
  const no = (i: number) => `K${r}HARNESS${String(i).padStart(4, '0')}`;
  const paid = (orderNo: string, amountCents: number, i: number) => [orderNo, {
    state: 'paid' as const, amountCents, paidAt: iso(now, 29), tradeNo: `2026112222001${r}${String(i).padStart(10, '0')}`,
  }] as const;
  const order = (i: number, extra: { quantity?: number; status?: 'pending' | 'closed' | 'delivered'; sku?: string; channel?: Channel; voided?: string }) => {
    const quantity = extra.quantity ?? 1;
    return {
      orderNo: no(i), sku: extra.sku ?? sku, quantity, amountCents: 10000 * quantity, channel: extra.channel ?? 'alipay',
      status: extra.status ?? 'pending', createdAt: iso(now, 30), querySecret: SECRET, contact: CONTACT,
      keys: extra.voided ? [{ secret: extra.voided, status: 'voided' as const, replacement: false }] : [], supplier: null,
      ...(extra.status === 'delivered' ? { paidAt: iso(now, 29) } : {}),
    };
  };
  const reissue = [
    order(1, {}), order(2, { channel: 'wechat' }), order(3, { quantity: 2 }), order(4, { quantity: 2, channel: 'epay' }), order(5, { status: 'closed' }),
    // delivered, its key voided since (a recalled batch): one replacement from stock
    order(9, { status: 'delivered', voided: `KH${r}-VOIDED-0` }),
  ];
  const restore = [order(6, { status: 'delivered' }), order(7, { status: 'delivered', quantity: 2 })];
  const empty = order(8, { sku: none });
  const all = [...reissue, ...restore, empty];
  const legacyNo = (o: { orderNo: string }) => `L${o.orderNo.slice(1)}`;
  const world: World = {
    now: now.toISOString(),
    products: [
      { sku, title: `Harness ${r}`, priceCents: 10000, fulfilment: 'stock', deliveryWindowMinutes: 5 },
      { sku: none, title: `Harness ${r} (no stock)`, priceCents: 10000, fulfilment: 'stock', deliveryWindowMinutes: 5 },
    ],
    // exactly what the reissues need (1 + 1 + 2 + 2 + 1 + 1), plus one key to spare
    stock: [{ sku, keys: Array.from({ length: 9 }, (_, i) => `KH${r}-STOCK-${String(i).padStart(3, '0')}`) }],
    orders: all,
    gateway: Object.fromEntries(all.map((o, i) => paid(o.orderNo, o.amountCents, i))),
    legacy: {
      orders: restore.map((o) => ({
        orderNo: legacyNo(o), sku, quantity: o.quantity, amountCents: o.amountCents, status: 'delivered' as const,
        paidAt: iso(now, 29), querySecret: SECRET,
        keys: Array.from({ length: o.quantity }, (_, i) => `KH${r}-LEGACY-${o.orderNo.slice(-2)}-${i}`),
      })),
      migration: Object.fromEntries(restore.map((o) => [legacyNo(o), { state: 'migrated' as const, batch: `B${r}`, newOrderNo: o.orderNo }])),
    },
  };
  return {
    world,
    batch: {
      orders: [
        ...[...reissue, ...restore].map((o) => ({ orderNo: o.orderNo, expect: { kind: 'filled' as const, quantity: o.quantity } })),
        { orderNo: empty.orderNo, expect: { kind: 'out_of_stock' as const } },
      ],
    },
  };
}

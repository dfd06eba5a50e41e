/**
 * dujiaoka in the kill harness, on the real MariaDB. A batch: orders abnormal for want of stock
 * (status 6), waiting (1) and expired (-1) with a lost payment, one with no stock at all, and one
 * completed on the old platform whose keys the migration lost (restored from the legacy record).
 * Its own rows: no carmi sold twice, lost, or of another product; sales_volume counted once.
 */
import { loadWorld } from '../../../src/world/load.ts';
import type { World } from '../../../src/world/schema.ts';
import { harness, insertCarmis, insertGoods, insertOrder, PAY, rows, type AnswerBook, type TestShop } from '../../shops/dujiaoka/support.ts';
import { CONTACT, SECRET, type Batch } from '../batches.ts';
import type { ShopOrderView, ShopView } from '../invariants.ts';
import type { KillShop } from './kind.ts';

/** Every named point of a shop in its own database: dujiaoka has the most rounds to spend. */
const POINTS = [
  'check:stock-claimed', 'check:journal-prepared', 'recovery:landed', 'check:delivered', 'recovery:before-commit',
  'check:before-commit', 'check:after-commit', 'sweep:leased', 'sweep:stock-claimed', 'sweep:journal-prepared',
  'recovery:after-commit', 'sweep:delivered', 'sweep:before-commit', 'sweep:after-commit',
];

/** What a batch started as, for the sales-volume count. */
interface DujiaokaBatch extends Batch {
  goods: { id: number; salesVolume: number }[];
  /** orders whose sale dujiaoka had not counted (waiting, expired): a delivery counts it, once */
  uncounted: { orderNo: string; goodsId: number; quantity: number }[];
  /** the legacy records of the orders to restore, for order-doctor's database */
  legacy: World['legacy'];
}

/** The shop's goods, carmis and orders of round `round`, each order's gateway answer in `book`. */
async function dujiaokaBatch(shop: TestShop, book: AnswerBook, round: number, now: Date): Promise<DujiaokaBatch> {
  const r = String(round).padStart(3, '0');
  const goodsId = 100 + round * 2;
  const none = goodsId + 1;
  await insertGoods(shop, { id: goodsId, name: `Harness ${r}`, priceCents: 10000, salesVolume: 10 });
  await insertGoods(shop, { id: none, name: `Harness ${r} (no stock)`, priceCents: 10000, salesVolume: 10 });
  // what the deliveries need (1 + 1 + 1 + 2 + 1), plus one to spare
  await insertCarmis(shop, goodsId, Array.from({ length: 7 }, (_, i) => `KD${r}-CARMI-${String(i).padStart(3, '0')}`));
  // status 4 with nothing in info: completed on the old platform, its keys lost in the migration (restored from the legacy record)
  const specs: { status: 1 | 4 | 6 | -1; quantity: number; goods: number }[] = [
    { status: 6, quantity: 1, goods: goodsId },
    { status: 6, quantity: 1, goods: goodsId },
    { status: 1, quantity: 1, goods: goodsId },
    { status: 1, quantity: 2, goods: goodsId },
    { status: -1, quantity: 1, goods: goodsId },
    { status: 6, quantity: 1, goods: none },
    { status: 4, quantity: 2, goods: goodsId },
  ];
  const batch: DujiaokaBatch = {
    orders: [], goods: [{ id: goodsId, salesVolume: 10 }, { id: none, salesVolume: 10 }], uncounted: [], legacy: { orders: [], migration: {} },
  };
  let i = 0;
  for (const s of specs) {
    i++;
    const orderSn = `KD${r}HARNESS${String(i).padStart(3, '0')}`; // 16 characters, as dujiaoka's
    const tradeNo = `2026112222002${r}${String(i).padStart(10, '0')}`;
    const paidAt = new Date(now.getTime() - 29 * 60_000).toISOString();
    await insertOrder(shop, {
      orderSn, goodsId: s.goods, priceCents: 10000, buyAmount: s.quantity, payId: PAY.alipay, status: s.status,
      searchPwd: SECRET, email: CONTACT, info: s.status === 6 ? '库存不足' : s.status === 4 ? '' : null,
      tradeNo: s.status === 6 || s.status === 4 ? tradeNo : '', createdAt: new Date(now.getTime() - 30 * 60_000),
    });
    if (s.status === 4) {
      const legacyNo = `L${orderSn.slice(1)}`;
      batch.legacy.orders.push({
        orderNo: legacyNo, sku: String(s.goods), quantity: s.quantity, amountCents: 10000 * s.quantity, status: 'delivered', paidAt,
        querySecret: SECRET, keys: Array.from({ length: s.quantity }, (_, k) => `KD${r}-LEGACY-${i}-${k}`),
      });
      batch.legacy.migration[legacyNo] = { state: 'migrated', batch: `B${r}`, newOrderNo: orderSn };
    }
    book.set(orderSn, 'alipay', 10000 * s.quantity, { state: 'paid', amountCents: 10000 * s.quantity, paidAt, tradeNo });
    batch.orders.push({ orderNo: orderSn, expect: s.goods === none ? { kind: 'out_of_stock' } : { kind: 'filled', quantity: s.quantity } });
    if (s.status === 1 || s.status === -1) batch.uncounted.push({ orderNo: orderSn, goodsId: s.goods, quantity: s.quantity });
  }
  return batch;
}

const lines = (info: unknown) => (typeof info === 'string' ? info.split('\n').map((l) => l.trim()).filter(Boolean) : []);

/** A completed order's keys are its info, one per line: what dujiaoka shows its buyer. */
async function dujiaokaView(shop: TestShop, batches: DujiaokaBatch[]): Promise<ShopView> {
  const problems: string[] = [];
  const orders = await rows(shop, 'select order_sn, goods_id, buy_amount, status, info from orders');
  const carmis = await rows(shop, 'select id, goods_id, carmi, status, is_loop from carmis');
  const views: ShopOrderView[] = orders.map((o) => ({
    orderNo: String(o.order_sn), quantity: Number(o.buy_amount), keys: Number(o.status) === 4 ? lines(o.info) : [], status: String(o.status),
  }));
  const byCarmi = new Map(carmis.map((c) => [String(c.carmi), c]));
  const sold = new Set<string>();
  for (const [i, v] of views.entries()) {
    for (const k of v.keys) {
      sold.add(k);
      const c = byCarmi.get(k);
      if (c && Number(c.is_loop) !== 1 && Number(c.status) !== 2) problems.push(`a carmi delivered but not marked sold: ${k} in ${v.orderNo}`);
      if (c && Number(c.goods_id) !== Number(orders[i]!.goods_id)) problems.push(`a carmi of another product: ${k} in ${v.orderNo}`);
    }
  }
  for (const c of carmis) {
    if (Number(c.status) === 2 && !sold.has(String(c.carmi))) problems.push(`a carmi marked sold but in no order (lost): ${c.carmi}`);
  }
  // the sale is counted once: by dujiaoka before (abnormal orders), or by the delivery of a waiting or expired one
  const status = new Map(views.map((v) => [v.orderNo, Number(v.status)]));
  const volumes = new Map((await rows(shop, 'select id, sales_volume from goods')).map((g) => [Number(g.id), Number(g.sales_volume)]));
  for (const b of batches) {
    for (const g of b.goods) {
      const counted = b.uncounted.filter((u) => u.goodsId === g.id && status.get(u.orderNo) === 4).reduce((n, u) => n + u.quantity, 0);
      if (volumes.get(g.id) !== g.salesVolume + counted) problems.push(`sales_volume of goods ${g.id}: ${volumes.get(g.id)}, expected ${g.salesVolume} + ${counted}`);
    }
  }
  return { orders: views, problems };
}

export const dujiaoka: KillShop = {
  kind: 'dujiaoka',
  mariadb: true,
  points: POINTS,
  randomKills: 6,
  async open(database, clock, extra) {
    const h = await harness(database, clock);
    const env = h.env(extra);
    const svc = await h.services(env); // empties our database
    const batches: DujiaokaBatch[] = [];
    return {
      env, svc,
      async addBatch(round, now) {
        const batch = await dujiaokaBatch(h.shop, h.book, round, now);
        await loadWorld(svc, { now: now.toISOString(), products: [], stock: [], orders: [], gateway: {}, legacy: batch.legacy });
        batches.push(batch);
        return batch;
      },
      view: () => dujiaokaView(h.shop, batches),
      close: () => h.close(),
    };
  },
};

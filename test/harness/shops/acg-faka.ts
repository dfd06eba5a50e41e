/**
 * acg-faka in the kill harness, on the real MariaDB. A batch: unpaid orders whose EPay
 * notification was lost (one and two cards, both EPay types), paid ones acg-faka marked delivered
 * with its shortage apology (one and two cards), and a paid one with no cards at all.
 * Its own rows: every sold card belongs to an order of its product, and an order holding cards
 * shows exactly those (its `secret`, what acg-faka shows the buyer), paid and delivered. acg-faka
 * counts no sales and keeps no stock figure for automatic products: no counter to check.
 */
import { harness, insertCards, insertCommodity, insertOrder, PAY, rows, type TestShop } from '../../shops/acg-faka/support.ts';
import type { AnswerBook } from '../../shops/support/harness.ts';
import { CONTACT, iso, SECRET, type Batch } from '../batches.ts';
import type { ShopOrderView, ShopView } from '../invariants.ts';
import { openWith, TWO_COMMIT_POINTS, type KillShop } from './kind.ts';

const APOLOGY = '很抱歉，有人在你付款之前抢走了商品，请联系客服。';

async function acgFakaBatch(shop: TestShop, book: AnswerBook, round: number, now: Date): Promise<Batch> {
  const r = String(round).padStart(3, '0');
  const commodity = 100 + round * 2;
  const none = commodity + 1;
  await insertCommodity(shop, { id: commodity, name: `Harness ${r}`, priceCents: 10000 });
  await insertCommodity(shop, { id: none, name: `Harness ${r} (no cards)`, priceCents: 10000 });
  // what the deliveries need (1 + 2 + 1 + 2), plus one to spare
  await insertCards(shop, commodity, Array.from({ length: 7 }, (_, i) => `KA${r}-CARD-${i}`));
  const specs: { shortage: boolean; cards: number; commodity: number; pay: number }[] = [
    { shortage: false, cards: 1, commodity, pay: PAY.epayAlipay },
    { shortage: false, cards: 2, commodity, pay: PAY.epayWxpay },
    { shortage: true, cards: 1, commodity, pay: PAY.epayAlipay },
    { shortage: true, cards: 2, commodity, pay: PAY.epayWxpay },
    { shortage: true, cards: 1, commodity: none, pay: PAY.epayAlipay },
  ];
  const batch: Batch = { orders: [] };
  for (const [i, s] of specs.entries()) {
    const tradeNo = `7${r}26112209${String(i + 1).padStart(6, '0')}`; // 18 digits, as acg-faka's
    await insertOrder(shop, {
      tradeNo, commodityId: s.commodity, priceCents: 10000, cardNum: s.cards, payId: s.pay, password: SECRET, contact: CONTACT,
      createdAt: new Date(iso(now, 30)),
      ...(s.shortage ? { status: 1, deliveryStatus: 1, secret: APOLOGY, paidAt: new Date(iso(now, 29)) } : { status: 0 }),
    });
    book.set(tradeNo, 'epay', 10000 * s.cards, { state: 'paid', amountCents: 10000 * s.cards, paidAt: iso(now, 29), tradeNo: `2026112209${r}${String(i + 1).padStart(6, '0')}` });
    batch.orders.push({ orderNo: tradeNo, expect: s.commodity === none ? { kind: 'out_of_stock' } : { kind: 'filled', quantity: s.cards } });
  }
  return batch;
}

/** An order's keys are the cards sold to it (status 1, its id); its `secret` must show exactly those. */
async function acgFakaView(shop: TestShop): Promise<ShopView> {
  const problems: string[] = [];
  const orders = await rows(shop, `select id, trade_no, commodity_id, card_num, status, delivery_status, secret, pay_time from ${shop.t('order')}`);
  const cards = await rows(shop, `select id, commodity_id, secret, status, order_id, purchase_time from ${shop.t('card')} order by id`);
  const byId = new Map(orders.map((o) => [Number(o.id), o]));
  const sold = new Map<number, string[]>();
  for (const c of cards.filter((x) => Number(x.status) === 1)) {
    const o = c.order_id === null ? undefined : byId.get(Number(c.order_id));
    if (!o) { problems.push(`a card marked sold to no order (lost): ${c.secret}`); continue; }
    if (Number(o.commodity_id) !== Number(c.commodity_id)) problems.push(`a card of another product: ${c.secret} in ${o.trade_no}`);
    if (c.purchase_time === null || c.purchase_time !== o.pay_time) problems.push(`a sold card's purchase_time is not its order's pay_time: ${c.secret} in ${o.trade_no}`);
    sold.set(Number(o.id), [...(sold.get(Number(o.id)) ?? []), String(c.secret)]);
  }
  const views: ShopOrderView[] = orders.map((o) => {
    const keys = sold.get(Number(o.id)) ?? [];
    const shown = typeof o.secret === 'string' ? o.secret.split('\n').map((l) => l.trim()).filter(Boolean) : [];
    if (keys.length && (Number(o.status) !== 1 || Number(o.delivery_status) !== 1 || o.pay_time === null)) {
      problems.push(`an order holding cards not paid and delivered: ${o.trade_no} (status ${o.status}, delivery ${o.delivery_status}, paid ${o.pay_time})`);
    }
    if (keys.length && shown.join('\n') !== keys.join('\n')) problems.push(`an order's secret is not the cards sold to it: ${o.trade_no} shows ${shown.length}, holds ${keys.length}`);
    if (!keys.length && shown.some((l) => l !== APOLOGY)) problems.push(`an order shows keys it holds no card of: ${o.trade_no}`);
    return { orderNo: String(o.trade_no).trim(), quantity: Number(o.card_num), keys, status: `${o.status}/${o.delivery_status}` };
  });
  return { orders: views, problems };
}

export const acgFaka: KillShop = {
  kind: 'acg-faka',
  mariadb: true,
  points: TWO_COMMIT_POINTS,
  randomKills: 2,
  open: async (database, clock, extra) => openWith(await harness(database, clock), extra, acgFakaBatch, acgFakaView),
};


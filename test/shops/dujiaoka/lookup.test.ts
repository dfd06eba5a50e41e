/**
 * The buyer's check on a dujiaoka shop, on the real MariaDB: orders found by the shop's own
 * `order_sn` and by the gateway's `trade_no`, the 查询密码 or (without one) the order's email as the
 * secret, the same answer for a wrong secret and an unknown order, and no key for a channel
 * order-doctor cannot ask.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { customerCheck } from '../../../src/engine/customer-check.ts';
import { auditLog, tickets } from '../../../src/db/schema.ts';
import type { Services } from '../../../src/services.ts';
import { emptyShop, insertCarmis, insertGoods, insertOrder, MARIADB, orderRow, PAY, suiteHarness, type Harness } from './support.ts';
import { NO_LOG_CONTEXT } from '../../../src/observability/context.ts';

const NOW = new Date('2026-11-22T10:00:00+08:00');
const ago = (min: number) => new Date(NOW.getTime() - min * 60_000);

describe.skipIf(!MARIADB)('dujiaoka: the buyer finds their order', () => {
  const suite = suiteHarness(() => NOW);
  let h: Harness;
  let svc: Services;

  beforeEach(async () => {
    h = suite.h;
    await emptyShop(h);
    await insertGoods(h.shop, { id: 7, name: 'Steam 钱包充值卡 100元', priceCents: 10000 });
    await insertCarmis(h.shop, 7, ['DJ-KEY-0001', 'DJ-KEY-0002']);
    // paid at Alipay, the notify never arrived: still waiting in the shop
    await insertOrder(h.shop, { orderSn: 'ABCD1234EFGH5678', goodsId: 7, priceCents: 10000, payId: PAY.alipay, status: 1, searchPwd: 'pw-8462', createdAt: ago(30) });
    h.book.set('ABCD1234EFGH5678', 'alipay', 10000, { state: 'paid', amountCents: 10000, paidAt: ago(29).toISOString(), tradeNo: '2026112222001400000001' });
    svc = await h.services();
  });

  it('by order_sn with the 查询密码: paid at the gateway, key delivered into the shop and shown', async () => {
    const out = await customerCheck(svc, { orderNo: 'ABCD1234EFGH5678', secret: 'pw-8462', logContext: NO_LOG_CONTEXT });
    expect(out.ok && { verdict: out.result.verdict, action: out.result.action, keysHeld: out.result.keysHeld })
      .toEqual({ verdict: 'PAID_NOT_DELIVERED', action: 'reissued', keysHeld: 1 });
    const row = await orderRow(h.shop, 'ABCD1234EFGH5678');
    expect(row).toMatchObject({ status: 4, info: 'DJ-KEY-0001', trade_no: '2026112222001400000001' });
  });

  it('a wrong 查询密码 and an unknown order get the same answer; nothing is written but the failed guess\'s audit row', async () => {
    const wrong = await customerCheck(svc, { orderNo: 'ABCD1234EFGH5678', secret: 'pw-0000', logContext: NO_LOG_CONTEXT });
    const unknown = await customerCheck(svc, { orderNo: 'ZZZZ1234EFGH5678', secret: 'pw-8462', logContext: NO_LOG_CONTEXT });
    expect(wrong).toEqual({ ok: false, error: 'verification_failed' });
    expect(unknown).toEqual(wrong);
    expect(await orderRow(h.shop, 'ABCD1234EFGH5678')).toMatchObject({ status: 1, info: null, trade_no: '' });
    // issue 10: a failed verification of an existing order is audited (never the secret tried)
    const rows = await svc.database.db.select().from(auditLog);
    expect(rows.map((r) => [r.action, r.orderNo])).toEqual([['verification_failed', 'ABCD1234EFGH5678']]);
    expect(JSON.stringify(rows)).not.toContain('pw-0000');
  });

  it('an order without a 查询密码 opens with its email, whatever its case, and with nothing else', async () => {
    await insertOrder(h.shop, { orderSn: 'NOPWD00000000001', goodsId: 7, priceCents: 10000, payId: PAY.alipay, status: 4, info: 'DJ-OLD-0009', email: 'Buyer.One@Example.com', createdAt: ago(60) });
    const ok = await customerCheck(svc, { orderNo: 'NOPWD00000000001', secret: ' buyer.one@example.COM ', logContext: NO_LOG_CONTEXT });
    expect(ok.ok && ok.result.verdict).toBe('DELIVERED');
    expect(await customerCheck(svc, { orderNo: 'NOPWD00000000001', secret: 'other@example.com', logContext: NO_LOG_CONTEXT })).toEqual({ ok: false, error: 'verification_failed' });
    expect(await customerCheck(svc, { orderNo: 'NOPWD00000000001', secret: '', logContext: NO_LOG_CONTEXT })).toEqual({ ok: false, error: 'verification_failed' });
  });

  it('by the gateway\'s trade_no when the shop indexes it', async () => {
    await insertOrder(h.shop, { orderSn: 'TRADE00000000001', goodsId: 7, priceCents: 10000, payId: PAY.alipay, status: 4, info: 'DJ-OLD-0001', tradeNo: '2026112222001499990001', searchPwd: 'x1', createdAt: ago(60) });
    await h.shop.pool.query('create index idx_trade_no on orders (trade_no)');
    try {
      const indexed = await h.services();
      const out = await customerCheck(indexed, { orderNo: '2026112222001499990001', secret: 'x1', logContext: NO_LOG_CONTEXT });
      expect(out.ok && { orderNo: out.result.orderNo, verdict: out.result.verdict }).toEqual({ orderNo: 'TRADE00000000001', verdict: 'DELIVERED' });
    } finally {
      await h.shop.pool.query('drop index idx_trade_no on orders');
    }
  });

  it('by the gateway\'s trade_no without that index: the gateway names the order (no table scan)', async () => {
    const out = await customerCheck(svc, { orderNo: '2026112222001400000001', secret: 'pw-8462', logContext: NO_LOG_CONTEXT });
    expect(out.ok && { orderNo: out.result.orderNo, verdict: out.result.verdict }).toEqual({ orderNo: 'ABCD1234EFGH5678', verdict: 'PAID_NOT_DELIVERED' });
  });

  it('paid through Stripe (a gateway order-doctor does not speak): PAYMENT_UNVERIFIABLE, a ticket, never a key', async () => {
    await insertOrder(h.shop, { orderSn: 'STRIPE0000000001', goodsId: 7, priceCents: 10000, payId: PAY.stripe, status: 1, searchPwd: 's1', createdAt: ago(30) });
    const out = await customerCheck(svc, { orderNo: 'STRIPE0000000001', secret: 's1', logContext: NO_LOG_CONTEXT });
    expect(out.ok && { verdict: out.result.verdict, action: out.result.action }).toEqual({ verdict: 'PAYMENT_UNVERIFIABLE', action: 'escalated' });
    expect(out.ok && out.result.explanation.en).toContain('Stripe[微信支付宝]');
    expect(await svc.database.db.select().from(tickets).where(eq(tickets.orderNo, 'STRIPE0000000001'))).toHaveLength(1);
    expect(await orderRow(h.shop, 'STRIPE0000000001')).toMatchObject({ status: 1, info: null });
  });

  it('a 码支付 channel whose pays row still holds the install placeholders is unverifiable too', async () => {
    await insertOrder(h.shop, { orderSn: 'MAPAY00000000001', goodsId: 7, priceCents: 10000, payId: PAY.mapay, status: 6, searchPwd: 'm1', createdAt: ago(30) });
    const out = await customerCheck(svc, { orderNo: 'MAPAY00000000001', secret: 'm1', logContext: NO_LOG_CONTEXT });
    expect(out.ok && out.result.verdict).toBe('PAYMENT_UNVERIFIABLE');
  });

  it('with SHOP_GATEWAYS=config and no WeChat settings, a WeChat order is unverifiable (no credentials), not guessed', async () => {
    await insertOrder(h.shop, { orderSn: 'WXNOCFG000000001', goodsId: 7, priceCents: 10000, payId: PAY.wechat, status: 6, searchPwd: 'w1', createdAt: ago(30) });
    const cfg = await h.services({ SHOP_GATEWAYS: 'config' });
    const out = await customerCheck(cfg, { orderNo: 'WXNOCFG000000001', secret: 'w1', logContext: NO_LOG_CONTEXT });
    expect(out.ok && { verdict: out.result.verdict, reason: out.result.facts.reason }).toEqual({ verdict: 'PAYMENT_UNVERIFIABLE', reason: 'no_credentials' });
  });
});

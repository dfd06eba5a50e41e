/**
 * Exactly once on the real Postgres: 50 racing checks of one dujiao-next order deliver its keys
 * once (one fulfillment, one audit row); 20 orders racing for 10 keys of one product take 10
 * different keys and the rest become OUT_OF_STOCK, no key held by two orders.
 */
import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { customerCheck } from '../../../src/engine/customer-check.ts';
import { diagnose } from '../../../src/engine/diagnose.ts';
import { auditLog, shopDeliveries } from '../../../src/db/schema.ts';
import { emptyShop, insertOrder, insertSecrets, PG, rows, suiteHarness } from './support.ts';
import { NO_LOG_CONTEXT } from '../../../src/observability/context.ts';

const NOW = new Date('2026-11-22T10:00:00+08:00');
const ago = (min: number) => new Date(NOW.getTime() - min * 60_000);

describe.skipIf(!PG)('dujiao-next: exactly once under racing checks', () => {
  const suite = suiteHarness(() => NOW, 40);

  it('50 concurrent checks of one split order: each child delivered once, one audit row', async () => {
    const h = suite.h;
    await emptyShop(h);
    await insertSecrets(h.shop, 7, Array.from({ length: 5 }, (_, i) => `RACE-A-${i}`));
    await insertSecrets(h.shop, 9, Array.from({ length: 5 }, (_, i) => `RACE-B-${i}`));
    await insertOrder(h.shop, {
      orderNo: 'DNRACE0000001', status: 'pending_payment', guestPassword: '8462', createdAt: ago(30),
      parts: [{ productId: 7, priceCents: 10000 }, { productId: 9, priceCents: 5000, quantity: 2 }],
      payments: [{ channel: 'alipay', status: 'pending', gatewayOrderNo: 'DNPRACE0000001' }],
    });
    h.book.set('DNPRACE0000001', 'alipay', 20000, { state: 'paid', amountCents: 20000, paidAt: ago(29).toISOString(), tradeNo: '2026112222001400077777' });
    const svc = await h.services();

    const outs = await Promise.all(Array.from({ length: 50 }, () => customerCheck(svc, { orderNo: 'DNRACE0000001', secret: '8462', logContext: NO_LOG_CONTEXT })));
    const verdicts = outs.map((o) => (o.ok ? `${o.result.verdict}/${o.result.action}` : o.error));
    expect(verdicts.filter((v) => v === 'PAID_NOT_DELIVERED/reissued')).toHaveLength(1);
    expect(verdicts.filter((v) => v !== 'PAID_NOT_DELIVERED/reissued').every((v) => v === 'DELIVERED/none')).toBe(true);

    expect(await rows(h.shop, 'select o.order_no, f.payload from fulfillments f join orders o on o.id = f.order_id order by o.order_no')).toEqual([
      { order_no: 'DNRACE0000001-01', payload: 'RACE-A-0' }, { order_no: 'DNRACE0000001-02', payload: 'RACE-B-0\nRACE-B-1' },
    ]);
    expect(await rows(h.shop, "select count(*)::int as n from card_secrets where status = 'used'")).toEqual([{ n: 3 }]);
    expect(await rows(h.shop, 'select status from orders order by id')).toEqual([{ status: 'completed' }, { status: 'completed' }, { status: 'completed' }]);
    expect(await rows(h.shop, 'select status, provider_ref from payments')).toEqual([{ status: 'success', provider_ref: '2026112222001400077777' }]);
    expect(await svc.database.db.select().from(auditLog).where(eq(auditLog.action, 'keys_issued'))).toHaveLength(1);
    expect(await svc.database.db.select({ state: shopDeliveries.state }).from(shopDeliveries)).toEqual([{ state: 'committed' }]);
  });

  it('20 orders of one product racing for 10 keys: 10 delivered with 10 different keys, 10 out of stock, no key twice', async () => {
    const h = suite.h;
    await emptyShop(h);
    await insertSecrets(h.shop, 9, Array.from({ length: 10 }, (_, i) => `PSN-KEY-${String(i).padStart(2, '0')}`));
    const nos = Array.from({ length: 20 }, (_, i) => `DNMANY${String(i).padStart(8, '0')}`);
    for (const [i, no] of nos.entries()) {
      const trade = `20261122220014000${String(i).padStart(5, '0')}`;
      await insertOrder(h.shop, {
        orderNo: no, status: 'paid', guestPassword: 'p', createdAt: ago(30), paidAt: ago(29), parts: [{ productId: 9, priceCents: 18400 }],
        payments: [{ channel: 'alipay', status: 'success', gatewayOrderNo: `P${no}`, providerRef: trade }],
      });
      h.book.set(`P${no}`, 'alipay', 18400, { state: 'paid', amountCents: 18400, paidAt: ago(29).toISOString(), tradeNo: trade });
    }
    const svc = await h.services();
    const outs = await Promise.all(nos.map((no) => diagnose(svc, { orderNo: no, actor: { kind: 'sweep', id: 'race' }, apply: true, logContext: NO_LOG_CONTEXT })));
    const byVerdict = outs.reduce<Record<string, number>>((m, r) => ({ ...m, [r.verdict]: (m[r.verdict] ?? 0) + 1 }), {});
    expect(byVerdict).toEqual({ PAID_NOT_DELIVERED: 10, OUT_OF_STOCK: 10 });
    const delivered = await rows<{ payload: string; order_id: string }>(h.shop, 'select payload, order_id from fulfillments');
    expect(delivered).toHaveLength(10);
    expect(new Set(delivered.map((r) => r.payload)).size).toBe(10);
    expect(await rows(h.shop, "select count(*)::int as n from card_secrets where status = 'used'")).toEqual([{ n: 10 }]);
    // every key is tied to the order whose fulfillment holds it
    expect(await rows(h.shop, 'select count(*)::int as n from card_secrets c join fulfillments f on f.order_id = c.order_id and f.payload = c.secret')).toEqual([{ n: 10 }]);
    expect(await rows(h.shop, "select count(*)::int as n from orders where status = 'completed'")).toEqual([{ n: 10 }]);
  });
});

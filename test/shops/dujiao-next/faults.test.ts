/**
 * The dujiao-next shop's Postgres refusing, hung, or dropping our connections under traffic (a
 * failover, a pooler restart, an operator's pg_terminate_backend): a buyer's check is a 503 or an
 * answer (never a 500, never a hang), the process lives (the guarded postgres.js, as for our own
 * database: db/postgres-guard.ts), and the same services answer once the shop is back.
 */
import { describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { POSTGRES_URL } from '../../support/db.ts';
import { expectRefusedAndHungShopAnswered, shopBehindProxy, shopClient } from '../support/faults.ts';
import { emptyShop, insertOrder, PG, suiteHarness } from './support.ts';

const NOW = new Date('2026-11-22T10:00:00+08:00');
const ago = (min: number) => new Date(NOW.getTime() - min * 60_000);

describe.skipIf(!PG)('dujiao-next: the shop\'s database refusing, hung or dropping connections', () => {
  const suite = suiteHarness(() => NOW);

  /** a paid order still inside its manual window: every check reads the shop and asks the gateway, and writes nothing there */
  async function manualOrder(orderNo: string) {
    const h = suite.h;
    await emptyShop(h);
    await insertOrder(h.shop, {
      orderNo, status: 'paid', guestPassword: '8462', createdAt: ago(3), paidAt: ago(2),
      parts: [{ productId: 7, priceCents: 10000, type: 'manual' }],
      payments: [{ channel: 'alipay', status: 'success', gatewayOrderNo: `P${orderNo}`, providerRef: '2026112222001400077777' }],
    });
    h.book.set(`P${orderNo}`, 'alipay', 10000, { state: 'paid', amountCents: 10000, paidAt: ago(2).toISOString(), tradeNo: '2026112222001400077777' });
  }

  it('refused: 503 with Retry-After at once; hung: 503 within the shop deadline; back: 200 on the same services', async () => {
    await manualOrder('DNFAULT000001');
    const { env, proxy } = await shopBehindProxy(suite.h.shop.url, 5432);
    const svc = await suite.h.services(env);
    await expectRefusedAndHungShopAnswered(shopClient(svc, 'DNFAULT000001', '8462'), proxy, 'DELIVERY_IN_PROGRESS');
  });

  it('the shop\'s backends terminated again and again during a burst of checks: every answer a 200 or a 503, the process lives, then 200', async () => {
    await manualOrder('DNTERM0000001');
    const svc = await suite.h.services();
    const { check } = shopClient(svc, 'DNTERM0000001', '8462');
    const shopDb = new URL(suite.h.shop.url).pathname.slice(1);
    const admin = postgres(POSTGRES_URL!, { max: 1, onnotice: () => {} });
    let burst = true;
    const killer = (async () => {
      let killed = 0;
      while (burst) {
        const r = await admin`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
          where datname = ${shopDb} and pid <> pg_backend_pid() and application_name = 'postgres.js'`;
        killed += r[0]!.n as number;
        await new Promise((res) => setTimeout(res, 15));
      }
      return killed;
    })();
    const statuses: number[] = [];
    try {
      await Promise.all(Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 10; i++) statuses.push((await check()).status);
      }));
    } finally {
      burst = false;
    }
    const killed = await killer;
    await admin.end();
    expect(killed).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect((await check()).status).toBe(200);
  }, 60_000);
});

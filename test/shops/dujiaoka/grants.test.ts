/**
 * The MySQL grants the README asks a dujiaoka owner for are enough, and no more is used: a user
 * with SELECT on the four tables and UPDATE on only the columns order-doctor writes looks orders
 * up, delivers, and reads the shop's channels; the same user cannot write anything else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerCheck } from '../../../src/engine/customer-check.ts';
import { testDatabase, type TestDatabase } from '../../support/db.ts';
import { dropUsers, expectDenied, grantedUser } from '../support/grants.ts';
import { harness, insertCarmis, insertGoods, insertOrder, MARIADB, orderRow, PAY, type Harness } from './support.ts';
import { NO_LOG_CONTEXT } from '../../../src/observability/context.ts';

const NOW = new Date('2026-11-22T10:00:00+08:00');
const USER = `od_grants_${Math.random().toString(36).slice(2, 8)}`;

/** The statements README.md "Connect your dujiaoka shop" gives, for database `db`. */
export function readmeGrants(db: string, user: string): string[] {
  return [
    `GRANT SELECT ON \`${db}\`.orders TO '${user}'@'%'`,
    `GRANT SELECT ON \`${db}\`.goods TO '${user}'@'%'`,
    `GRANT SELECT ON \`${db}\`.carmis TO '${user}'@'%'`,
    `GRANT SELECT ON \`${db}\`.pays TO '${user}'@'%'`,
    `GRANT UPDATE (info, status, trade_no, updated_at) ON \`${db}\`.orders TO '${user}'@'%'`,
    `GRANT UPDATE (status, updated_at) ON \`${db}\`.carmis TO '${user}'@'%'`,
    `GRANT UPDATE (sales_volume, updated_at) ON \`${db}\`.goods TO '${user}'@'%'`,
  ];
}

describe.skipIf(!MARIADB)('dujiaoka: the grants the README asks for', () => {
  let tdb: TestDatabase;
  let h: Harness;
  let limitedUrl: string;

  beforeAll(async () => {
    tdb = await testDatabase();
    h = await harness(tdb.database, () => NOW);
    const db = new URL(h.shop.url).pathname.slice(1);
    limitedUrl = await grantedUser(h.shop.url, USER, readmeGrants(db, USER));
  });
  afterAll(async () => {
    await dropUsers(USER);
    await h?.close();
    await tdb?.drop();
  });

  it('are enough to look an order up and deliver into it, exactly as dujiaoka would', async () => {
    await insertGoods(h.shop, { id: 7, name: 'Steam 100', priceCents: 10000 });
    await insertCarmis(h.shop, 7, ['GR-KEY-1']);
    await insertOrder(h.shop, { orderSn: 'GRANTS0000000001', goodsId: 7, priceCents: 10000, payId: PAY.alipay, status: 1, searchPwd: 'g', createdAt: new Date(NOW.getTime() - 30 * 60_000) });
    h.book.set('GRANTS0000000001', 'alipay', 10000, { state: 'paid', amountCents: 10000, paidAt: NOW.toISOString(), tradeNo: '2026112222001400011111' });
    const svc = await h.services({ SHOP_DATABASE_URL: limitedUrl });
    const out = await customerCheck(svc, { orderNo: 'GRANTS0000000001', secret: 'g', logContext: NO_LOG_CONTEXT });
    expect(out.ok && { verdict: out.result.verdict, action: out.result.action }).toEqual({ verdict: 'PAID_NOT_DELIVERED', action: 'reissued' });
    expect(await orderRow(h.shop, 'GRANTS0000000001')).toMatchObject({ status: 4, info: 'GR-KEY-1', trade_no: '2026112222001400011111' });
  });

  it('allow nothing else: the same user cannot change a price or delete a key', async () => {
    await expectDenied(limitedUrl, [
      "update orders set actual_price = 0 where order_sn = 'GRANTS0000000001'",
      'delete from carmis',
      "update pays set merchant_pem = 'x'",
    ]);
  });
});

/**
 * The MySQL grants the README asks an acg-faka owner for are enough, and no more is used: a user
 * with SELECT on the four tables and UPDATE on only the columns a delivery writes looks an order up
 * and delivers into it; the same user cannot write anything else; and `shop check`'s grants finding
 * names what a user without them lacks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { customerCheck } from '../../../src/engine/customer-check.ts';
import { inspectAcgFaka } from '../../../src/shops/acg-faka/inspect.ts';
import { shopPool } from '../../../src/shops/mysql/pool.ts';
import { testDatabase, type TestDatabase } from '../../support/db.ts';
import { dropUsers, expectDenied, grantedUser } from '../support/grants.ts';
import { harness, insertCards, insertCommodity, insertOrder, MARIADB, orderRow, PAY, shopEnv, type Harness } from './support.ts';
import { NO_LOG_CONTEXT } from '../../../src/observability/context.ts';

const NOW = new Date('2026-11-22T10:00:00+08:00');
const SUFFIX = Math.random().toString(36).slice(2, 8);
const USER = `od_afg_${SUFFIX}`;
const SHORT = `od_afs_${SUFFIX}`;

/** The statements for README "Connect your shop -> acg-faka", for database `db` and prefix `p`. */
export function readmeGrants(db: string, p: string, user: string): string[] {
  return [
    `GRANT SELECT ON \`${db}\`.\`${p}order\` TO '${user}'@'%'`,
    `GRANT SELECT ON \`${db}\`.\`${p}commodity\` TO '${user}'@'%'`,
    `GRANT SELECT ON \`${db}\`.\`${p}card\` TO '${user}'@'%'`,
    `GRANT SELECT ON \`${db}\`.\`${p}pay\` TO '${user}'@'%'`,
    `GRANT UPDATE (status, pay_time, secret, delivery_status) ON \`${db}\`.\`${p}order\` TO '${user}'@'%'`,
    `GRANT UPDATE (status, order_id, purchase_time) ON \`${db}\`.\`${p}card\` TO '${user}'@'%'`,
  ];
}

describe.skipIf(!MARIADB)('acg-faka: the grants the README asks for', () => {
  let tdb: TestDatabase;
  let h: Harness;
  let limitedUrl: string;
  let shortUrl: string;

  beforeAll(async () => {
    tdb = await testDatabase();
    h = await harness(tdb.database, () => NOW);
    const db = new URL(h.shop.url).pathname.slice(1);
    limitedUrl = await grantedUser(h.shop.url, USER, readmeGrants(db, 'acg_', USER));
    // the same, but without the card UPDATE
    shortUrl = await grantedUser(h.shop.url, SHORT, readmeGrants(db, 'acg_', SHORT).slice(0, 5));
  });
  afterAll(async () => {
    await dropUsers(USER, SHORT);
    await h?.close();
    await tdb?.drop();
  });

  it('are enough to look an order up and deliver into it, exactly as acg-faka would', async () => {
    await insertCommodity(h.shop, { id: 7, name: 'Steam 100', priceCents: 10000 });
    await insertCards(h.shop, 7, ['GR-KEY-1']);
    await insertOrder(h.shop, { tradeNo: '444261122093000001', commodityId: 7, priceCents: 10000, payId: PAY.epayAlipay, status: 0, password: 'g', createdAt: new Date(NOW.getTime() - 30 * 60_000) });
    h.book.set('444261122093000001', 'epay', 10000, { state: 'paid', amountCents: 10000, paidAt: NOW.toISOString(), tradeNo: '2026112209300011111' });
    const svc = await h.services({ SHOP_DATABASE_URL: limitedUrl });
    const out = await customerCheck(svc, { orderNo: '444261122093000001', secret: 'g', logContext: NO_LOG_CONTEXT });
    expect(out.ok && { verdict: out.result.verdict, action: out.result.action }).toEqual({ verdict: 'PAID_NOT_DELIVERED', action: 'reissued' });
    expect(await orderRow(h.shop, '444261122093000001')).toMatchObject({ status: 1, delivery_status: 1, secret: 'GR-KEY-1' });
  });

  it('allow nothing else: the same user cannot change an amount, delete a card or touch a payment method', async () => {
    await expectDenied(limitedUrl, [
      "update acg_order set amount = 0 where trade_no = '444261122093000001'",
      'delete from acg_card',
      "update acg_pay set handle = 'x'",
    ]);
  });

  it('shop check finds them all there, and names the UPDATE a user without it lacks', async () => {
    const check = async (url: string) => {
      const config = loadConfig({ ...shopEnv(h.shop, h.sandbox.baseUrl), SHOP_DATABASE_URL: url });
      if (config.shop.kind !== 'acg-faka') throw new Error('not acg-faka');
      const pool = shopPool(url, { connections: 1 });
      try {
        return await inspectAcgFaka(pool, { shop: config.shop, gateways: config.gateways, epayV1Trust: config.epayV1Trust, horizonMs: config.sweepHorizonMs }, { now: () => NOW });
      } finally {
        await pool.end();
      }
    };
    const full = await check(limitedUrl);
    expect(full.grants).toMatchObject({ known: true, all: false, missingSelect: [], missingUpdate: [] });
    expect(full.usable).toBe(true);
    const short = await check(shortUrl);
    expect(short.grants.missingUpdate).toEqual(['UPDATE on acg_card(status, order_id, purchase_time)']);
    expect(short.usable).toBe(false);
    expect(short.firstToFix.code).toBe('grants');
  });
});

/**
 * `order-doctor shop check [--json]` on acg-faka databases (real MariaDB, fresh ones from
 * fixtures/acg-faka/schema.sql), as an operator runs it: exit 0 for a usable shop, 1 for one that is
 * not (no way to verify EPay, a wrong table prefix) or cannot be reached (one line); `--json` is one
 * line with `usable` and `firstToFix`; never a credential in the output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshShop, insertCards, insertCommodity, insertOrder, insertPays, MARIADB, PAY, type TestShop } from '../shops/acg-faka/support.ts';
import { orderDoctorCli } from '../shops/support/shop-check-cli.ts';

const cli = orderDoctorCli('od-shop-check-af-');
const EPAY = { EPAY_API_URL: 'https://pay.example.com/', EPAY_PID: '1000', EPAY_VERSION: 'v1', EPAY_KEY: 'k3y-never-printed-9f2c', EPAY_V1_TRUST: 'accept' };

const acgFaka = (shop: TestShop, env: Record<string, string> = {}) => ({ SHOP: 'acg-faka', SHOP_DATABASE_URL: shop.url, SHOP_TIMEZONE: 'Asia/Shanghai', ...env });

describe.skipIf(!MARIADB)('order-doctor shop check (acg-faka, MariaDB)', () => {
  let shop: TestShop;

  beforeAll(async () => {
    shop = await freshShop();
    await insertPays(shop);
    await insertCommodity(shop, { id: 7, name: 'Steam 100', priceCents: 10000 });
    await insertCommodity(shop, { id: 8, name: 'PSN 200', priceCents: 10000 });
    await insertCards(shop, 7, ['CK-1', 'CK-2']);
    const ago = (min: number) => new Date(Date.now() - min * 60_000);
    await insertOrder(shop, { tradeNo: '123261122093000001', commodityId: 7, priceCents: 10000, payId: PAY.epayAlipay, status: 0, createdAt: ago(30) });
    await insertOrder(shop, { tradeNo: '123261122093000002', commodityId: 7, priceCents: 10000, payId: PAY.usdt, status: 0, createdAt: ago(20) });
  });
  afterAll(async () => {
    await shop?.drop();
  });

  it('usable with order-doctor\'s EPay settings: exit 0, one JSON line, the key never printed', async () => {
    const out = await cli(['shop', 'check', '--json'], acgFaka(shop, EPAY));
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout.trim().split('\n')).toHaveLength(1);
    const r = JSON.parse(out.stdout);
    expect(r).toMatchObject({ shop: 'acg-faka', usable: true, recentOrders: 2, unsoldCards: 2, productsOutOfStock: 1, server: { skipLocked: true } });
    expect(r.channels.map((c: { id: string; status: string }) => `${c.id}:${c.status}`)).toEqual(['1:balance', '2:verifiable', '3:verifiable', '4:unsupported']);
    expect(r.problems.map((p: { code: string }) => p.code)).toContain('channel_unverifiable'); // the USDT order waiting
    const human = await cli(['shop', 'check'], acgFaka(shop, EPAY));
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('usable     yes (exit 0)');
    for (const o of [out, human]) expect(o.stdout + o.stderr).not.toContain(EPAY.EPAY_KEY);
  });

  it('without EPay settings nothing can be verified: exit 1, and the first fix says so', async () => {
    const out = await cli(['shop', 'check', '--json'], acgFaka(shop));
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout)).toMatchObject({ usable: false, firstToFix: { code: 'no_verifiable_channel', text: expect.stringContaining('EPAY_API_URL') } });
  });

  it('a wrong table prefix: exit 1, naming the prefix the tables are under', async () => {
    const out = await cli(['shop', 'check', '--json'], acgFaka(shop, { ...EPAY, SHOP_TABLE_PREFIX: 'faka_' }));
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout).firstToFix).toEqual({ code: 'schema', text: expect.stringContaining('set SHOP_TABLE_PREFIX=acg_') });
  });

  it('an unreachable database: exit 1 with one line', async () => {
    const out = await cli(['shop', 'check'], { SHOP: 'acg-faka', SHOP_DATABASE_URL: 'mysql://root:pw-never-printed@127.0.0.1:1/acg' });
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toMatch(/^order-doctor: cannot reach the shop's database at mysql:\/\/127\.0\.0\.1:1\/acg: .*ECONNREFUSED/);
    expect(out.stderr).not.toContain('pw-never-printed');
  });
});

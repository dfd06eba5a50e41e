/**
 * `order-doctor shop check [--json]` as an operator runs it, against real dujiaoka databases on
 * MariaDB (fresh ones from fixtures/dujiaoka/schema.sql): exit 0 for a usable shop, 1 for one that
 * is not (or cannot be reached: one line), 2 for bad configuration; the channels it can and cannot
 * verify, the optional indexes, grants, the timezone check; never a credential in the output.
 */
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { granted, parseGrants } from '../../src/shops/dujiaoka/grants.ts';
import { builtinReport } from '../../src/cli/shop.ts';
import { loadConfig } from '../../src/config.ts';
import { products, stockKeys } from '../../src/db/schema.ts';
import { sandboxGatewayEnv, sandboxKeys } from '../../src/sandbox/credentials.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { freshShop, insertCarmis, insertGoods, insertOrder, insertPays, MARIADB, PAY, SERVER_URL, type TestShop } from '../shops/dujiaoka/support.ts';
import { orderDoctorCli } from '../shops/support/shop-check-cli.ts';

const cli = orderDoctorCli('od-shop-check-');

const dujiaoka = (shop: TestShop, env: Record<string, string> = {}) => ({
  SHOP: 'dujiaoka', SHOP_DATABASE_URL: shop.url, SHOP_GATEWAYS: 'shop', SHOP_TIMEZONE: 'Asia/Shanghai', ...env,
});

/** A shop as an owner runs it: its channels (the sandbox's credentials typed in), goods, keys and a day's orders. */
async function stockedShop(): Promise<TestShop> {
  const shop = await freshShop();
  await insertPays(shop, 'http://127.0.0.1:9');
  await insertGoods(shop, { id: 7, name: 'Steam 钱包充值卡 100元', priceCents: 10000 });
  await insertCarmis(shop, 7, ['DJ-KEY-0001', 'DJ-KEY-0002']);
  const now = Date.now();
  const ago = (min: number) => new Date(now - min * 60_000);
  // ids grow with creation time, as in a real shop
  await insertOrder(shop, { orderSn: 'OLDORDER00000001', goodsId: 7, priceCents: 10000, payId: PAY.alipay, status: 4, info: 'DJ-KEY-0000', createdAt: ago(30 * 60) });
  await insertOrder(shop, { orderSn: 'WEPAYORDER000001', goodsId: 7, priceCents: 10000, payId: PAY.wechat, status: 4, info: 'DJ-KEY-000X', createdAt: ago(120) });
  await insertOrder(shop, { orderSn: 'ALIPAYORDER00001', goodsId: 7, priceCents: 10000, payId: PAY.alipay, status: 1, createdAt: ago(30) });
  await insertOrder(shop, { orderSn: 'STRIPEORDER00001', goodsId: 7, priceCents: 10000, payId: PAY.stripe, status: 1, createdAt: ago(20) });
  return shop;
}

describe.skipIf(!MARIADB)('order-doctor shop check (dujiaoka, MariaDB)', () => {
  let healthy: TestShop;
  let noCarmis: TestShop;

  beforeAll(async () => {
    [healthy, noCarmis] = await Promise.all([stockedShop(), stockedShop()]);
    await noCarmis.pool.query('drop table carmis');
  });
  afterAll(async () => {
    await healthy?.drop();
    await noCarmis?.drop();
  });

  // alone, before the others: its time is the command's, not the machine's load
  it('an unreachable database: exit 1 with one line, within seconds', async () => {
    const out = await cli(['shop', 'check'], { SHOP: 'dujiaoka', SHOP_DATABASE_URL: 'mysql://root@127.0.0.1:1/x' });
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toMatch(/^order-doctor: cannot reach the shop's database at mysql:\/\/127\.0\.0\.1:1\/x: .*ECONNREFUSED/);
    expect(out.ms).toBeLessThan(8000);
  });

  describe.concurrent('on a shop', () => {
    it('a healthy shop: exit 0, each channel verifiable or not and why, the optional trade_no index', async ({ expect }) => {
      const out = await cli(['shop', 'check'], dujiaoka(healthy));
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
      const lines = out.stdout.trimEnd().split('\n');
      expect(lines.length).toBeLessThanOrEqual(30);
      expect(out.stdout).not.toMatch(/\x1b\[/); // no colours off a terminal
      expect(out.stdout).toMatch(/FOR UPDATE SKIP LOCKED: yes/);
      expect(out.stdout).toMatch(/orders 4, goods 1, carmis 2, pays 5 rows; every column order-doctor reads is there/);
      expect(out.stdout).toMatch(/3 created in the last 25 h/);
      expect(out.stdout).toMatch(/2 unsold keys/);
      const channel = (id: number) => lines.find((l) => new RegExp(`\\s#${id}\\s`).test(l)) ?? '';
      expect(channel(PAY.alipay)).toMatch(/^\s+verify\s+#1\s.*\/pay\/alipay\s+Alipay, credentials in pays; 1 order in 25 h$/);
      expect(channel(PAY.wechat)).toMatch(/^\s+verify\s+#8\s.*\/pay\/wepay\s+WeChat Pay v2, credentials in pays/);
      expect(channel(PAY.epay)).toMatch(/^\s+verify\s+#14\s.*\/pay\/yipay\s+EPay V1.*a paid claim never issues a key \(EPAY_V1_TRUST=reject\)/);
      expect(channel(PAY.stripe)).toMatch(/^\s+cannot\s+#21\s.*cannot verify: order-doctor does not speak \/pay\/stripe; 1 order in 25 h$/);
      expect(channel(PAY.mapay)).toMatch(/^\s+cannot\s+#3\s.*cannot verify: order-doctor does not speak \/pay\/mapay/);
      // the handler column lines up whatever the width of the (Chinese) channel names
      const columns = [PAY.alipay, PAY.wechat, PAY.stripe].map((id) => {
        const l = channel(id);
        const before = l.slice(0, l.indexOf('/pay/'));
        return [...before].reduce((w, ch) => w + (ch.codePointAt(0)! >= 0x2e80 ? 2 : 1), 0);
      });
      expect(new Set(columns).size).toBe(1);
      expect(out.stdout).toMatch(/orders\.trade_no: lookups by the gateway's transaction number stay local/);
      expect(out.stdout).toContain('CREATE INDEX idx_trade_no ON `orders` (trade_no);');
      expect(out.stdout).toContain('CREATE INDEX idx_goods_status ON `carmis` (goods_id, status);');
      expect(out.stdout).toMatch(/optional \(order-doctor works without them; the sweep needs none\)/);
      expect(out.stdout).toMatch(/no SMTP_URL: no buyer emails will be sent/);
      expect(out.stdout).toMatch(/usable\s+yes \(exit 0\)/);
      // never a credential: only whether it is there
      for (const secret of [sandboxKeys.wechatpayV2.key, sandboxKeys.epay.key, 'sk_live_x', sandboxKeys.alipay.merchantPrivateKey.slice(40, 80)]) {
        expect(out.stdout).not.toContain(secret);
      }
    });

    it('--json: exactly one parseable line with usable and firstToFix', async ({ expect }) => {
      const out = await cli(['shop', 'check', '--json'], dujiaoka(healthy));
      expect(out.code).toBe(0);
      const lines = out.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      const r = JSON.parse(lines[0]!);
      expect(r).toMatchObject({ shop: 'dujiaoka', usable: true, recentOrders: 3, unsoldKeys: 2, server: { skipLocked: true } });
      expect(r.firstToFix).toMatchObject({ code: 'channel_unverifiable' });
      expect(r.firstToFix.text).toMatch(/\/pay\/yipay.*unsigned/);
      const status = Object.fromEntries(r.channels.map((c: { handler: string; status: string }) => [c.handler, c.status]));
      expect(status).toEqual({
        '/pay/alipay': 'verifiable', '/pay/wepay': 'verifiable', '/pay/yipay': 'verifiable', '/pay/stripe': 'unsupported', '/pay/mapay': 'unsupported',
      });
      expect(r.indexes.find((i: { name: string }) => i.name === 'orders.trade_no')).toMatchObject({ present: false });
      expect(JSON.stringify(r)).not.toContain(sandboxKeys.wechatpayV2.key);
    });

    it('SHOP_GATEWAYS=config without gateway settings: no channel can be verified, exit 1, naming the way out', async ({ expect }) => {
      const out = await cli(['shop', 'check', '--json'], dujiaoka(healthy, { SHOP_GATEWAYS: 'config' }));
      expect(out.code).toBe(1);
      const r = JSON.parse(out.stdout);
      expect(r.usable).toBe(false);
      expect(r.firstToFix.code).toBe('no_verifiable_channel');
      expect(r.firstToFix.text).toMatch(/SHOP_GATEWAYS=shop/);
    });

    it('a database without the carmis table: exit 1, and the first thing to fix names it', async ({ expect }) => {
      const out = await cli(['shop', 'check'], dujiaoka(noCarmis));
      expect(out.code).toBe(1);
      expect(out.stdout).toMatch(/carmis MISSING/);
      expect(out.stdout).toMatch(/usable\s+NO \(exit 1\)/);
      expect(out.stdout).toMatch(/first fix\s+table carmis missing from database od_dj_/);
    });

    it('SHOP=dujiaoka without SHOP_DATABASE_URL: exit 2, one line', async ({ expect }) => {
      const out = await cli(['shop', 'check'], { SHOP: 'dujiaoka' });
      expect(out.code).toBe(2);
      expect(out.stdout).toBe('');
      expect(out.stderr.trim()).toBe('order-doctor: SHOP_DATABASE_URL: required when SHOP=dujiaoka');
    });

    it('an unknown subcommand: exit 2, one line', async ({ expect }) => {
      const out = await cli(['shop', 'chek'], dujiaoka(healthy));
      expect(out.code).toBe(2);
      expect(out.stderr.trim()).toBe("order-doctor: shop: unknown subcommand 'chek' (usage: order-doctor shop check [--json])");
    });

    it('a user without UPDATE grants: exit 1, naming the missing grants', async ({ expect }) => {
      const db = new URL(healthy.url).pathname.slice(1);
      const user = `od_ro_${Math.random().toString(36).slice(2, 8)}`;
      const admin = await mysql.createConnection({ uri: SERVER_URL });
      try {
        await admin.query(`create user '${user}'@'%' identified by 'ro-pw-1'`);
        await admin.query(`grant select on \`${db}\`.* to '${user}'@'%'`);
        const url = new URL(healthy.url);
        url.username = user;
        url.password = 'ro-pw-1';
        const out = await cli(['shop', 'check'], dujiaoka(healthy, { SHOP_DATABASE_URL: url.toString() }));
        expect(out.code).toBe(1);
        expect(out.stdout).toMatch(/grants\s+missing UPDATE on orders\(info, status, trade_no, updated_at\); UPDATE on goods\(sales_volume, updated_at\); UPDATE on carmis\(status, updated_at\)/);
        expect(out.stdout).toMatch(/first fix\s+this database user lacks UPDATE on orders/);
        expect(out.stdout).not.toContain('ro-pw-1');
      } finally {
        await admin.query(`drop user if exists '${user}'@'%'`);
        await admin.end();
      }
    });

    it('times written in Asia/Shanghai read as UTC: the newest order is 8 h in the future, a timezone warning', async ({ expect }) => {
      const out = await cli(['shop', 'check', '--json'], dujiaoka(healthy, { SHOP_TIMEZONE: 'UTC' }));
      expect(out.code).toBe(0); // a warning: usable, but the first thing to fix
      const r = JSON.parse(out.stdout);
      expect(r.clock.suspicious).toBe(true);
      expect(r.clock.newestAheadMs).toBeGreaterThan(7.5 * 3_600_000);
      expect(r.firstToFix.code).toBe('timezone');
      expect(r.firstToFix.text).toMatch(/the newest order \(created_at .*\) is [78]\.\d h in the future of UTC: SHOP_TIMEZONE is probably wrong/);
    });
  });
});

describe('shop check on the built-in store', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await testDatabase();
  });
  afterAll(async () => {
    await tdb?.drop();
  });

  it('counts the store and says where each upstream goes: in sandbox mode the sandbox plays a missing gateway', async () => {
    await tdb.database.db.insert(products).values({ sku: 'S1', title: 't', priceCents: 100, fulfilment: 'stock', deliveryWindowMinutes: 5 });
    await tdb.database.db.insert(stockKeys).values([1, 2, 3].map((i) => ({ sku: 'S1', secretEnc: `e${i}`, secretHash: `h${i}`, addedAt: new Date() })));
    const config = loadConfig({ ...sandboxGatewayEnv('http://127.0.0.1:9'), ALIPAY_APP_ID: '', ALIPAY_PRIVATE_KEY: '', ALIPAY_PUBLIC_KEY: '', SANDBOX: 'on' });
    const r = await builtinReport(tdb.database, config);
    expect(r).toMatchObject({
      shop: 'builtin', usable: true, firstToFix: { code: 'ready' }, orders: 0, products: 1, stockAvailable: 3,
      channels: { alipay: 'sandbox', wechat: 'configured', epay: 'configured', supplier: 'configured' },
      mail: { smtp: false },
    });
  });

  it('outside sandbox mode a missing gateway is unverifiable, and with none at all the store is not usable', async () => {
    const partial = await builtinReport(tdb.database, loadConfig({ ...sandboxGatewayEnv('http://127.0.0.1:9'), ALIPAY_APP_ID: '', ALIPAY_PRIVATE_KEY: '', ALIPAY_PUBLIC_KEY: '' }));
    expect(partial).toMatchObject({ usable: true, channels: { alipay: 'unverifiable', wechat: 'configured' } });
    const none = await builtinReport(tdb.database, loadConfig({}));
    expect(none).toMatchObject({ usable: false, firstToFix: { code: 'no_verifiable_channel' }, channels: { alipay: 'unverifiable', wechat: 'unverifiable', epay: 'unverifiable' } });
  });
});

describe('SHOW GRANTS, read tolerantly', () => {
  const db = 'shop_db';
  it('MySQL 8 column grants, wildcard databases, ALL, roles', () => {
    const { grants, roles } = parseGrants([
      "GRANT USAGE ON *.* TO `od`@`%` IDENTIFIED BY PASSWORD '*ABC'",
      'GRANT SELECT ON `shop\\_db`.* TO `od`@`%`',
      'GRANT SELECT, UPDATE (`info`, `status`) ON `shop_db`.`orders` TO `od`@`%`',
      'GRANT UPDATE ON shop_db.carmis TO \'od\'@\'%\'',
      'GRANT `reader`@`%` TO `od`@`%`',
      "GRANT PROXY ON ''@'%' TO 'od'@'%'",
    ]);
    expect(roles).toBe(true);
    expect(granted(grants, db, 'pays', 'SELECT', 'id')).toBe(true);
    expect(granted(grants, 'shopXdb', 'pays', 'SELECT', 'id')).toBe(false); // \_ is a literal underscore
    expect(granted(grants, db, 'orders', 'UPDATE', 'info')).toBe(true);
    expect(granted(grants, db, 'orders', 'UPDATE', 'trade_no')).toBe(false);
    expect(granted(grants, db, 'carmis', 'UPDATE', 'updated_at')).toBe(true);
    expect(granted(grants, db, 'goods', 'UPDATE', 'sales_volume')).toBe(false);
    const root = parseGrants(["GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED VIA mysql_native_password USING 'invalid' WITH GRANT OPTION"]);
    expect(granted(root.grants, db, 'goods', 'UPDATE', 'sales_volume')).toBe(true);
    const pattern = parseGrants(['GRANT SELECT, UPDATE ON `shop%`.* TO `od`@`%`']);
    expect(granted(pattern.grants, db, 'goods', 'UPDATE', 'sales_volume')).toBe(true);
  });
});

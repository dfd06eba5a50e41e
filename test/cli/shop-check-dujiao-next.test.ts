/**
 * `order-doctor shop check [--json]` on dujiao-next, as an operator runs it, against real
 * Postgres databases (a fresh shop from fixtures/dujiao-next/schema.sql): exit 0 when a channel can
 * be verified, 1 when none can, when the database is not a dujiao-next one, or cannot be reached
 * (one line); never a credential in the output.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxGatewayEnv } from '../../src/sandbox/credentials.ts';
import { POSTGRES_URL } from '../support/requires.ts';
import { freshShop, insertChannels, insertOrder, PG, type TestShop } from '../shops/dujiao-next/support.ts';
import { orderDoctorCli } from '../shops/support/shop-check-cli.ts';

const runCli = orderDoctorCli('od-shop-check-dn-');
/** `shop check --json` unless `args` says otherwise */
const cli = (env: Record<string, string>, args = ['shop', 'check', '--json']) => runCli(args, env);

/** The shop's URL with a password in it (trust auth ignores it): it must never be printed. */
const withPassword = (url: string) => {
  const u = new URL(url);
  u.password = 'S3cretPw';
  return u.toString();
};

describe.skipIf(!PG)('order-doctor shop check (dujiao-next, Postgres)', () => {
  let shop: TestShop;
  let empty: { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    shop = await freshShop();
    await insertChannels(shop);
    await insertOrder(shop, { orderNo: 'DNCHECK000001', status: 'paid', parts: [{ productId: 7, priceCents: 100 }], createdAt: new Date(Date.now() - 3_600_000), paidAt: new Date() });
    await insertOrder(shop, { orderNo: 'DNCHECK000002', status: 'pending_payment', guestPassword: '$2a$10$abcdefghijklmnopqrstuv', parts: [{ productId: 7, priceCents: 100 }], createdAt: new Date(Date.now() - 60_000) });
    const name = `od_dn_empty_${Date.now().toString(36)}`;
    const admin = postgres(POSTGRES_URL!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const u = new URL(POSTGRES_URL!);
    u.pathname = `/${name}`;
    empty = { url: u.toString(), drop: async () => { await admin.unsafe(`drop database if exists ${name} with (force)`); await admin.end(); } };
  }, 60_000);
  afterAll(async () => {
    await shop?.drop();
    await empty?.drop();
  });

  it('usable with a configured gateway: exit 0, the channels it verifies and the ones it cannot, no credential', async () => {
    const env = sandboxGatewayEnv('http://127.0.0.1:9');
    const r = await cli({ SHOP: 'dujiao-next', SHOP_DATABASE_URL: withPassword(shop.url), ...env });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]!);
    expect(report).toMatchObject({ shop: 'dujiao-next', usable: true, firstToFix: { code: 'ready' }, paidWithoutFulfillment: 1, hashedGuestPasswords: 1 });
    expect(Object.fromEntries(report.channels.map((c: { name: string; verify: string }) => [c.name, c.verify]))).toEqual({
      支付宝: 'configured', 微信支付: 'configured', '易支付-支付宝': 'configured', Stripe: 'unsupported',
    });
    expect(r.stdout + r.stderr).not.toContain('S3cretPw');
    expect(r.stdout + r.stderr).not.toContain(env.EPAY_KEY!);

    const human = await cli({ SHOP: 'dujiao-next', SHOP_DATABASE_URL: withPassword(shop.url), ...env }, ['shop', 'check']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('dujiao-next at');
    expect(human.stdout).toMatch(/verify\s+#1 支付宝/);
    expect(human.stdout).not.toContain('S3cretPw');
  });

  it('no gateway configured: exit 1, the first thing to fix names the settings', async () => {
    const r = await cli({ SHOP: 'dujiao-next', SHOP_DATABASE_URL: shop.url });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ usable: false, firstToFix: { code: 'no_verifiable_channel', text: expect.stringContaining('ALIPAY_*') } });
  });

  it('a database that is not dujiao-next\'s: exit 1, what is missing', async () => {
    const r = await cli({ SHOP: 'dujiao-next', SHOP_DATABASE_URL: empty.url, ...sandboxGatewayEnv('http://127.0.0.1:9') });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ usable: false, firstToFix: { code: 'not_dujiao_next', text: expect.stringContaining('table orders') } });
  });

  it('an unreachable database: exit 1, one JSON line, one stderr line, no password', async () => {
    const r = await cli({ SHOP: 'dujiao-next', SHOP_DATABASE_URL: 'postgres://od:S3cretPw@127.0.0.1:1/shop' });
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ usable: false, firstToFix: { code: 'unreachable' } });
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout + r.stderr).not.toContain('S3cretPw');
  });

  it('a mysql:// URL for dujiao-next: bad configuration, exit 2', async () => {
    const r = await cli({ SHOP: 'dujiao-next', SHOP_DATABASE_URL: 'mysql://root@127.0.0.1:3306/shop' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('postgres://');
  });
});

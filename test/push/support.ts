/**
 * The push API on a test database of its own: services with a movable clock and the push secret
 * (and, when asked, a webhook URL), the app on a real loopback port, a client written from the
 * README (client.ts), and a census of what is written, to prove a refused request wrote nothing.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { serve, type ServerType } from '@hono/node-server';
import { sql } from 'drizzle-orm';
import { loadConfig, type Env } from '../../src/config.ts';
import { newMasterKey } from '../../src/crypto/secret-box.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createApp } from '../../src/http/app.ts';
import { extendApp } from '../../src/http/extensions.ts';
import { createBuyerLimits } from '../../src/http/rate-limits.ts';
import { testDatabase, freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { PushClient } from './client.ts';

export const SECRET = 'test-push-secret-0123456789abcdef0123456789';
export const START = new Date('2026-11-22T02:00:00Z');

export interface PushSuite {
  svc: Services;
  client: PushClient;
  baseUrl: string;
  clock: { now: Date; advance(ms: number): void };
  app: ReturnType<typeof createApp>;
  /** row counts of every table a push or a delivery writes */
  census(): Promise<Record<string, number>>;
  /** the orders as stored, for comparing before and after */
  ordersDump(): Promise<unknown[]>;
}

export function pushSuite(env: Env | (() => Env) = {}, opts: { postgres?: boolean } = {}): PushSuite {
  let tdb: TestDatabase | undefined;
  let server: ServerType | undefined;
  const suite = {} as PushSuite;
  beforeAll(async () => {
    tdb = opts.postgres ? await freshPostgres(POSTGRES_URL!) : await testDatabase();
    const clock = { now: START, advance(ms: number) { this.now = new Date(this.now.getTime() + ms); } };
    const extra = typeof env === 'function' ? env() : env;
    const config = loadConfig({ CARD_KEY_SECRET: newMasterKey(), RATE_LIMITS: 'off', SANDBOX: 'on', SHOP_PUSH_SECRET: SECRET, CHECKER_TIMEOUT_MS: '3000', ...extra });
    const svc = await createServices(config, { database: tdb.database, migrated: true, now: () => new Date(clock.now) });
    const app = createApp(svc, { limits: createBuyerLimits(false), extend: (a) => extendApp(a, svc) });
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const db = tdb.database;
    Object.assign(suite, {
      svc, app, clock, baseUrl,
      client: new PushClient(baseUrl, SECRET, () => clock.now),
      async census() {
        const [r] = await db.rows<Record<string, string | number>>(sql`select
          (select count(*) from orders) as orders, (select count(*) from products) as products,
          (select count(*) from stock_keys) as stock_keys, (select count(*) from issued_keys) as issued_keys,
          (select count(*) from audit_log) as audit_log, (select count(*) from webhook_outbox) as webhook_outbox`);
        return Object.fromEntries(Object.entries(r!).map(([k, v]) => [k, Number(v)]));
      },
      async ordersDump() {
        return db.rows(sql`select order_no, sku, quantity, amount_cents, channel, status, paid_at, trade_no, contact, query_secret_hash from orders order by id`);
      },
    });
  }, 60_000);
  afterAll(async () => {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    await suite.svc?.close();
    await tdb?.drop();
  });
  return suite;
}

/** An order as the README's example pushes it. */
export function anOrder(over: Record<string, unknown> = {}) {
  return {
    product: { sku: 'STEAM-100', title: 'Steam 钱包充值卡 100元' },
    quantity: 1,
    amountFen: 10000,
    channel: 'alipay',
    status: 'pending',
    createdAt: '2026-11-22T09:40:00+08:00',
    contact: 'buyer@example.com',
    querySecret: '8462',
    ...over,
  };
}

/**
 * Buyer emails sent by the Worker itself, in its real runtime: `wrangler dev` (local workerd) with
 * SMTP configured, an agent's re-issue through the Worker (payment verified against the sandbox
 * gateways, served by this process) queues the buyer's email, and the cron handler (`/__scheduled`)
 * sends it to a real SMTP server in this process, over workerd's outbound TCP, exactly once.
 *
 * Delivered over plain SMTP to 127.0.0.1: workerd cannot be told to trust a self-signed certificate
 * (its node:tls refuses rejectUnauthorized: false, and its TLS checks the certificate against its
 * own roots), so the smtps:// case below shows what can be shown locally: the handshake names the
 * server as configured (SNI), and a failed handshake is `not_sent`, tried again, never `unknown`.
 */
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newMasterKey } from '../../src/crypto/secret-box.ts';
import { listenSandbox, type SandboxListener } from '../../src/sandbox/listener.ts';
import { createDbSandboxWorld } from '../../src/sandbox/db-world.ts';
import { sandboxGatewayEnv } from '../../src/sandbox/credentials.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { startSmtp, type TestSmtp } from '../mail/smtp.ts';
import { demoWorldDatabase } from './demo-world.ts';
import { startWranglerDev, wranglerInstalled, type WranglerDev } from './wrangler-dev.ts';

const PG = await requires('postgres');
const WRANGLER = wranglerInstalled();
if (!WRANGLER && process.env.CI === 'true') throw new Error('wrangler is not installed (npm ci installs it with its workerd)');

const ORDER = 'K2026112210003';
const BUYER = 'buyer.worker@example.com';

describe.skipIf(!PG || !WRANGLER)('buyer emails from the Worker\'s cron (local workerd, a real SMTP server)', () => {
  let tdb: TestDatabase;
  let worker: WranglerDev;
  let sandbox: SandboxListener;
  let smtp: TestSmtp;
  let agentToken: string;
  const secret = newMasterKey();

  beforeAll(async () => {
    ({ tdb, agentToken } = await demoWorldDatabase(secret));
    // the demo's paid-but-undelivered EPay order, given a buyer who left an email address
    await tdb.database.rows(sql`update orders set contact = ${BUYER} where order_no = ${ORDER}`);
    sandbox = await listenSandbox({ world: createDbSandboxWorld(tdb.database.db), now: () => new Date(), latencyMs: 0 });
    smtp = await startSmtp();
    worker = await startWranglerDev({
      databaseUrl: tdb.url!,
      vars: {
        CARD_KEY_SECRET: secret, ...sandboxGatewayEnv(sandbox.baseUrl),
        SMTP_URL: smtp.url, MAIL_FROM: 'Demo Shop <shop@shop.example>', PUBLIC_URL: 'https://shop.example', MAIL_INCLUDE_KEYS: 'on',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await smtp?.close();
    await sandbox?.close();
    await tdb?.drop();
  });

  const outbox = () => tdb.database.rows<{ status: string; attempts: number; keys_enc: string | null }>(sql`
    select status, attempts, keys_enc from mail_outbox where order_no = ${ORDER}`);

  it('an agent\'s re-issue through the Worker queues the buyer\'s email; nothing is sent before the cron runs', async () => {
    const res = await fetch(`${worker.url}/api/v1/agent/orders/${ORDER}/diagnose`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${agentToken}` }, body: JSON.stringify({ apply: true }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ verdict: 'PAID_NOT_DELIVERED', action: 'reissued' });
    expect(await outbox()).toEqual([expect.objectContaining({ status: 'pending', attempts: 0 })]);
    expect(smtp.received).toHaveLength(0);
  }, 30_000);

  it('/__scheduled sends it over SMTP from workerd, once, whichever of two concurrent invocations claims it', async () => {
    const cron = () => fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent('* * * * *')}`);
    const runs = await Promise.all([cron(), cron()]);
    for (const r of runs) expect(r.status).toBe(200);

    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0]!;
    expect(mail.to).toEqual([BUYER]);
    expect(mail.from).toBe('shop@shop.example');
    expect(mail.body).toContain(ORDER);
    expect(mail.raw).toMatch(/^Message-ID: <outbox-\d+\.order-doctor@shop\.example>/im);
    // the key went out in the email (MAIL_INCLUDE_KEYS=on) and left the outbox with the send
    const [key] = await tdb.database.rows<{ n: number }>(sql`
      select count(*)::int as n from issued_keys k join orders o on o.id = k.order_id where o.order_no = ${ORDER}`);
    expect(key!.n).toBe(1);
    expect(await outbox()).toEqual([{ status: 'sent', attempts: 1, keys_enc: null }]);
    // the Worker logged in with the URL's percent-decoded credentials
    expect(mail.user).toBe('shop@shop.example');

    // a later run has nothing left to send
    expect((await cron()).status).toBe(200);
    expect(smtp.received).toHaveLength(1);
  }, 60_000);

  it('warns in the Worker\'s log while the database role has no statement deadline, and not once it has one', async () => {
    // the Worker sends no startup settings (Hyperdrive may drop them): the role's or database's default is the deadline
    const warning = /statement_timeout is 0 for this database role/g;
    const cron = () => fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent('* * * * *')}`);
    const seen = () => (worker.output().match(warning) ?? []).length;
    expect(seen()).toBeGreaterThan(0);
    const dbName = new URL(tdb.url!).pathname.slice(1);
    await tdb.database.rows(sql.raw(`alter database "${dbName}" set statement_timeout = '10s'`));
    const before = seen();
    expect((await cron()).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(seen()).toBe(before);
  }, 30_000);
});

/** An smtps:// server (smtp-server's self-signed certificate) that records the name each TLS client asked for. */
async function startTlsRecorder(): Promise<{ port: number; names: string[]; close(): Promise<void> }> {
  const names: string[] = [];
  const server = new SMTPServer({
    secure: true, authOptional: true, logger: false,
    SNICallback(name, cb) {
      names.push(name);
      cb(null, undefined as never); // the default certificate
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.server.address() as AddressInfo).port, names, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe.skipIf(!PG || !WRANGLER)('smtps:// from the Worker: TLS to the server by its name', () => {
  let tdb: TestDatabase;
  let worker: WranglerDev;
  let tls: Awaited<ReturnType<typeof startTlsRecorder>>;

  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 4);
    const secret = newMasterKey();
    tls = await startTlsRecorder();
    const now = new Date().toISOString();
    const payload = { orderNo: ORDER, productTitle: 'Netease 30', count: 1, quantity: 1, link: 'https://shop.example/' };
    await tdb.database.rows(sql`
      insert into mail_outbox (delivery_key, kind, order_no, to_address, payload, status, next_at, created_at)
      values ('tls-1', 'keys_delivered', ${ORDER}, ${BUYER}, ${JSON.stringify(payload)}::jsonb, 'pending', ${now}::timestamptz, ${now}::timestamptz)`);
    worker = await startWranglerDev({
      databaseUrl: tdb.url!,
      vars: { CARD_KEY_SECRET: secret, SMTP_URL: `smtps://user:pw@localhost:${tls.port}`, MAIL_FROM: 'shop@shop.example', PUBLIC_URL: 'https://shop.example' },
    });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await tls?.close();
    await tdb?.drop();
  });

  it('names the server as configured in the handshake; an untrusted certificate is not sent, tried again later', async () => {
    expect((await fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent('* * * * *')}`)).status).toBe(200);
    // nodemailer alone would have connected to a resolved address (and workerd's TLS checks the certificate against it)
    expect(tls.names).toContain('localhost');
    const [row] = await tdb.database.rows<{ status: string; attempts: number; last_error: string }>(sql`
      select status, attempts, last_error from mail_outbox where delivery_key = 'tls-1'`);
    // the handshake failed before the server could take a message: safe to try again
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row!.last_error).not.toContain(BUYER);
  }, 60_000);
});

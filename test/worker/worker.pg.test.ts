/**
 * The Worker in its real runtime: `wrangler dev` runs src/worker.ts in local workerd, its Hyperdrive
 * binding on a fresh Postgres database migrated by Node (`order-doctor migrate`'s code, which the
 * Worker then finds nothing to add to) with the demo world loaded. Through it: a buyer's check, an
 * agent's diagnosis, the buyer's page and its assets, the cron handler (whose sweep leaves its run
 * record), the buyer limits kept in the database; then, with gateways configured (the sandbox's,
 * served by this process), payments verified by the Worker's own crypto and keys issued exactly
 * once; then in sandbox mode (SANDBOX=on, no gateway configured), the sandbox answered inside the
 * Worker and never from outside. (A Worker migrating an empty database: migrations.pg.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newMasterKey } from '../../src/crypto/secret-box.ts';
import type { TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { listenSandbox, type SandboxListener } from '../../src/sandbox/listener.ts';
import { createDbSandboxWorld } from '../../src/sandbox/db-world.ts';
import { sandboxGatewayEnv } from '../../src/sandbox/credentials.ts';
import { demoWorldDatabase } from './demo-world.ts';
import { checkOrder, startWranglerDev, wranglerInstalled, type WranglerDev } from './wrangler-dev.ts';

const PG = await requires('postgres');
const WRANGLER = wranglerInstalled();
if (!WRANGLER) {
  if (process.env.CI === 'true') throw new Error('wrangler is not installed (npm ci installs it with its workerd)');
  console.warn('skipped test/worker/worker.pg.test.ts: wrangler is not installed (npm ci)');
}

describe.skipIf(!PG || !WRANGLER)('the Worker in local workerd (wrangler dev)', () => {
  let tdb: TestDatabase;
  let worker: WranglerDev;
  let agentToken: string;
  let nodeMigrations: unknown[];
  const secret = newMasterKey();

  beforeAll(async () => {
    ({ tdb, agentToken } = await demoWorldDatabase(secret));
    nodeMigrations = await tdb.database.rows(sql`select * from drizzle.__drizzle_migrations order by id`);
    worker = await startWranglerDev({ databaseUrl: tdb.url!, vars: { CARD_KEY_SECRET: secret } });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await tdb?.drop();
  });

  it('answers a buyer\'s check with the delivered key, decrypted with the secret from the env', async () => {
    const res = await checkOrder(worker, 'K2026112210001', '4821');
    expect(res.status).toBe(200);
    const body = await res.json() as { verdict: string; keys: { secret: string }[] };
    expect(body.verdict).toBe('DELIVERED');
    expect(body.keys.map((k) => k.secret)).toEqual(['S100-DM01-7C3L-7ZD8']);
  });

  it('found the database Node migrated up to date, and migrated nothing', async () => {
    expect(nodeMigrations.length).toBeGreaterThan(10);
    expect(await tdb.database.rows(sql`select * from drizzle.__drizzle_migrations order by id`)).toEqual(nodeMigrations);
    expect(worker.output()).not.toContain('migrated the database');
  });

  it('refuses a wrong secret with problem+json and no key', async () => {
    const res = await checkOrder(worker, 'K2026112210001', '0000');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.text()).not.toContain('S100-');
  });

  it('diagnoses for an agent with a token, and refuses one without', async () => {
    const url = `${worker.url}/api/v1/agent/orders/K2026112210003/diagnose`;
    const denied = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(denied.status).toBe(401);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${agentToken}` }, body: '{}' });
    expect(res.status).toBe(200);
    const body = await res.json() as { orderNo: string; verdict: string };
    expect(body.orderNo).toBe('K2026112210003');
    // no sandbox on Workers and no epay gateway configured: a payment nobody can verify, never a re-issue
    expect(body.verdict).toBe('PAYMENT_UNVERIFIABLE');
  });

  it('serves the buyer\'s page and its bundled assets, byte for byte', async () => {
    const page = await fetch(`${worker.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<form');
    const css = await fetch(`${worker.url}/assets/page.css`);
    expect(await css.text()).toBe(readFileSync('src/http/pages/assets/page.css', 'utf8'));
    const consoleCss = await fetch(`${worker.url}/agent/assets/console.css`);
    expect(await consoleCss.text()).toBe(readFileSync('src/http/console/assets/console.css', 'utf8'));
  });

  it('runs the sweep from the cron handler and leaves its run record', async () => {
    const res = await fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent('* * * * *')}`);
    expect(res.status).toBe(200);
    const runs = await tdb.database.rows<{ sweeper_id: string; status: string }>(sql`select sweeper_id, status from sweep_runs`);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.sweeper_id).toMatch(/^workers:\* \* \* \* \*:/);
    expect(runs[0]!.status).toBe('finished');
  });

  // last: it leaves this source (127.0.0.1) limited
  it('holds the buyer limits across requests, which share no memory here: the database keeps them', async () => {
    // each request builds its own app and services, so a limit kept in memory would never trip
    const statuses: number[] = [];
    for (let i = 0; i < 10 && !statuses.includes(429); i++) {
      const res = await checkOrder(worker, 'K2026112210001', `wrong${i}`);
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // five failed tries from a source are free, the next one waits (http/rate-limits.ts); the
    // wrong secret tried above counted too
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.filter((s) => s === 404).length).toBeLessThanOrEqual(5);
  }, 30_000);
});

describe.skipIf(!PG || !WRANGLER)('the Worker re-issuing on verified payments (gateways played by the sandbox, in Node)', () => {
  let tdb: TestDatabase;
  let worker: WranglerDev;
  let sandbox: SandboxListener;
  const secret = newMasterKey();

  beforeAll(async () => {
    ({ tdb } = await demoWorldDatabase(secret));
    // the sandbox gateways, served by this process on loopback, configured in the Worker as if
    // they were the real ones: the Worker signs, sends and verifies with its own runtime's crypto
    sandbox = await listenSandbox({ world: createDbSandboxWorld(tdb.database.db), now: () => new Date(), latencyMs: 0 });
    worker = await startWranglerDev({ databaseUrl: tdb.url!, vars: { CARD_KEY_SECRET: secret, ...sandboxGatewayEnv(sandbox.baseUrl) } });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await sandbox?.close();
    await tdb?.drop();
  });

  it.each([
    ['K2026112210002', '73905', 'WeChat Pay (RSA-SHA256 both ways)'],
    ['K2026112210003', '160428', 'EPay v2 (RSA)'],
  ])('%s (secret %s): the payment verified through %s, the key issued once, and shown again unchanged', async (orderNo, querySecret) => {
    const first = await checkOrder(worker, orderNo, querySecret);
    expect(first.status).toBe(200);
    const a = await first.json() as { verdict: string; action: string; keys: { secret: string }[] };
    expect(a).toMatchObject({ verdict: 'PAID_NOT_DELIVERED', action: 'reissued' });
    expect(a.keys).toHaveLength(1);
    // twice at once: the order's row lock and the slot's unique index let one issue happen
    const again = await Promise.all([checkOrder(worker, orderNo, querySecret), checkOrder(worker, orderNo, querySecret)]);
    for (const res of again) {
      const b = await res.json() as { verdict: string; keys: { secret: string }[] };
      expect(b.verdict).toBe('DELIVERED');
      expect(b.keys.map((k) => k.secret)).toEqual(a.keys.map((k) => k.secret));
    }
    const rows = await tdb.database.rows<{ n: number; audited: number }>(sql`
      select (select count(*)::int from issued_keys k join orders o on o.id = k.order_id where o.order_no = ${orderNo}) as n,
             (select count(*)::int from audit_log where order_no = ${orderNo} and action = 'keys_issued') as audited`);
    expect(rows[0]).toEqual({ n: 1, audited: 1 });
  });
});

describe.skipIf(!PG || !WRANGLER)('the Worker in sandbox mode (SANDBOX=on, no gateway configured): the sandbox answered in-process', () => {
  let tdb: TestDatabase;
  let worker: WranglerDev;
  let agentToken: string;
  const secret = newMasterKey();

  beforeAll(async () => {
    ({ tdb, agentToken } = await demoWorldDatabase(secret));
    worker = await startWranglerDev({ databaseUrl: tdb.url!, vars: { CARD_KEY_SECRET: secret, SANDBOX: 'on' } });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await tdb?.drop();
  });

  it('re-issues a paid, undelivered order once the sandbox\'s WeChat Pay, signing and verified both ways, says paid', async () => {
    const res = await checkOrder(worker, 'K2026112210002', '73905');
    expect(res.status).toBe(200);
    const body = await res.json() as { verdict: string; action: string; keys: { secret: string }[] };
    expect(body).toMatchObject({ verdict: 'PAID_NOT_DELIVERED', action: 'reissued' });
    expect(body.keys).toHaveLength(1);
    const [row] = await tdb.database.rows<{ n: number }>(sql`
      select count(*)::int as n from issued_keys k join orders o on o.id = k.order_id where o.order_no = 'K2026112210002'`);
    expect(row!.n).toBe(1);
  });

  it('shows the agent the EPay exchange with the in-process sandbox, its RSA signature verified', async () => {
    const res = await fetch(`${worker.url}/api/v1/agent/orders/K2026112210003/diagnose`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${agentToken}` }, body: '{}',
    });
    expect(res.status).toBe(200);
    type Exchange = { url: string; status: number; signature?: string };
    const body = await res.json() as { verdict: string; findings: { payment: { data: { trust: string }; evidence: Exchange[] } } };
    expect(body.verdict).toBe('PAID_NOT_DELIVERED');
    const { data, evidence } = body.findings.payment;
    expect(data.trust).toBe('verified');
    // the EPay v2 query went to the sandbox's origin, which only the Worker's own clients reach
    expect(evidence).toEqual([expect.objectContaining({ url: 'http://sandbox.internal/sandbox/epay/api/pay/query', status: 200, signature: 'verified' })]);
  });

  it('grows no public sandbox routes: its paths are the app\'s ordinary 404', async () => {
    for (const path of ['/sandbox/credentials', '/sandbox/wechatpay/v3/pay/transactions/out-trade-no/K2026112210002?mchid=1', '/sandbox/epay/api.php']) {
      const res = await fetch(`${worker.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.text()).not.toMatch(/PRIVATE KEY|merchantPrivateKey/);
    }
  });
});


/**
 * Issue 10, defect 3: a database that refuses or hangs must not hang the buyer. A check answers
 * 503 problem+json with Retry-After within the connect and statement deadlines, /healthz answers 503
 * within a second, and when the database is back the same process (same services) serves again.
 *
 * (a) refused and (b) hanging need no Postgres (a closed port; a TCP server that reads nothing) and
 * always run; (c) recovery puts a switchable TCP proxy in front of the real Postgres and needs
 * DATABASE_URL (skipped and named in the run's last line without it, a failure under CI=true).
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { newMasterKey } from '../../src/crypto/secret-box.ts';
import { sql } from 'drizzle-orm';
import { DEFAULT_CONNECT_TIMEOUT_MS, openDatabase, type Database } from '../../src/db/client.ts';
import { causeChain, isDatabaseFault } from '../../src/db/faults.ts';
import { createApp } from '../../src/http/app.ts';
import { onAppError } from '../../src/http/errors.ts';
import { startMailLoop } from '../../src/jobs/mail.ts';
import { startSweepLoop } from '../../src/jobs/schedule-loop.ts';
import { createServices, type Services } from '../../src/services.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { paidOrdersWorld, servicesWithWorld } from '../support/services.ts';
import { tcpProxy, type TcpProxy } from './tcp-proxy.ts';
import { Browser, pageApp } from '../pages/support.ts';

// (c) only; (a) and (b) run everywhere
const PG = await requires('postgres');

const NOW = '2026-11-22T10:00:00+08:00';
const SECRET = '8462';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function servicesOn(database: Database, env: Record<string, string> = {}): Promise<Services> {
  const config = loadConfig({ CARD_KEY_SECRET: newMasterKey(), CHECKER_TIMEOUT_MS: '2000', RATE_LIMITS: 'off', SANDBOX: 'on', ...env });
  return createServices(config, { database, migrated: true, now: () => new Date(NOW) });
}

function appOn(svc: Services) {
  const app = createApp(svc);
  app.onError(onAppError); // what app.ts installs (issue 10); set here too so the test stands either way
  return app;
}

type App = ReturnType<typeof appOn>;

async function timed(run: () => Response | Promise<Response>) {
  const started = performance.now();
  const res = await run();
  const body = await res.text();
  return { res, body, ms: Math.round(performance.now() - started) };
}

const check = (app: App, orderNo: string) => timed(() => app.request(`/api/v1/orders/${orderNo}/check`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret: SECRET }),
}));
const health = (app: App) => timed(() => app.request('/healthz'));

/** a 503 problem+json with Retry-After that says nothing of the fault */
function expectUnavailable(r: Awaited<ReturnType<typeof timed>>) {
  expect(r.res.status, r.body).toBe(503);
  expect(r.res.headers.get('content-type')).toBe('application/problem+json');
  expect(r.res.headers.get('retry-after')).toBe('5');
  expect(JSON.parse(r.body)).toEqual({
    type: 'https://order-doctor.dev/problems/unavailable', title: 'The service is temporarily unavailable', status: 503, code: 'unavailable',
  });
}

function expectDegraded(r: Awaited<ReturnType<typeof timed>>) {
  expect(r.res.status).toBe(503);
  expect(JSON.parse(r.body)).toEqual({ status: 'degraded' });
  expect(r.ms).toBeLessThan(1000);
}

let logged: string[] = [];
beforeAll(() => {
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => { logged.push(args.map(String).join(' ')); });
});
afterEach(() => {
  // whatever the fault, the log never carries the query secret tried
  expect(logged.join('\n')).not.toContain(`"${SECRET}"`);
  logged = [];
});
afterAll(() => vi.restoreAllMocks());

describe('(a) the database refuses connections', () => {
  let database: Database;
  let svc: Services;
  let app: App;
  beforeAll(async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    database = await openDatabase({ url: `postgres://postgres@127.0.0.1:${port}/nothing` });
    svc = await servicesOn(database);
    app = appOn(svc);
  });
  afterAll(async () => {
    await svc?.close();
    await database?.close();
  });

  it('a check is 503 problem+json with Retry-After at once, every time; the log names the cause', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await check(app, 'K2026112200001');
      expectUnavailable(r);
      expect(r.ms).toBeLessThan(2000);
      console.log(`refused: check answered ${r.res.status} in ${r.ms} ms`);
    }
    expect(logged.join('\n')).toMatch(/database unavailable: .*\n?.*ECONNREFUSED/);
  });

  it('/healthz is 503 {"status":"degraded"} in under a second', async () => {
    const r = await health(app);
    expectDegraded(r);
    console.log(`refused: /healthz answered ${r.res.status} in ${r.ms} ms`);
  });

  it('the buyer\'s page is the page, saying so in the buyer\'s language, with Retry-After: never the API\'s JSON', async () => {
    const browser = new Browser(pageApp(svc));
    for (const [lang, says] of [['', '系统暂时无法查询订单'], ['?lang=en', 'We cannot look up orders right now']] as const) {
      const res = await browser.lookup('K2026112200001', SECRET, lang);
      const body = await res.text();
      expect(res.status, body).toBe(503);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('retry-after')).toBe('5');
      expect(body).toContain(says);
      expect(body).toContain('name="orderNo"'); // the form again, to try once more
    }
  });

  it('the agents\' console is a console page saying so, with Retry-After, not the API\'s JSON', async () => {
    // a session cookie of the right shape: the console must ask the database whose it is
    const res = await pageApp(svc).request('/agent', { headers: { cookie: `od_agent_session=${'A'.repeat(43)}` } });
    const body = await res.text();
    expect(res.status, body).toBe(503);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('retry-after')).toBe('5');
    expect(body).toContain('The database did not answer in time');
  });

  it('the sweep and the mail loops log the fault and go on (no unhandled rejection)', async () => {
    const lines: string[] = [];
    const sweeps = startSweepLoop(svc, 50, (l) => lines.push(l));
    const mailConfig = loadConfig({
      CARD_KEY_SECRET: newMasterKey(), SMTP_URL: 'smtp://127.0.0.1:9', MAIL_FROM: 'shop@example.com', PUBLIC_URL: 'https://shop.example.com',
    });
    const mails = startMailLoop({ database, box: svc.box, config: mailConfig, now: svc.now, log: (l) => lines.push(l) }, 50);
    await sleep(700);
    await sweeps.stop();
    await mails.stop();
    expect(lines.filter((l) => l.startsWith('sweep failed')).length).toBeGreaterThanOrEqual(2);
    expect(lines.filter((l) => l.startsWith('mail dispatch failed')).length).toBeGreaterThanOrEqual(2);
  });
});

describe('(b) the database accepts TCP and never answers', () => {
  let database: Database;
  let svc: Services;
  let app: App;
  let mute: net.Server;
  const held = new Set<net.Socket>();
  beforeAll(async () => {
    // reads nothing, writes nothing, closes nothing
    mute = net.createServer((s) => { held.add(s); s.on('error', () => {}); });
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const port = (mute.address() as net.AddressInfo).port;
    database = await openDatabase({ url: `postgres://postgres@127.0.0.1:${port}/nothing` });
    svc = await servicesOn(database);
    app = appOn(svc);
  });
  afterAll(async () => {
    await svc?.close();
    await database?.close();
    for (const s of held) s.destroy();
    await new Promise((r) => mute?.close(r));
  });

  it('a check is 503 once the connect deadline passes, not a hang', async () => {
    const r = await check(app, 'K2026112200001');
    expectUnavailable(r);
    expect(r.ms).toBeGreaterThanOrEqual(DEFAULT_CONNECT_TIMEOUT_MS - 100);
    expect(r.ms).toBeLessThan(DEFAULT_CONNECT_TIMEOUT_MS + 3000);
    console.log(`hanging: check answered ${r.res.status} in ${r.ms} ms`);
    expect(logged.join('\n')).toMatch(/CONNECT_TIMEOUT/);
  }, 20_000);

  it('/healthz is 503 in under a second', async () => {
    const r = await health(app);
    expectDegraded(r);
    console.log(`hanging: /healthz answered ${r.res.status} in ${r.ms} ms`);
  });
});

describe.skipIf(!PG)('(c) the database goes away and comes back: same process, same services', () => {
  let tdb: TestDatabase;
  let proxy: TcpProxy;
  let database: Database;
  let svc: Services;
  let app: App;
  const world = paidOrdersWorld({ orders: 6, stock: 6 });
  const order = (i: number) => world.orders[i]!.orderNo;

  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 2);
    const cardKeySecret = newMasterKey();
    const loader = await servicesWithWorld(tdb.database, world, { CARD_KEY_SECRET: cardKeySecret });
    await loader.close();
    const target = new URL(tdb.url!);
    proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const through = new URL(tdb.url!);
    through.hostname = '127.0.0.1';
    through.port = String(proxy.port);
    // short deadlines, so the test does not wait out the production ones
    database = await openDatabase({ url: through.toString(), connectTimeoutMs: 3000, statementTimeoutMs: 1000 });
    svc = await servicesOn(database, { CARD_KEY_SECRET: cardKeySecret });
    app = appOn(svc);
  }, 60_000);
  afterAll(async () => {
    await svc?.close();
    await database?.close();
    await proxy?.close();
    await tdb?.drop();
  });

  it('serves through the proxy', async () => {
    const r = await check(app, order(0));
    expect(r.res.status, r.body).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ verdict: 'PAID_NOT_DELIVERED', action: 'reissued' });
  });

  it('refusing: 503 at once, /healthz 503 in under a second', async () => {
    await proxy.mode('refuse');
    const r = await check(app, order(1));
    expectUnavailable(r);
    expect(r.ms).toBeLessThan(3000);
    expectDegraded(await health(app));
    console.log(`recovery: refused check ${r.ms} ms`);
  });

  it('back: the same services answer 200 again, without a restart', async () => {
    await proxy.mode('forward');
    const r = await check(app, order(1));
    expect(r.res.status, r.body).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ verdict: 'PAID_NOT_DELIVERED', action: 'reissued' });
    expect((await health(app)).res.status).toBe(200);
    console.log(`recovery: first check after the database came back ${r.ms} ms`);
  });

  it('hung mid-session (connections open, nothing answers): 503 within the deadlines, /healthz 503 in under a second', async () => {
    // warm connections first, so the hang meets established sessions too, not only new ones
    expect((await check(app, order(2))).res.status).toBe(200);
    await proxy.mode('blackhole');
    const [r, h] = await Promise.all([check(app, order(3)), health(app)]);
    expectUnavailable(r);
    // statement 1 s + grace 1 s (the reply watch), connect 3 s: whichever the check meets first
    expect(r.ms).toBeLessThan(6000);
    expectDegraded(h);
    console.log(`recovery: hung check ${r.ms} ms, /healthz ${h.ms} ms`);
    expect(logged.join('\n')).toMatch(/DATABASE_NO_REPLY|CONNECT_TIMEOUT/);
  }, 20_000);

  it('a statement on an open session whose server went silent fails with DATABASE_NO_REPLY after statement + grace', async () => {
    await proxy.mode('forward');
    expect(await database.rows(sql`select 1 as one`)).toEqual([{ one: 1 }]); // a live session in the pool
    await proxy.mode('blackhole');
    const started = performance.now();
    const err = await database.rows(sql`select 2 as two`).then(() => null, (e: unknown) => e);
    const ms = Math.round(performance.now() - started);
    expect(causeChain(err).map((e) => (e as { code?: string }).code)).toContain('DATABASE_NO_REPLY');
    expect(isDatabaseFault(err)).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(1900);
    expect(ms).toBeLessThan(3500);
    console.log(`recovery: silent server, statement dropped after ${ms} ms`);
  }, 20_000);

  it('and back again: 200', async () => {
    await proxy.mode('forward');
    const r = await check(app, order(3));
    expect(r.res.status, r.body).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ verdict: 'PAID_NOT_DELIVERED', action: 'reissued' });
  });
});

/**
 * The sandbox is never public (interfaces.md, "Sandbox upstreams"): outside sandbox mode there is
 * no /sandbox/ and a channel without a gateway is unverifiable; in sandbox mode /sandbox/ answers
 * loopback clients only, and everyone else gets the app's ordinary 404.
 */
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { isLoopback } from '../../src/sandbox/app.ts';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { from, LOOPBACK } from '../support/remote.ts';
import { paidOrdersWorld, servicesWithWorld } from '../support/services.ts';

const REMOTE = from('203.0.113.7');
const ORDER = 'K2026112200001';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await testDatabase();
});
afterAll(async () => {
  await tdb?.drop();
});

const check = (app: ReturnType<typeof createApp>, env: object) =>
  app.request(`/api/v1/orders/${ORDER}/check`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret: '8462' }),
  }, env);

async function expectNoRoute(res: Response, path: string) {
  expect(res.status).toBe(404);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(await res.json()).toMatchObject({ code: 'not_found', detail: `no route for ${'GET'} ${path}` });
}

describe('outside sandbox mode (SANDBOX unset)', () => {
  let svc: Services;
  let app: ReturnType<typeof createApp>;
  beforeAll(async () => {
    svc = await servicesWithWorld(tdb.database, paidOrdersWorld({ orders: 1, stock: 1, channel: 'alipay' }), { SANDBOX: undefined });
    app = createApp(svc);
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('runs no sandbox at all', () => {
    expect(svc.config.sandbox).toBe(false);
    expect(svc.sandbox).toBeNull();
    expect(svc.sandboxUrl).toBeNull();
  });

  it('has no /sandbox/ route, not even for loopback', async () => {
    await expectNoRoute(await app.request('/sandbox/credentials', {}, LOOPBACK), '/sandbox/credentials');
    const res = await app.request('/sandbox/alipay/gateway.do', { method: 'POST', body: 'method=alipay.trade.query' }, LOOPBACK);
    expect(res.status).toBe(404);
  });

  it('an order on a channel with no configured gateway is PAYMENT_UNVERIFIABLE (no key, a ticket), never asked of a fake', async () => {
    const res = await check(app, REMOTE);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ orderNo: ORDER, verdict: 'PAYMENT_UNVERIFIABLE' });
    expect(body.keys ?? []).toEqual([]);
  });
});

describe('in sandbox mode (SANDBOX=on)', () => {
  let svc: Services;
  let app: ReturnType<typeof createApp>;
  beforeAll(async () => {
    svc = await servicesWithWorld(tdb.database, paidOrdersWorld({ orders: 1, stock: 1, channel: 'alipay' }), { SANDBOX: 'on' });
    app = createApp(svc);
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('answers /sandbox/credentials to loopback clients (IPv4, IPv6, IPv4-mapped)', async () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
      const res = await app.request('http://localhost:8787/sandbox/credentials', {}, from(address));
      expect(res.status, address).toBe(200);
      expect((await res.json()).alipay.gateway).toBe('http://localhost:8787/sandbox/alipay/gateway.do');
    }
  });

  it('is the ordinary 404 to anyone else, for the credentials and for the gateways\' query APIs', async () => {
    for (const address of ['203.0.113.7', '192.168.1.20', '10.0.0.1', '::ffff:203.0.113.7', '2001:db8::1', '0.0.0.0']) {
      await expectNoRoute(await app.request('/sandbox/credentials', {}, from(address)), '/sandbox/credentials');
    }
    const query = await app.request('/sandbox/alipay/gateway.do', { method: 'POST', body: 'method=alipay.trade.query' }, REMOTE);
    expect(query.status).toBe(404);
    const supplier = await app.request('/sandbox/supplier/api/getway', { method: 'POST', body: '{}' }, REMOTE);
    expect(supplier.status).toBe(404);
  });

  it('a request relayed by a proxy on this host is remote, whatever the socket says', async () => {
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip', 'cf-connecting-ip']) {
      const res = await app.request('/sandbox/credentials', { headers: { [header]: '127.0.0.1' } }, LOOPBACK);
      expect(res.status, header).toBe(404);
    }
  });

  it('a request with no socket to ask (Workers, an in-process call) is remote', async () => {
    expect((await app.request('/sandbox/credentials')).status).toBe(404);
  });

  it('still plays the world for the checks themselves (over its own loopback listener)', async () => {
    expect(svc.sandboxUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const body = await (await check(app, REMOTE)).json();
    expect(body).toMatchObject({ orderNo: ORDER, verdict: 'PAID_NOT_DELIVERED', action: 'reissued' });
  });

  it('the sandbox\'s own listener is bound to 127.0.0.1', async () => {
    const res = await fetch(`${svc.sandboxUrl}/sandbox/credentials`);
    expect(res.status).toBe(200);
  });

  // over real sockets, when this machine has an address other than loopback to connect from
  const outside = Object.values(networkInterfaces()).flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  it.skipIf(!outside)(`over a real socket: 404 from ${outside ?? 'a non-loopback address'}, 200 from 127.0.0.1`, async () => {
    const server: ServerType = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '0.0.0.0' }, () => resolve(s));
    });
    try {
      const { port } = server.address() as AddressInfo;
      const remote = await fetch(`http://${outside}:${port}/sandbox/credentials`);
      expect(remote.status).toBe(404);
      expect((await remote.json()).code).toBe('not_found');
      const local = await fetch(`http://127.0.0.1:${port}/sandbox/credentials`);
      expect(local.status).toBe(200);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true], ['127.255.255.254', true], ['::1', true], ['::ffff:127.0.0.1', true], ['::FFFF:127.0.0.2', true],
    ['128.0.0.1', false], ['10.127.0.1', false], ['::2', false], ['::ffff:10.0.0.1', false], ['localhost', false],
    ['127.0.0.1.example.com', false], ['', false], [undefined, false],
  ])('%s -> %s', (address, want) => {
    expect(isLoopback(address)).toBe(want);
  });
});

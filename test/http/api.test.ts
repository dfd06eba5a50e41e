/** The JSON API in-process (app.request): contracts of interfaces.md, errors as problem+json. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createApp } from '../../src/http/app.ts';
import { createAgent } from '../../src/engine/agents.ts';
import { auditLog } from '../../src/db/schema.ts';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { paidOrdersWorld, servicesWithWorld } from '../support/services.ts';
import { LOOPBACK } from '../support/remote.ts';

let tdb: TestDatabase;
let svc: Services;
let app: ReturnType<typeof createApp>;
let token: string;

beforeAll(async () => {
  tdb = await testDatabase();
  svc = await servicesWithWorld(tdb.database, paidOrdersWorld({ orders: 3, stock: 2 }), { SANDBOX: 'on' });
  app = createApp(svc);
  token = (await createAgent(svc, 'test agent')).token;
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

const check = (orderNo: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  app.request(`/api/v1/orders/${orderNo}/check`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
const diagnose = (orderNo: string, body: unknown, auth?: string) =>
  app.request(`/api/v1/agent/orders/${orderNo}/diagnose`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
    body: JSON.stringify(body),
  });

describe('customer check (happy)', () => {
  it('reissues the missing key, returns it to the verified buyer, and audits the reveal', async () => {
    const res = await check('K2026112200001', { secret: '8462' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await res.json();
    expect(body).toMatchObject({ orderNo: 'K2026112200001', verdict: 'PAID_NOT_DELIVERED', action: 'reissued' });
    expect(body.keys).toEqual([expect.objectContaining({ slot: 1, secret: 'S100-TEST-00000' })]);
    expect(body.explanation['zh-CN']).toContain('¥100.00');
    const reveals = await svc.database.db.select().from(auditLog).where(eq(auditLog.action, 'keys_revealed'));
    expect(reveals).toHaveLength(1);
    expect(JSON.stringify(reveals)).not.toContain('S100-TEST-00000');
  });

  it('a replayed check sees DELIVERED and changes nothing', async () => {
    const body = await (await check('K2026112200001', { secret: '8462' })).json();
    expect(body).toMatchObject({ verdict: 'DELIVERED', action: 'none' });
    expect(body.keys).toHaveLength(1);
  });

  it('finds the order by the gateway transaction number the shop never received', async () => {
    const body = await (await check('202611222200140000001', { secret: '8462' })).json();
    expect(body).toMatchObject({ orderNo: 'K2026112200002', verdict: 'PAID_NOT_DELIVERED', action: 'reissued' });
  });
});

describe('customer check (security)', () => {
  it('unknown order and wrong secret get the same 404 problem', async () => {
    const wrong = await check('K2026112200003', { secret: '0000' });
    const unknown = await check('K2099999999999', { secret: '8462' });
    expect(wrong.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(wrong.headers.get('content-type')).toBe('application/problem+json');
    expect(await wrong.text()).toBe(await unknown.text());
  });

  it('a wrong secret issues nothing; it leaves one audit row (issue 10: guesses leave a trace), without the secret', async () => {
    const before = await svc.database.db.select().from(auditLog);
    await check('K2026112200003', { secret: '1111' });
    const added = (await svc.database.db.select().from(auditLog).orderBy(auditLog.id)).slice(before.length);
    expect(added.map((r) => [r.action, r.orderNo])).toEqual([['verification_failed', 'K2026112200003']]);
    expect(JSON.stringify(added)).not.toContain('1111');
  });
});

describe('bad input gets problem+json, never a 500', () => {
  it.each([
    ['malformed JSON', 'K2026112200003', '{"secret":', 400],
    ['missing secret', 'K2026112200003', {}, 400],
    ['unknown field', 'K2026112200003', { secret: '8462', admin: true }, 400],
    ['secret not a string', 'K2026112200003', { secret: 8462 }, 400],
    ['order number with a space', 'K2026%2011', { secret: '8462' }, 400],
    ['order number too long', 'K'.repeat(65), { secret: '8462' }, 400],
  ])('%s', async (_name, orderNo, body, status) => {
    const res = await check(orderNo as string, body);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = await res.json();
    expect(problem).toMatchObject({ status, code: expect.stringMatching(/^invalid_/) });
  });

  it('a body that is not JSON at all (415 since issue 10)', async () => {
    const res = await check('K2026112200003', 'secret=8462', { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect((await res.json()).code).toBe('unsupported_media_type');
  });

  it('an unknown route', async () => {
    const res = await app.request('/api/v1/nothing');
    expect(res.status).toBe(404);
    expect((await res.json()).code).toBe('not_found');
  });
});

describe('agent diagnose', () => {
  it('refuses a missing or wrong token', async () => {
    expect((await diagnose('K2026112200003', {})).status).toBe(401);
    expect((await diagnose('K2026112200003', {}, 'Bearer od_wrongwrongwrongwrongwrong')).status).toBe(401);
  });

  it('suggests without applying, with every checker\'s evidence and timing', async () => {
    const res = await diagnose('K2026112200003', {}, `Bearer ${token}`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ verdict: 'OUT_OF_STOCK', action: 'none', suggested: 'escalated', keysHeld: 0 });
    expect(body.findings.payment).toMatchObject({ ok: true, data: { trust: 'verified', state: 'paid', amountCents: 10000 } });
    expect(body.findings.payment.evidence[0]).toMatchObject({ method: 'POST', status: 200, signature: 'verified' });
    expect(body.findings.issuance).toMatchObject({ ok: true, data: { quantity: 1, validKeys: 0, stockAvailable: 0 } });
    expect(typeof body.findings.migration.ms).toBe('number');
  });

  it('applies the suggestion when asked: one ticket, reused', async () => {
    const a = await (await diagnose('K2026112200003', { apply: true }, `Bearer ${token}`)).json();
    const b = await (await diagnose('K2026112200003', { apply: true }, `Bearer ${token}`)).json();
    expect(a).toMatchObject({ verdict: 'OUT_OF_STOCK', action: 'escalated' });
    expect(a.ticket.number).toMatch(/^T\d{6}-[A-Z0-9]{5}$/);
    expect(b.ticket.number).toBe(a.ticket.number);
  });

  it('an unknown order is ORDER_NOT_FOUND for agents', async () => {
    const body = await (await diagnose('K2099999999999', {}, `Bearer ${token}`)).json();
    expect(body).toMatchObject({ verdict: 'ORDER_NOT_FOUND', action: 'none' });
  });
});

describe('ops', () => {
  it('healthz tells anyone the status and nothing else; an agent also gets the database (issue 10 item 8)', async () => {
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    const wrong = await app.request('/healthz', { headers: { authorization: 'Bearer od_notatokennotatokennotatoken' } });
    expect(await wrong.json()).toEqual({ status: 'ok' });
    const agent = await app.request('/healthz', { headers: { authorization: `Bearer ${token}` } });
    expect(await agent.json()).toMatchObject({ status: 'ok', database: { ok: true, kind: svc.database.kind } });
  });

  it('openapi.json declares the API', async () => {
    const doc = await (await app.request('/api/openapi.json')).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/orders/{orderNo}/check', '/api/v1/agent/orders/{orderNo}/diagnose', '/healthz']),
    );
  });

  it('the sandbox publishes its credentials (to loopback clients: test/sandbox/public.test.ts)', async () => {
    const creds = await (await app.request('http://localhost:8787/sandbox/credentials', {}, LOOPBACK)).json();
    expect(creds.alipay.gateway).toBe('http://localhost:8787/sandbox/alipay/gateway.do');
    expect(creds.wechatpay.platformPublicKey).toContain('BEGIN PUBLIC KEY');
    expect(creds.epay).toHaveProperty('pid');
  });
});

describe('timing does not tell unknown orders from wrong secrets', () => {
  it('both failures take the same floor time', async () => {
    const time = async (orderNo: string, secret: string) => {
      const t = performance.now();
      await check(orderNo, { secret });
      return performance.now() - t;
    };
    const wrong = await time('K2026112200003', '0000');
    const unknown = await time('K2099999999998', '8462');
    expect(wrong).toBeGreaterThanOrEqual(990);
    expect(unknown).toBeGreaterThanOrEqual(990);
    expect(Math.abs(wrong - unknown)).toBeLessThan(600);
  });
});

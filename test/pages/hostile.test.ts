/**
 * The buyer's page under hostile input (issue 10, items 4 and 8): input that cannot be an order
 * number or a query secret is answered with the page (HTML, never JSON, never a 500) before the rate
 * limiter and the lookup; wrong methods and over-long bodies get HTML too; a reveal names only a
 * slot the order holds; behind a TLS proxy (TRUST_PROXY=on) cookies are Secure and the caller is
 * the proxy's last hop.
 */
import { describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { auditLog, diagnoses } from '../../src/db/schema.ts';
import { createBuyerLimits } from '../../src/http/rate-limits.ts';
import { servicesWithWorld } from '../support/services.ts';
import { testDatabase } from '../support/db.ts';
import { BROWSER_WORLD, Browser, ORDERS, pageApp, pageSuite } from './support.ts';

const suite = pageSuite();

const auditRows = (action: string) => suite.svc.database.db.select().from(auditLog).where(and(eq(auditLog.action, action))).orderBy(auditLog.id);

describe('input that is no order number or secret (security)', () => {
  const bad: [string, string, string][] = [
    ['a NUL byte in the order number', `${ORDERS.delivered.no}\u0000`, ORDERS.delivered.secret],
    ['a control character in the order number', `K2026\u0008112210001`, ORDERS.delivered.secret],
    ['an order number of 7 KB', 'K'.repeat(7000), ORDERS.delivered.secret],
    ['an order number with a space inside', 'K2026 112210001', ORDERS.delivered.secret],
    ['an order number of 3 characters', 'K20', ORDERS.delivered.secret],
    ['a NUL byte in the secret', ORDERS.delivered.no, `${ORDERS.delivered.secret}\u0000`],
    ['a newline in the secret', ORDERS.delivered.no, `48\n21`],
    ['a secret of 200 characters', ORDERS.delivered.no, '4'.repeat(200)],
  ];

  it.each(bad)('%s: the page says "no match" at once, in HTML, and nothing is looked up or counted', async (_name, orderNo, secret) => {
    const limits = createBuyerLimits(true, () => 1_000_000);
    const b = new Browser(pageApp(suite.svc, limits));
    const diagnosesBefore = (await suite.svc.database.db.select().from(diagnoses)).length;
    const started = performance.now();
    const res = await b.post('/lookup', { csrf: await b.csrf(), orderNo, secret });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('订单号与查询密码不匹配');
    expect(html).not.toContain('\u0000');
    expect(performance.now() - started).toBeLessThan(500); // decided before any lookup
    expect((await suite.svc.database.db.select().from(diagnoses)).length).toBe(diagnosesBefore);
    // the limiter was never asked: this source still has all its lookups
    for (let i = 0; i < 30; i++) expect(await limits.lookup('unknown')).toBe(0);
  });

  it('many bad posts do not use up the source\'s lookups', async () => {
    const limits = createBuyerLimits(true, () => 1_000_000);
    const b = new Browser(pageApp(suite.svc, limits));
    const csrf = await b.csrf();
    for (let i = 0; i < 40; i++) expect((await b.post('/lookup', { csrf, orderNo: `K\u0000${i}`, secret: '1' })).status).toBe(404);
    expect((await b.lookup(ORDERS.delivered.no, ORDERS.delivered.secret)).status).toBe(303);
  });

  it('the bad answer is the same page a wrong secret gets', async () => {
    const b = new Browser(pageApp(suite.svc));
    const nul = await (await b.lookup(`${ORDERS.delivered.no}\u0000`, ORDERS.delivered.secret)).text();
    const wrong = await (await b.lookup(ORDERS.delivered.no, '0000')).text();
    expect(nul).toBe(wrong);
  });

  it('an over-long body is 413 with the page, not JSON', async () => {
    const b = new Browser(pageApp(suite.svc));
    const res = await b.post('/lookup', { csrf: await b.csrf(), orderNo: 'K'.repeat(9000), secret: '1' });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('a wrong method on a page path is 405 with the page and Allow', async () => {
    const b = new Browser(pageApp(suite.svc));
    const get = await b.get('/lookup');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(get.headers.get('content-type')).toMatch(/^text\/html/);
    const post = await b.post('/order', { csrf: await b.csrf() });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toContain('GET');
  });
});

describe('reveal names only a slot the order holds', () => {
  it('a slot the buyer does not hold reveals and audits nothing', async () => {
    const b = new Browser(pageApp(suite.svc));
    await b.lookup(ORDERS.delivered.no, ORDERS.delivered.secret);
    const before = (await auditRows('keys_revealed')).length;
    for (const slot of ['2', '0', '9999', 'x']) {
      const json = await b.post('/reveal', { csrf: await b.csrf(), slot }, { accept: 'application/json' });
      expect(json.status, slot).toBe(404);
      const html = await b.post('/reveal', { csrf: await b.csrf(), slot });
      expect(html.status, slot).toBe(404);
      expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    }
    expect(await auditRows('keys_revealed')).toHaveLength(before);
  });

  it('the slot revealed is the slot audited', async () => {
    const b = new Browser(pageApp(suite.svc));
    await b.lookup(ORDERS.delivered.no, ORDERS.delivered.secret);
    const before = (await auditRows('keys_revealed')).length;
    const res = await b.post('/reveal', { csrf: await b.csrf(), slot: '1' }, { accept: 'application/json' });
    expect(res.status).toBe(200);
    expect((await res.json()).keys).toEqual([expect.objectContaining({ slot: 1 })]);
    const rows = (await auditRows('keys_revealed')).slice(before);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.detail).toMatchObject({ slots: [1], count: 1 });
  });
});

describe('behind a TLS-terminating proxy (TRUST_PROXY)', () => {
  const cookieLines = (res: Response) => res.headers.getSetCookie();

  it('without TRUST_PROXY, forwarded headers are ignored: no Secure on plain http, the socket is the caller', async () => {
    const b = new Browser(pageApp(suite.svc));
    const res = await b.get('/', { 'x-forwarded-proto': 'https' });
    expect(cookieLines(res).find((l) => l.startsWith('od_csrf='))).not.toMatch(/;\s*Secure/i);
  });

  it('with TRUST_PROXY=on, cookies are Secure when the proxy says https, and the caller is its last hop', async () => {
    const db2 = await testDatabase();
    const proxied = await servicesWithWorld(db2.database, BROWSER_WORLD, { SANDBOX: 'on', TRUST_PROXY: 'on' });
    try {
      const b = new Browser(pageApp(proxied));
      const https = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '6.6.6.6, 203.0.113.77' };
      const first = await b.get('/', https);
      expect(cookieLines(first).find((l) => l.startsWith('od_csrf='))).toMatch(/;\s*Secure/i);
      const res = await b.post('/lookup', { csrf: await b.csrf(), orderNo: ORDERS.delivered.no, secret: ORDERS.delivered.secret }, https);
      expect(res.status).toBe(303);
      expect(cookieLines(res).find((l) => l.startsWith('od_session='))).toMatch(/;\s*Secure/i);
      const [row] = await proxied.database.db.select().from(diagnoses).where(eq(diagnoses.orderNo, ORDERS.delivered.no));
      // the address the proxy saw, not what the client wrote in front of it
      expect(row!.actorId).toBe('203.0.113.77');
      // plain http through the proxy: no Secure
      const plain = await new Browser(pageApp(proxied)).get('/', { 'x-forwarded-proto': 'http' });
      expect(cookieLines(plain).find((l) => l.startsWith('od_csrf='))).not.toMatch(/;\s*Secure/i);
    } finally {
      await proxied.close();
      await db2.drop();
    }
  });
});

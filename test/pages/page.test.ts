/**
 * The buyer's page through app.request: security headers, CSRF, one answer for unknown order and
 * wrong secret, rate limits, the audited reveal, "not solved" tickets, and keys never in a URL.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { auditLog, diagnoses, tickets } from '../../src/db/schema.ts';
import { createBuyerLimits } from '../../src/http/rate-limits.ts';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { Browser, ORDERS, pageApp, pageServices } from './support.ts';

let tdb: TestDatabase;
let svc: Services;

beforeAll(async () => {
  tdb = await testDatabase();
});
afterAll(async () => {
  await tdb.drop();
});
beforeEach(async () => {
  svc = await pageServices(tdb.database);
});
afterEach(async () => {
  await svc.close();
});

const KEY_PATTERN = /\b[A-Z0-9]{2,5}(?:-[A-Z0-9]{3,5}){2,}\b/;

describe('page security headers', () => {
  it('sends a CSP without inline script, forbids framing, and never caches the lookup page', async () => {
    const res = await new Browser(pageApp(svc)).get('/');
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script is external
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).toContain('<html lang="zh-CN">');
  });

  it('serves its own script and stylesheet under the same CSP', async () => {
    const b = new Browser(pageApp(svc));
    const js = await b.get('/assets/page.js');
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(js.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect((await js.text()).length).toBeLessThan(4000);
    const css = await b.get('/assets/page.css');
    expect(css.headers.get('content-type')).toContain('text/css');
  });

  it('leaves the JSON API working', async () => {
    const res = await pageApp(svc).request('/api/v1/orders/K2026112210001/check', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret: '4821' }),
    });
    expect(res.status).toBe(200);
    expect((await res.json()).verdict).toBe('DELIVERED');
  });
});

describe('lookup', () => {
  it('rejects a post without the CSRF token and does no diagnosis', async () => {
    const b = new Browser(pageApp(svc));
    await b.csrf();
    const res = await b.post('/lookup', { orderNo: ORDERS.callbackLost.no, secret: ORDERS.callbackLost.secret });
    expect(res.status).toBe(403);
    expect(b.cookies.has('od_session')).toBe(false);
    expect(await svc.database.db.select().from(diagnoses)).toHaveLength(0);
  });

  it('rejects a post with a forged token or from another origin', async () => {
    const b = new Browser(pageApp(svc));
    const token = await b.csrf();
    const forged = await b.post('/lookup', { csrf: 'f'.repeat(64), orderNo: ORDERS.delivered.no, secret: ORDERS.delivered.secret });
    expect(forged.status).toBe(403);
    const crossSite = await b.post(
      '/lookup', { csrf: token, orderNo: ORDERS.delivered.no, secret: ORDERS.delivered.secret }, { origin: 'https://evil.example' },
    );
    expect(crossSite.status).toBe(403);
    const fetchMeta = await b.post(
      '/lookup', { csrf: token, orderNo: ORDERS.delivered.no, secret: ORDERS.delivered.secret }, { 'sec-fetch-site': 'cross-site' },
    );
    expect(fetchMeta.status).toBe(403);
    expect(b.cookies.has('od_session')).toBe(false);
  });

  it('gives an unknown order and a wrong secret the very same answer', async () => {
    const b = new Browser(pageApp(svc));
    const unknown = await b.lookup('K2099010100001', '1234');
    const wrong = await b.lookup(ORDERS.delivered.no, '1234');
    expect(unknown.status).toBe(404);
    expect(wrong.status).toBe(unknown.status);
    const [u, w] = [await unknown.text(), await wrong.text()];
    expect(w).toBe(u);
    expect(u).toContain('订单号与查询密码不匹配');
    expect(u).toContain('忘记了查询密码'); // what to do instead
    expect(b.cookies.has('od_session')).toBe(false);
  });

  it('finds the order by the gateway transaction number too', async () => {
    const b = new Browser(pageApp(svc));
    const res = await b.lookup('2026112222001000000000090001', ORDERS.delivered.secret);
    expect(res.status).toBe(303);
    expect(await (await b.get('/order')).text()).toContain(ORDERS.delivered.no);
  });

  it('limits lookups to 30 per 10 minutes per IP', async () => {
    let t = 1_000_000;
    const b = new Browser(pageApp(svc, createBuyerLimits(true, () => t)));
    await b.csrf();
    // wrong secrets, all at once: each failure is held to a 1 s floor, which would add up in series
    // (unknown numbers, so only this source's limits are in play)
    const tries = await Promise.all(Array.from({ length: 30 }, (_, i) => b.lookup(`K20991231${String(i).padStart(5, '0')}`, `0${i}`)));
    expect(tries.map((r) => r.status)).toEqual(Array(30).fill(404));
    const limited = await b.lookup(ORDERS.delivered.no, ORDERS.delivered.secret);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(b.cookies.has('od_session')).toBe(false);
    t += 10 * 60_000 + 1;
    expect((await b.lookup(ORDERS.delivered.no, ORDERS.delivered.secret)).status).toBe(303);
  });

  it('failures of one order from many networks do not lock its buyer out (issue 10: they used to, at 20)', async () => {
    const limits = createBuyerLimits(true, () => 5_000_000);
    for (let i = 0; i < 40; i++) await limits.verification(`10.${i}.0.1`).failed(ORDERS.delivered.no, false);
    const b = new Browser(pageApp(svc, limits));
    await b.csrf();
    expect((await b.lookup(ORDERS.delivered.no, ORDERS.delivered.secret)).status).toBe(303);
  });
});

describe('answer and reveal', () => {
  it('reissues a lost key, shows it masked, and reveals it only through an audited post', async () => {
    const b = new Browser(pageApp(svc));
    const res = await b.lookup(ORDERS.callbackLost.no, ORDERS.callbackLost.secret);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/order');
    const session = b.cookies.get('od_session')!;
    expect(session).toBeTruthy();

    const page = await (await b.get('/order')).text();
    expect(page).toContain('已付款未发货');
    expect(page).toContain('已为您补发');
    expect(page).toMatch(/\*\*\*\*/); // masked
    expect(await auditRows('keys_revealed')).toHaveLength(0); // a masked display is not a reveal

    const revealed = await b.post('/reveal', { csrf: await b.csrf(), slot: '1' }, { accept: 'application/json' });
    expect(revealed.status).toBe(200);
    expect(revealed.headers.get('cache-control')).toBe('no-store');
    const { keys } = (await revealed.json()) as { keys: { slot: number; secret: string }[] };
    expect(keys).toHaveLength(1);
    const secret = keys[0]!.secret;
    expect(secret).toMatch(KEY_PATTERN);
    expect(page).not.toContain(secret);
    expect(session).not.toContain(secret);

    const rows = await auditRows('keys_revealed');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.detail).toMatchObject({ via: 'page', slots: [1] });
    expect(rows[0]!.orderNo).toBe(ORDERS.callbackLost.no);
  });

  it('reveals without JavaScript by re-rendering the page with that key shown', async () => {
    const b = new Browser(pageApp(svc));
    await b.lookup(ORDERS.delivered.no, ORDERS.delivered.secret);
    const res = await b.post('/reveal', { csrf: await b.csrf(), slot: '1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('S100-DM01-7C3L-7ZD8');
    expect(await auditRows('keys_revealed')).toHaveLength(1);
  });

  it('refuses a reveal without a verified session, or with a tampered one', async () => {
    const b = new Browser(pageApp(svc));
    expect((await b.post('/reveal', { csrf: await b.csrf() }, { accept: 'application/json' })).status).toBe(401);
    await b.lookup(ORDERS.delivered.no, ORDERS.delivered.secret);
    const good = b.cookies.get('od_session')!;
    // same signature, someone else's order number
    const [, ...rest] = good.split('.');
    b.cookies.set('od_session', [Buffer.from(ORDERS.callbackLost.no).toString('base64url'), ...rest].join('.'));
    expect((await b.post('/reveal', { csrf: await b.csrf() }, { accept: 'application/json' })).status).toBe(401);
    expect(await auditRows('keys_revealed')).toHaveLength(0);
  });

  it('limits reveals to 8 per 10 minutes per order and IP', async () => {
    const b = new Browser(pageApp(svc, createBuyerLimits(true, () => 5_000_000)));
    await b.lookup(ORDERS.delivered.no, ORDERS.delivered.secret);
    const csrf = await b.csrf();
    for (let i = 0; i < 8; i++) expect((await b.post('/reveal', { csrf }, { accept: 'application/json' })).status).toBe(200);
    const limited = await b.post('/reveal', { csrf }, { accept: 'application/json' });
    expect(limited.status).toBe(429);
    expect(await auditRows('keys_revealed')).toHaveLength(8);
  });

  it('expires the session with its diagnosis and asks to check again', async () => {
    const res = await new Browser(pageApp(svc)).get('/order');
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('查询已过期');
  });

  it('speaks English with ?lang=en and keeps it across the redirect', async () => {
    const b = new Browser(pageApp(svc));
    const res = await b.lookup(ORDERS.inProgress.no, ORDERS.inProgress.secret, '?lang=en');
    expect(res.headers.get('location')).toBe('/order?lang=en');
    const html = await (await b.get('/order?lang=en')).text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('Delivery in progress');
    expect(html).toContain('Expected by');
  });
});

describe('did this solve it?', () => {
  it('"no" opens a ticket with the diagnosis attached, and only the verified buyer can see it', async () => {
    const b = new Browser(pageApp(svc));
    await b.lookup(ORDERS.unpaid.no, ORDERS.unpaid.secret);
    const session = b.cookies.get('od_session')!;
    const res = await b.post('/feedback', { csrf: await b.csrf(), answer: 'no' });
    expect(res.status).toBe(200);
    const html = await res.text();
    const [ticket] = await svc.database.db.select().from(tickets).where(eq(tickets.orderNo, ORDERS.unpaid.no));
    expect(ticket).toMatchObject({ source: 'buyer', status: 'open', reason: 'buyer_not_solved' });
    expect(ticket!.diagnosisId).toBe(session.split('.')[1]);
    expect(html).toContain(ticket!.number);
    expect(html).toContain('客服将在');

    // again: the same ticket, not a second one
    await b.post('/feedback', { csrf: await b.csrf(), answer: 'no' });
    expect(await svc.database.db.select().from(tickets).where(eq(tickets.orderNo, ORDERS.unpaid.no))).toHaveLength(1);

    const status = await b.get(`/ticket?no=${ticket!.number}`);
    expect(status.status).toBe(200);
    expect(await status.text()).toContain('处理中');

    const stranger = await new Browser(pageApp(svc)).get(`/ticket?no=${ticket!.number}`);
    expect(stranger.status).toBe(404);
    expect(await stranger.text()).not.toContain(ORDERS.unpaid.no);

    // another verified buyer cannot read this order's ticket either
    const other = new Browser(pageApp(svc));
    await other.lookup(ORDERS.delivered.no, ORDERS.delivered.secret);
    expect((await other.get(`/ticket?no=${ticket!.number}`)).status).toBe(404);
  });

  it('coming back later shows the open ticket on the answer page', async () => {
    const first = new Browser(pageApp(svc));
    await first.lookup(ORDERS.unpaid.no, ORDERS.unpaid.secret);
    await first.post('/feedback', { csrf: await first.csrf(), answer: 'no' });
    const [ticket] = await svc.database.db.select().from(tickets).where(eq(tickets.orderNo, ORDERS.unpaid.no));
    const later = new Browser(pageApp(svc));
    await later.lookup(ORDERS.unpaid.no, ORDERS.unpaid.secret);
    const html = await (await later.get('/order')).text();
    expect(html).toContain(ticket!.number);
    expect(html).toContain('处理中');
  });

  it('"yes" thanks the buyer and opens nothing', async () => {
    const b = new Browser(pageApp(svc));
    await b.lookup(ORDERS.delivered.no, ORDERS.delivered.secret);
    const html = await (await b.post('/feedback', { csrf: await b.csrf(), answer: 'yes' })).text();
    expect(html).toContain('感谢确认');
    expect(await svc.database.db.select().from(tickets)).toHaveLength(0);
  });
});

async function auditRows(action: string) {
  return svc.database.db.select().from(auditLog).where(and(eq(auditLog.action, action)));
}

describe('standards mode', () => {
  it('every page starts with the HTML5 doctype', async () => {
    const res = await pageApp(svc).request('/');
    expect((await res.text()).startsWith('<!DOCTYPE html><html lang="zh-CN">')).toBe(true);
  });
});

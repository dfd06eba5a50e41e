/**
 * The buyer's page's Content-Security-Policy, on its own (no browser needed): every page route, in
 * every answer it gives (the page, a redirect, a refusal, an error page, the JSON of a reveal, the
 * two assets), carries exactly this policy and the framing and referrer headers beside it, and
 * every HTML answer is one the policy lets render whole: no inline script, no inline style, no
 * resource from elsewhere. (test/browser/page.test.ts checks in Chromium that the policy is never
 * tripped; this one holds wherever the suite runs.)
 */
import { describe, expect, it } from 'vitest';
import { Browser, ORDERS, pageApp, pageSuite } from './support.ts';

/** Written out, not imported: a change to the policy must be a change to this test too. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const suite = pageSuite();

function expectPageHeaders(res: Response, what: string): void {
  expect(res.headers.get('content-security-policy'), what).toBe(CSP);
  expect(res.headers.get('x-frame-options'), what).toBe('DENY');
  expect(res.headers.get('x-content-type-options'), what).toBe('nosniff');
  expect(res.headers.get('referrer-policy'), what).toBe('same-origin');
}

/** What the policy would block in a page: any inline script or style, anything not from this origin. */
function expectRendersUnderCsp(html: string, what: string): void {
  for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag, what).toMatch(/^<script src="\/assets\/page\.js"/);
  expect(html, what).not.toMatch(/<script\b[^>]*>\s*\S[\s\S]*?<\/script>/); // no inline body
  expect(html, what).not.toMatch(/<style\b/i);
  expect(html, what).not.toMatch(/\sstyle=/i);
  expect(html, what).not.toMatch(/\son[a-z]+=/i); // no inline event handlers
  expect(html, what).not.toMatch(/javascript:/i);
  for (const m of html.matchAll(/\s(?:src|href|action)="([^"]*)"/g)) {
    const url = m[1]!;
    expect(url.startsWith('/') && !url.startsWith('//') || url.startsWith('#') || url.startsWith('?'), `${what}: ${url}`).toBe(true);
  }
}

async function check(res: Response, what: string, status: number): Promise<void> {
  expect(res.status, what).toBe(status);
  expectPageHeaders(res, what);
  if ((res.headers.get('content-type') ?? '').startsWith('text/html')) expectRendersUnderCsp(await res.text(), what);
}

describe('the page\'s CSP on every page route (security)', () => {
  it('GET /, in both languages and pre-filled; HEAD /', async () => {
    const b = new Browser(pageApp(suite.svc));
    await check(await b.get('/'), 'GET /', 200);
    await check(await b.get('/?lang=en'), 'GET /?lang=en', 200);
    await check(await b.get(`/?orderNo=${ORDERS.delivered.no}`), 'GET /?orderNo=', 200);
    const head = await pageApp(suite.svc).request('http://localhost/', { method: 'HEAD' });
    expectPageHeaders(head, 'HEAD /');
  });

  it('POST /lookup: the redirect, a wrong secret, a bad CSRF token, missing fields, an over-long form', async () => {
    const b = new Browser(pageApp(suite.svc));
    const csrf = await b.csrf();
    await check(await b.post('/lookup', { csrf, orderNo: ORDERS.delivered.no, secret: '0000' }), 'wrong secret', 404);
    await check(await b.post('/lookup', { csrf: 'f'.repeat(64), orderNo: ORDERS.delivered.no, secret: ORDERS.delivered.secret }), 'bad csrf', 403);
    await check(await b.post('/lookup', { csrf, orderNo: '', secret: '' }), 'missing fields', 400);
    await check(await b.post('/lookup', { csrf, orderNo: 'K'.repeat(9000), secret: '1' }), 'over-long form', 413);
    await check(await b.lookup(ORDERS.delivered.no, ORDERS.delivered.secret), 'verified: 303', 303);
  });

  it('GET /order, POST /reveal (HTML and JSON), POST /feedback, GET /ticket: with and without a session', async () => {
    const stranger = new Browser(pageApp(suite.svc));
    const strangerCsrf = await stranger.csrf();
    await check(await stranger.get('/order'), '/order without a session', 401);
    await check(await stranger.post('/reveal', { csrf: strangerCsrf }), '/reveal without a session', 401);
    await check(await stranger.post('/feedback', { csrf: strangerCsrf, answer: 'yes' }), '/feedback without a session', 401);
    await check(await stranger.get('/ticket?no=T000000-AAAAA'), '/ticket without a session', 404);

    const buyer = new Browser(pageApp(suite.svc));
    expect((await buyer.lookup(ORDERS.delivered.no, ORDERS.delivered.secret)).status).toBe(303);
    const csrf = await buyer.csrf();
    await check(await buyer.get('/order'), '/order', 200);
    await check(await buyer.post('/reveal', { csrf, slot: '1' }), '/reveal (HTML)', 200);
    const json = await buyer.post('/reveal', { csrf, slot: '1' }, { accept: 'application/json' });
    await check(json, '/reveal (JSON)', 200);
    await check(await buyer.post('/reveal', { csrf, slot: '99' }), '/reveal of a slot not held', 404);
    await check(await buyer.post('/feedback', { csrf, answer: 'yes' }), '/feedback', 200);
    await check(await buyer.get('/ticket?no=T000000-AAAAA'), '/ticket of no such ticket', 404);
  });

  it('the assets, and a page path asked with the wrong method', async () => {
    const b = new Browser(pageApp(suite.svc));
    await check(await b.get('/assets/page.js'), '/assets/page.js', 200);
    await check(await b.get('/assets/page.css'), '/assets/page.css', 200);
    await check(await b.get('/lookup'), 'GET /lookup', 405);
    await check(await b.post('/order', { csrf: await b.csrf() }), 'POST /order', 405);
    const del = await pageApp(suite.svc).request('http://localhost/', { method: 'DELETE' });
    await check(del, 'DELETE /', 405);
  });
});

/**
 * Hostile input to every public route, property-based (issue 10, item 11): any method, path
 * (unicode, NUL, huge, traversal, broken percent-encoding), query, headers (content-type and
 * content-length lies, cookies, origins, tokens) and body (JSON of any shape, not JSON, forms,
 * far over the limit) gets an answer below 500 in the route's own format (problem+json for the
 * API, HTML for the page), and a refused request writes nothing. In-process through app.request.
 *
 * The routes come from the OpenAPI document (so a route added later is fuzzed too), the page's
 * paths, the sandbox's (absent for a non-loopback client) and paths that are none of these.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  body, contentType, expectWellFormed, fuzzSuite, headerValue, hostileText, method, ORDERS, orderNoLike, PAGE_PATHS, query, segment,
  send, writeCounts, type FuzzAnswer, type FuzzRequest,
} from './support.ts';

const suite = fuzzSuite();

/** Every path template the API declares, with `{param}` holes. */
async function apiTemplates(): Promise<string[]> {
  const doc = (await (await suite.target.open.request('http://localhost/api/openapi.json')).json()) as { paths: Record<string, unknown> };
  return [...Object.keys(doc.paths), '/api/openapi.json'];
}

function fill(template: string, seg: string): string {
  return template.replace(/\{[^}]+\}/g, seg);
}

function headers(opts: { token?: string } = {}) {
  const t = suite.target;
  const auth = fc.oneof(
    ...(opts.token ? [{ weight: 3, arbitrary: fc.constant(`Bearer ${opts.token}`) }] : []),
    { weight: 2, arbitrary: headerValue.map((v) => `Bearer ${v}`) },
    { weight: 1, arbitrary: fc.constantFrom('Bearer', 'Bearer ', 'Basic Zm9vOmJhcg==', 'bearer od_x', `Bearer ${t.agentToken}x`, `Bearer ${t.agentToken.slice(0, -1)}`, 'Token x') },
    { weight: 1, arbitrary: headerValue },
  );
  const cookie = fc.oneof(
    fc.constant(`od_csrf=${t.csrf}; od_session=${t.session}`),
    headerValue.map((v) => `od_session=${v}`),
    fc.constantFrom('od_session=%zz', 'od_session=a.b.c.d', 'od_csrf=; od_csrf=x', '=; ;', 'od_session="unterminated', `od_session=${t.session}x`),
    headerValue,
  );
  return fc.record({
    'content-type': contentType,
    'content-length': fc.oneof(fc.nat({ max: 100_000 }).map(String), fc.constantFrom('-1', 'abc', '1e3', '99999999999999999999', '', ' 5', '0x10')),
    authorization: auth,
    cookie,
    origin: fc.oneof(fc.constantFrom('http://localhost', 'null', 'https://evil.example', 'http://localhost:1', 'file://', '%'), headerValue),
    accept: fc.oneof(fc.constantFrom('application/json', 'text/html', '*/*', 'application/problem+json'), headerValue),
    'x-forwarded-for': fc.oneof(fc.constantFrom('127.0.0.1', '::1', '1.2.3.4, 5.6.7.8', '[::1]:80', 'unknown'), headerValue),
    'sec-fetch-site': fc.constantFrom('same-origin', 'cross-site', 'none', 'same-site', ''),
    'transfer-encoding': fc.constantFrom('chunked', 'gzip', 'identity'),
  }, { requiredKeys: [] });
}

describe('every public route under hostile input (security)', () => {
  it('any method, path, query, headers and body: below 500, in the route\'s format; a refused request writes nothing', async () => {
    const t = suite.target;
    const templates = await apiTemplates();
    expect(templates).toEqual(expect.arrayContaining(['/api/v1/orders/{orderNo}/check', '/api/v1/agent/orders/{orderNo}/diagnose', '/healthz']));
    const path = fc.oneof(
      { weight: 5, arbitrary: fc.tuple(fc.constantFrom(...templates), segment).map(([tpl, seg]) => fill(tpl, seg)) },
      { weight: 3, arbitrary: fc.constantFrom(...PAGE_PATHS, '/assets/page.js', '/assets/page.css') },
      { weight: 1, arbitrary: fc.constantFrom('/sandbox/credentials', '/sandbox/epay/api.php', '/sandbox/alipay/gateway.do', '/api', '/api/v1/', '/lookup/', '//lookup', '/%2e%2e/healthz', '/api/v1/orders//check') },
      { weight: 2, arbitrary: fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`) },
      { weight: 1, arbitrary: fc.webPath() },
    );
    const request = fc.record({ method, path, query, headers: headers({ token: t.agentToken }), body })
      .map(({ method: m, path: p, query: q, headers: h, body: b }): FuzzRequest => ({ method: m, target: `${p}${q}`, headers: h, body: b }));

    let answered = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 6 }), async (batch) => {
        const before = await writeCounts(t.svc);
        // side by side: a batch takes as long as its slowest request
        const answers = await Promise.all(batch.map((r) => send(t.limited, r)));
        for (const a of answers) expectWellFormed(a);
        answered += answers.length;
        // a refused request, and any GET, wrote nothing
        if (answers.every((a) => a.status >= 400 || ['GET', 'HEAD'].includes(a.req.method.toUpperCase()))) {
          expect(await writeCounts(t.svc), show(answers)).toEqual(before);
        }
      }),
      { numRuns: 150 },
    );
    expect(answered).toBeGreaterThan(150);
  }, 120_000);

  it('the agent route without a valid token: 401 with WWW-Authenticate before anything is read, nothing written', async () => {
    const t = suite.target;
    const request = fc.record({
      seg: segment, q: query, h: headers(), b: body,
    }).map(({ seg, q, h, b }): FuzzRequest => ({ method: 'POST', target: `/api/v1/agent/orders/${seg}/diagnose${q}`, headers: h, body: b }));
    const before = await writeCounts(t.svc);
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const a = await send(t.open, req);
        expectWellFormed(a);
        const routed = new URL(`http://localhost${req.target}`).pathname;
        // a path that is no longer the route (traversal, an extra slash) is simply not found
        if (!/^\/api\/v1\/agent\/orders\/[^/]+\/diagnose$/.test(routed)) return;
        expect(a.status, show([a])).toBe(401);
        expect(a.headers.get('www-authenticate'), show([a])).toMatch(/^Bearer realm="order-doctor"/);
      }),
      { numRuns: 150 },
    );
    expect(await writeCounts(t.svc)).toEqual(before);
  }, 60_000);

  it('the agent route with a valid token: a body it refuses writes nothing; one it takes is diagnosed', async () => {
    const t = suite.target;
    const request = fc.record({
      no: orderNoLike, h: headers({ token: t.agentToken }).map((h) => ({ ...h, authorization: `Bearer ${t.agentToken}` })), b: body,
    }).map(({ no, h, b }): FuzzRequest => ({
      method: 'POST', target: `/api/v1/agent/orders/${encodeURIComponent(no.replace(/[\ud800-\udfff]/g, 'x'))}/diagnose`, headers: h, body: b,
    }));
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const before = await writeCounts(t.svc);
        const a = await send(t.open, req);
        expectWellFormed(a);
        // a number that is no path segment ('', '.', '..') leaves the route: simply not found
        if (!/^\/api\/v1\/agent\/orders\/[^/]+\/diagnose$/.test(new URL(`http://localhost${req.target}`).pathname)) {
          expect(a.status, show([a])).toBe(404);
          return;
        }
        seen.add(a.status);
        expect([200, 400, 413, 415], show([a])).toContain(a.status);
        const after = await writeCounts(t.svc);
        if (a.status === 200) expect(after.diagnoses, show([a])).toBe(before.diagnoses! + 1);
        else expect(after, show([a])).toEqual(before);
      }),
      // a request the route takes, tried first so the runs surely reach the diagnosis itself
      { numRuns: 120, examples: [[{ method: 'POST', target: `/api/v1/agent/orders/${ORDERS.delivered.no}/diagnose`, headers: { authorization: `Bearer ${t.agentToken}` } }]] },
    );
    // the runs reached both the refusals and the diagnosis itself
    expect(seen.has(200) && seen.has(400)).toBe(true);
  }, 60_000);

  it('the buyer\'s check with numbers in the shape of one: the same 404 for every wrong or unknown, nothing written but the audit of a failure', async () => {
    const t = suite.target;
    const reference = await send(t.open, {
      method: 'POST', target: '/api/v1/orders/K2099010100001/check', headers: { 'content-type': 'application/json' }, body: '{"secret":"0000"}',
    });
    expect(reference.status).toBe(404);
    const realNos = Object.values(ORDERS).map((o) => o.no);
    const secret = fc.oneof(
      hostileText.filter((s) => s.length >= 1 && s.length <= 128 && !/\p{Cc}/u.test(s)),
      fc.stringMatching(/^\d{4,6}$/).filter((s) => !Object.values(ORDERS).some((o) => o.secret === s)),
    );
    const request = fc.record({
      no: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{4,64}$/), fc.constantFrom(...realNos)),
      secret,
      type: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/vnd.x+json'),
      cookie: fc.oneof(fc.constant(''), fc.constant(`od_session=${t.session}`), headerValue),
    }).map(({ no, secret: s, type, cookie }): FuzzRequest => ({
      method: 'POST', target: `/api/v1/orders/${no}/check`, headers: { 'content-type': type, cookie }, body: JSON.stringify({ secret: s }),
    }));
    await fc.assert(
      // each failure waits out the 1 s floor: a batch side by side takes about one floor
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 12 }), async (batch) => {
        const before = await writeCounts(t.svc);
        const answers = await Promise.all(batch.map((r) => send(t.open, r)));
        for (const a of answers) {
          expectWellFormed(a);
          expect(a.status, show([a])).toBe(404);
          expect(a.body, show([a])).toBe(reference.body);
        }
        expect(await writeCounts(t.svc)).toEqual(before);
      }),
      { numRuns: 6 },
    );
  }, 60_000);
});

/** A failing batch, short enough to read. */
function show(answers: FuzzAnswer[]): string {
  return answers
    .map((a) => `${a.req.method} ${a.req.target.slice(0, 120)} ${JSON.stringify(a.req.headers).slice(0, 200)} body=${String(a.req.body ?? '').slice(0, 80)} -> ${a.status} ${a.body.slice(0, 120)}`)
    .join('\n');
}

/**
 * Shared by the hostile-input properties (issue 10, item 11): the app with the buyer's page on the
 * browser-test world, an agent token and a verified buyer's cookies to reach the deeper paths with,
 * the arbitraries a hostile client sends (paths, methods, headers, bodies), how a request is sent
 * in-process, what every answer must look like, and the write counters that prove a refused
 * request wrote nothing.
 */
import { ne, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, expect } from 'vitest';
import { agents, auditLog, diagnoses, issuedKeys, mailOutbox, stockKeys, sweepQueue, tickets } from '../../src/db/schema.ts';
import { createAgent } from '../../src/engine/agents.ts';
import { createBuyerLimits, type BuyerLimits } from '../../src/http/rate-limits.ts';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { Browser, ORDERS, pageApp, pageServices, type PageApp } from '../pages/support.ts';

export { ORDERS };

/** The app under fuzz and what a legitimate client would hold. */
export interface FuzzTarget {
  svc: Services;
  /**
   * rate limits on, on a clock that never moves, and this client's lookups already used up: a
   * lookup that passes validation is refused at once (429) instead of waiting out the failure floor
   */
  limited: PageApp;
  /** rate limits off: every request goes as deep as its input lets it */
  open: PageApp;
  agentToken: string;
  /** a verified buyer's cookies (CSRF token and session) */
  csrf: string;
  session: string;
}

/** The target, made before the file's tests and closed after. */
export function fuzzSuite(): { readonly target: FuzzTarget } {
  let tdb: TestDatabase | undefined;
  let target: FuzzTarget | undefined;
  beforeAll(async () => {
    tdb = await testDatabase();
    const svc = await pageServices(tdb.database);
    const limits: BuyerLimits = createBuyerLimits(true, () => 1_000_000);
    // in-process requests have no socket: every one comes from 'unknown'
    while ((await limits.lookup('unknown')) === 0);
    const open = pageApp(svc);
    const buyer = new Browser(open);
    const res = await buyer.lookup(ORDERS.delivered.no, ORDERS.delivered.secret);
    if (res.status !== 303) throw new Error(`the buyer's lookup answered ${res.status}`);
    target = {
      svc, limited: pageApp(svc, limits), open,
      agentToken: (await createAgent(svc, 'fuzz')).token,
      csrf: buyer.cookies.get('od_csrf')!, session: buyer.cookies.get('od_session')!,
    };
  });
  afterAll(async () => {
    await target?.svc.close();
    await tdb?.drop();
  });
  return {
    get target() {
      if (!target) throw new Error('the fuzz target is made in beforeAll');
      return target;
    },
  };
}

// -------------------------------------------------------------------------------------------------
// writes

/**
 * Rows in every table a request could write. A failed verification of an existing order writes
 * its `verification_failed` audit row by design (and the answer must not differ from an unknown
 * number's), so those rows are not counted.
 */
export async function writeCounts(svc: Services): Promise<Record<string, number>> {
  const db = svc.database.db;
  const n = sql<number>`count(*)::int`;
  const [d, t, a, k, q, m, g, s] = await Promise.all([
    db.select({ n }).from(diagnoses),
    db.select({ n }).from(tickets),
    db.select({ n }).from(auditLog).where(ne(auditLog.action, 'verification_failed')),
    db.select({ n }).from(issuedKeys),
    db.select({ n }).from(sweepQueue),
    db.select({ n }).from(mailOutbox),
    db.select({ n }).from(agents),
    db.select({ n }).from(stockKeys).where(sql`${stockKeys.status} = 'available'`),
  ]);
  const v = (rows: { n: number }[]) => Number(rows[0]?.n ?? 0);
  return {
    diagnoses: v(d), tickets: v(t), audit_log: v(a), issued_keys: v(k), sweep_queue: v(q), mail_outbox: v(m), agents: v(g), stock_available: v(s),
  };
}

// -------------------------------------------------------------------------------------------------
// requests

export interface FuzzRequest {
  method: string;
  /** path and query, as they go on the wire (already percent-encoded where they are) */
  target: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export interface FuzzAnswer {
  req: FuzzRequest;
  status: number;
  type: string;
  body: string;
  headers: Headers;
}

export async function send(app: PageApp, req: FuzzRequest): Promise<FuzzAnswer> {
  const init: RequestInit = { method: req.method, headers: req.headers };
  if (req.body !== undefined && !['GET', 'HEAD'].includes(req.method.toUpperCase())) init.body = req.body as BodyInit;
  const res = await app.request(`http://localhost${req.target}`, init);
  return { req, status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text(), headers: res.headers };
}

/** How the app's router sees a path: each run of percent-escapes decoded where it decodes. */
export function routedPath(target: string): string {
  const { pathname } = new URL(`http://localhost${target}`);
  return pathname.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

export const PAGE_PATHS = ['/', '/lookup', '/order', '/reveal', '/feedback', '/ticket'];
const ASSETS = ['/assets/page.js', '/assets/page.css'];

/**
 * What any answer to any request must be: below 500 (the public /healthz may say 503 "degraded");
 * the buyer's page answers in HTML (a reveal asked for JSON in JSON, a verified lookup with a
 * redirect), the assets as themselves, everything else problem+json when refused; no stack trace.
 */
export function expectWellFormed(a: FuzzAnswer): void {
  const path = routedPath(a.req.target);
  const what = `${a.req.method} ${a.req.target.slice(0, 200)} -> ${a.status} ${a.type} ${a.body.slice(0, 300)}`;
  if (path === '/healthz' && a.status === 503) {
    expect(JSON.parse(a.body), what).toEqual({ status: 'degraded' });
    return;
  }
  expect(a.status, what).toBeLessThan(500);
  expect(a.body, what).not.toMatch(/\n\s+at [^\n]*:\d+|node_modules|\.ts:\d+/);
  if (a.req.method === 'HEAD' || a.status === 204 || a.status === 304) return;
  const method = a.req.method.toUpperCase();
  if (PAGE_PATHS.includes(path)) {
    if (a.status === 303) {
      expect(a.headers.get('location'), what).toMatch(/^\/order(\?lang=\w+)?$/);
      return;
    }
    const wantsJson = path === '/reveal' && method === 'POST' && (a.req.headers['accept'] ?? '').includes('application/json');
    expect(a.type, what).toMatch(wantsJson && a.status !== 413 && a.status !== 405 ? /^application\/json/ : /^text\/html/);
    return;
  }
  if (ASSETS.includes(path) && (method === 'GET' || method === 'HEAD') && a.status === 200) return;
  if (a.status >= 400) {
    expect(a.type, what).toMatch(/^application\/problem\+json/);
    const problem = JSON.parse(a.body) as { status: number; code: string };
    expect(problem.status, what).toBe(a.status);
    expect(problem.code, what).toMatch(/^[a-z_]+$/);
  } else {
    expect(a.type, what).toMatch(/^(application\/json|text\/plain|application\/openmetrics-text)/);
  }
}

// -------------------------------------------------------------------------------------------------
// arbitraries

const LATIN1_SAFE = fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c));

/** A header value the fetch API lets through: Latin-1, no CR, LF or NUL, no edge whitespace. */
export const headerValue = fc.oneof(
  fc.string({ unit: LATIN1_SAFE, maxLength: 40 }),
  fc.string({ unit: LATIN1_SAFE, minLength: 3000, maxLength: 9000 }),
).map((s) => s.trim());

/** Text a hostile client types: unicode, controls, NUL, escapes, huge, traversal, injection. */
export const hostileText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 5000, maxLength: 20_000 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '', ' ', '\u0000', 'K2026112210001\u0000', '\n', '\r\n', '\u001b[2J', '../../../../etc/passwd', '..\\..\\windows', '%00',
      '%zz', '%E4%B8', '\ud800', '\udfff', '\u202e', '\ufeff', '🙂', '订单号', "' or 1=1 --", '<script>alert(1)</script>',
      '${7*7}', '{{7*7}}', 'null', 'undefined', '[object Object]', '__proto__', 'constructor', '-1', '1e309', 'NaN',
    ),
  },
);

/** An order number as it may arrive: in its shape, near it, or nowhere near it. */
export const orderNoLike = fc.oneof(
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{4,64}$/) },
  { weight: 1, arbitrary: fc.constantFrom(...Object.values(ORDERS).map((o) => o.no), '2026112222001490000000090007', 'L2025110300144') },
  { weight: 3, arbitrary: hostileText },
);

/** A path segment on the wire: percent-encoded, or hand-made raw escapes and traversal. */
export const segment = fc.oneof(
  { weight: 4, arbitrary: orderNoLike.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'))) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '..', '.', '%2e%2e', '%2E%2E%2F', '%2F', '%00', '%zz', '%', '%%', '%E4%B8', '%C0%AF', '%ff%fe', ';x=1', '@', ':', '~',
      'K2026112210001%00', 'K2026112210001%0A', 'K2026112210001;', '%252e%252e', 'K'.repeat(70),
    ),
  },
);

const queryValue = fc.oneof(
  hostileText.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'))),
  fc.constantFrom('%', '%zz', '%E4', '%00', 'en', 'zh-CN', 'EN', encodeURIComponent(ORDERS.delivered.no), 'T000000-AAAAA'),
);

/** `?lang=..&orderNo=..&no=..&x=..` in any mix, or nothing. */
export const query = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  {
    weight: 3,
    arbitrary: fc.array(fc.tuple(fc.constantFrom('lang', 'orderNo', 'no', 's', 'slot', 'x', '', '%zz', 'lang[]'), queryValue), { minLength: 1, maxLength: 4 })
      .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('?', '?&&', '?lang', '?=', '?lang=en&lang=zh', '?%') },
);

export const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'POST') },
  { weight: 2, arbitrary: fc.constantFrom('HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') },
  { weight: 1, arbitrary: fc.constantFrom('PROPFIND', 'QUERY', 'X-HACK', 'get', 'post') },
);

export const contentType = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'application/json', 'application/json; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data',
      'multipart/form-data; boundary=----x', 'multipart/form-data; boundary=', 'text/plain', 'application/problem+json',
      'application/vnd.api+json', 'application/json;charset=gbk', 'APPLICATION/JSON', 'application/jsonp', 'text/html',
      'application/x-www-form-urlencoded; charset=iso-8859-1', 'application/octet-stream', '*/*', ';', 'json',
    ),
  },
  { weight: 1, arbitrary: headerValue },
);

/** JSON of any shape, a secret of any kind, or no JSON at all; sometimes far over any limit. */
export const body = fc.oneof(
  { weight: 3, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 3, arbitrary: fc.record({ secret: hostileText }).map((o) => JSON.stringify(o)) },
  { weight: 2, arbitrary: fc.record({ apply: fc.oneof(fc.boolean(), fc.constant('true'), fc.constant(1), fc.constant(null)) }, { requiredKeys: [] }).map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify({ secret: '8462', extra: v })) },
  { weight: 2, arbitrary: hostileText },
  {
    weight: 2,
    arbitrary: fc.array(fc.tuple(fc.constantFrom('csrf', 'orderNo', 'secret', 'slot', 'answer', 'x', 'csrf[]', ''), hostileText), { maxLength: 5 })
      .map((pairs) => new URLSearchParams(pairs.map(([k, v]) => [k, v.replace(/[\ud800-\udfff]/g, 'x')])).toString()),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{', '{"secret":', '{"secret":"8462"', '[]', '""', 'null', '{"__proto__":{"secret":"1"}}', '{"secret":"8462","secret":"1"}',
      '--x\r\nContent-Disposition: form-data; name="csrf"\r\n\r\nabc\r\n--x--', '--x\r\n\r\n', 'a=%zz&b=%', '\u0000\u0001',
    ),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 1, arbitrary: fc.integer({ min: 5_000, max: 40_000 }).map((n) => JSON.stringify({ secret: 'x'.repeat(n) })) },
);

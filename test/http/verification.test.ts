/**
 * Failed verifications counted against the order the number resolved to (issue 10, items 5 and 8):
 * the order's number, its gateway transaction number and its legacy number are one order; strangers
 * cannot lock its buyer out; a refused try is answered exactly like a wrong secret or an unknown
 * order; every failed verification of an existing order leaves an audit row and a log line, never
 * the guessed secret.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { eq } from 'drizzle-orm';
import { auditLog } from '../../src/db/schema.ts';
import { createApp } from '../../src/http/app.ts';
import { customerCheck, VERIFICATION_FAILURE_FLOOR_MS } from '../../src/engine/customer-check.ts';
import { createBuyerLimits } from '../../src/http/rate-limits.ts';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { servicesWithWorld } from '../support/services.ts';
import { BROWSER_WORLD, Browser, ORDERS, pageApp } from '../pages/support.ts';
import { NO_LOG_CONTEXT } from '../../src/observability/context.ts';

let tdb: TestDatabase;
let svc: Services;

beforeAll(async () => {
  tdb = await testDatabase();
  // behind a proxy, so that each request can come from its own address (X-Forwarded-For)
  svc = await servicesWithWorld(tdb.database, BROWSER_WORLD, { SANDBOX: 'on', TRUST_PROXY: 'on' });
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** the migrated order K2026112210011: its own number, its legacy number, its EPay trade number */
const MIGRATED = { secret: '519274', numbers: ['K2026112210011', 'L2025110300144', '2026112210000090011'] };

describe('failures count against the resolved order (security)', () => {
  it('whichever number is typed, one order; guarded, it still opens for its buyer from elsewhere', async () => {
    const limits = createBuyerLimits(true, () => 1_000_000);
    const check = (ip: string, orderNo: string, secret: string) =>
      customerCheck(svc, { orderNo, secret, ip, guard: limits.verification(ip), logContext: NO_LOG_CONTEXT });
    // 20 wrong guesses from 20 networks, spread over the three numbers: 20 failures of ONE order
    const guesses = await Promise.all(Array.from({ length: 20 }, (_, i) => check(`10.${i}.0.1`, MIGRATED.numbers[i % 3]!, `0000${i}`)));
    expect(guesses.every((g) => !g.ok)).toBe(true);
    // a network that failed twice on the order gets no more tries on it, by any of its numbers
    await check('10.0.0.1', MIGRATED.numbers[1]!, '99999');
    const started = performance.now();
    const refused = await check('10.0.0.1', MIGRATED.numbers[2]!, MIGRATED.secret);
    expect(refused).toEqual({ ok: false, error: 'verification_failed' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(VERIFICATION_FAILURE_FLOOR_MS - 10);
    // the buyer, from anywhere else, by any number
    const buyer = await check('192.0.2.50', MIGRATED.numbers[1]!, MIGRATED.secret);
    expect(buyer.ok && buyer.result.orderNo).toBe('K2026112210011');
  });

  it('a failed verification of an existing order is audited and logged, without the secret; an unknown number is not', async () => {
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    const before = await svc.database.db.select().from(auditLog).where(eq(auditLog.action, 'verification_failed'));
    await customerCheck(svc, { orderNo: MIGRATED.numbers[2]!, secret: 'guess-7431', ip: '198.51.100.3', log, logContext: NO_LOG_CONTEXT });
    await customerCheck(svc, { orderNo: 'K2099123100001', secret: 'guess-7431', ip: '198.51.100.3', log, logContext: NO_LOG_CONTEXT });
    // rows come back in no promised order: the new one is the one not there before
    const seen = new Set(before.map((r) => r.id));
    const rows = (await svc.database.db.select().from(auditLog).where(eq(auditLog.action, 'verification_failed'))).filter((r) => !seen.has(r.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ orderNo: 'K2026112210011', actorKind: 'customer', actorId: '198.51.100.3' });
    expect(rows[0]!.detail).toMatchObject({ asked: MIGRATED.numbers[2] });
    expect(JSON.stringify(rows)).not.toContain('guess-7431');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('K2026112210011');
    expect(lines.join('\n')).not.toContain('guess-7431');
  });

  it('the API logs each failed verification of an order, never the secret', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const res = await createApp(svc).request(`/api/v1/orders/${ORDERS.unpaid.no}/check`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.4' }, body: JSON.stringify({ secret: 'guess-5550' }),
    });
    expect(res.status).toBe(404);
    const lines = warn.mock.calls.map((c) => c.join(' '));
    expect(lines.filter((l) => l.includes(ORDERS.unpaid.no) && l.includes('198.51.100.4'))).toHaveLength(1);
    expect(lines.join('\n')).not.toContain('guess-5550');
  });
});

describe('strangers cannot lock the buyer out (API and page)', () => {
  const json = (secret: string) => ({ method: 'POST', body: JSON.stringify({ secret }) });
  const from = (ip: string) => ({ 'content-type': 'application/json', 'x-forwarded-for': `192.168.0.1, ${ip}` });

  it('20 junk tries of an order from anyone: its buyer still gets in, on the API', async () => {
    const app = createApp(svc, { limits: createBuyerLimits(true, () => 2_000_000) });
    const no = ORDERS.delivered.no;
    const junk = await Promise.all(Array.from({ length: 24 }, (_, i) =>
      app.request(`/api/v1/orders/${no}/check`, { ...json(`1${i}`), headers: from(`10.20.${i}.1`) })));
    expect(junk.map((r) => r.status)).toEqual(Array(24).fill(404));
    const buyer = await app.request(`/api/v1/orders/${no}/check`, { ...json(ORDERS.delivered.secret), headers: from('198.51.100.77') });
    expect(buyer.status).toBe(200);
  });

  it('a refused try, a wrong secret and an unknown order get the very same answer after the same floor', async () => {
    const limits = createBuyerLimits(true, () => 3_000_000);
    const app = createApp(svc, { limits });
    const no = ORDERS.inProgress.no;
    // the order is guarded and 203.0.113.5 already failed on it twice
    for (let i = 0; i < 18; i++) await limits.verification(`10.30.${i}.1`).failed(no, false);
    await limits.verification('203.0.113.5').failed(no, false);
    await limits.verification('203.0.113.5').failed(no, false);
    const time = async (orderNo: string, secret: string, ip: string) => {
      const t = performance.now();
      const res = await app.request(`/api/v1/orders/${orderNo}/check`, { ...json(secret), headers: from(ip) });
      return { status: res.status, body: await res.text(), ms: performance.now() - t };
    };
    const [refused, wrong, unknown] = await Promise.all([
      time(no, ORDERS.inProgress.secret, '203.0.113.5'),
      time(no, '0000', '198.18.0.6'),
      time('K2099010100002', '0000', '198.18.1.7'),
    ]);
    for (const r of [refused, wrong, unknown]) {
      expect(r.status).toBe(404);
      expect(r.body).toBe(unknown.body);
      expect(r.ms).toBeGreaterThanOrEqual(VERIFICATION_FAILURE_FLOOR_MS - 10);
    }
    expect(Math.abs(refused.ms - unknown.ms)).toBeLessThan(300);
  });

  it('the page counts the resolved order too: refused like a wrong secret, the buyer gets in', async () => {
    const limits = createBuyerLimits(true, () => 4_000_000);
    const page = pageApp(svc, limits);
    const no = ORDERS.refunded.no;
    for (let i = 0; i < 18; i++) await limits.verification(`10.40.${i}.1`).failed(no, false);
    // the same stranger, typing the gateway's transaction number of the same order
    for (let i = 0; i < 2; i++) await limits.verification('203.0.113.8').failed(no, false);
    const stranger = new Browser(page);
    const refused = await stranger.post('/lookup', { csrf: await stranger.csrf(), orderNo: '2026112222001490000000090007', secret: ORDERS.refunded.secret }, { 'x-forwarded-for': '203.0.113.8' });
    const unknown = await stranger.post('/lookup', { csrf: await stranger.csrf(), orderNo: 'K2099010100003', secret: ORDERS.refunded.secret }, { 'x-forwarded-for': '198.18.2.9' });
    expect(refused.status).toBe(404);
    expect(await refused.text()).toBe(await unknown.text());
    const buyer = new Browser(page);
    const ok = await buyer.post('/lookup', { csrf: await buyer.csrf(), orderNo: no, secret: ORDERS.refunded.secret }, { 'x-forwarded-for': '198.51.100.78' });
    expect(ok.status).toBe(303);
  });
});

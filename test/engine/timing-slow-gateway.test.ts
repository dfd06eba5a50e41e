/**
 * Timing tells no order numbers apart, even when the gateways are slow (security). An unknown
 * number is also asked of every gateway as a transaction number (engine/resolve.ts); those
 * lookups are capped (TRADE_LOOKUP_TIMEOUT_MS) below the floor every failed verification waits
 * out (VERIFICATION_FAILURE_FLOOR_MS), so with gateways answering after 2 s an unknown number and
 * a wrong secret for a real order still answer alike: the same status and body, and times within
 * a few tens of milliseconds. A cap at or above the floor shows at once: the unknown number then
 * answers when the cap runs out, not at the floor.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { VERIFICATION_FAILURE_FLOOR_MS } from '../../src/engine/customer-check.ts';
import { TRADE_LOOKUP_TIMEOUT_MS } from '../../src/engine/resolve.ts';
import { createApp } from '../../src/http/app.ts';
import { createBuyerLimits } from '../../src/http/rate-limits.ts';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { paidOrdersWorld, servicesWithWorld } from '../support/services.ts';

/** every sandbox upstream answers this late: far past the cap */
const GATEWAY_LATENCY_MS = 2_000;
const RUNS = 10;
/** how far apart the two medians may be: well under the floor's margin over the cap */
const TOLERANCE_MS = 60;

const ORDER = { no: 'K2026112200001', secret: '8462' };
const UNKNOWN = 'K2099999999998';

let tdb: TestDatabase;
let svc: Services;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  vi.spyOn(console, 'warn').mockImplementation(() => {}); // a line per failed verification of the real order
  tdb = await testDatabase();
  // a generous checker timeout: the cap, not the checker's own deadline, must bound the lookup
  svc = await servicesWithWorld(tdb.database, paidOrdersWorld({ orders: 1, stock: 1 }), {
    SANDBOX_LATENCY_MS: String(GATEWAY_LATENCY_MS), CHECKER_TIMEOUT_MS: '10000',
  });
  app = createApp(svc, { limits: createBuyerLimits(false) });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await svc?.close();
  await tdb?.drop();
});

async function check(orderNo: string, secret: string) {
  const started = performance.now();
  const res = await app.request(`/api/v1/orders/${orderNo}/check`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret }),
  });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - started };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

describe('an unknown number and a wrong secret, with gateways slower than the floor (security)', () => {
  it('the cap on transaction-number lookups is below the failure floor', () => {
    expect(TRADE_LOOKUP_TIMEOUT_MS).toBeLessThan(VERIFICATION_FAILURE_FLOOR_MS);
  });

  it(`answer alike: same status and body, medians within ${TOLERANCE_MS} ms over ${RUNS} runs each`, async () => {
    // a first pair warms the gateways' key imports and the database's statements
    await Promise.all([check(UNKNOWN, '0000'), check(ORDER.no, '0000')]);
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // each pair side by side, so both meet the same load
      const [u, w] = await Promise.all([check(UNKNOWN, ORDER.secret), check(ORDER.no, `0${i}`)]);
      expect(u.status).toBe(404);
      expect(w.status).toBe(404);
      expect(u.body).toBe(w.body);
      unknown.push(u.ms);
      wrong.push(w.ms);
    }
    const mu = median(unknown);
    const mw = median(wrong);
    console.log(`slow gateways (${GATEWAY_LATENCY_MS} ms): unknown median ${mu.toFixed(0)} ms, wrong secret median ${mw.toFixed(0)} ms`);
    for (const ms of [...unknown, ...wrong]) expect(ms).toBeGreaterThanOrEqual(VERIFICATION_FAILURE_FLOOR_MS - 5);
    expect(Math.abs(mu - mw)).toBeLessThan(TOLERANCE_MS);
    // and neither waited for the gateways themselves
    expect(Math.max(mu, mw)).toBeLessThan(VERIFICATION_FAILURE_FLOOR_MS + TOLERANCE_MS * 2);
  }, 60_000);
});

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ACTIONS, CHANNELS, VERDICTS } from '../../src/domain/verdicts.ts';
import { GATEWAY_STATES } from '../../src/sandbox/types.ts';
import { parseScenario, type Scenario } from '../../src/world/schema.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readJson = (path: string): unknown => JSON.parse(readFileSync(root + path, 'utf8'));

/** The example of ../shared/spec/scenarios.md, verbatim. */
function specExample(): any {
  return {
    name: 'callback lost, stock available',
    now: '2026-11-22T10:00:00+08:00',
    products: [{ sku: 'STEAM-100', title: 'Steam 钱包充值卡 100元', priceCents: 10000, fulfilment: 'stock', deliveryWindowMinutes: 10 }],
    stock: [{ sku: 'STEAM-100', keys: ['S100-AAAA-0001', 'S100-AAAA-0002'] }],
    orders: [
      {
        orderNo: 'K202611220001', sku: 'STEAM-100', quantity: 1, amountCents: 10000, channel: 'alipay', status: 'pending',
        createdAt: '2026-11-22T09:40:00+08:00', querySecret: '8462', contact: 'buyer@example.com', keys: [], supplier: null,
      },
    ],
    gateway: { K202611220001: { state: 'paid', amountCents: 10000, paidAt: '2026-11-22T09:41:10+08:00', tradeNo: '2026112222001400001' } },
    legacy: { orders: [], migration: {} },
    checks: [
      { orderNo: 'K202611220001', as: 'customer', secret: '8462', expect: { verdict: 'PAID_NOT_DELIVERED', action: 'reissued', keysHeld: 1 } },
      { orderNo: 'K202611220001', as: 'customer', secret: '8462', expect: { verdict: 'DELIVERED', action: 'none', keysHeld: 1 } },
    ],
  };
}

/** A world with three orders, a supplier product and legacy data, to break in one place per test. */
function richWorld(): any {
  const w = specExample();
  w.products.push({ sku: 'AS-200', title: 'App Store 充值卡 200元', priceCents: 20000, fulfilment: 'supplier', deliveryWindowMinutes: 30 });
  const base = w.orders[0];
  w.orders.push({ ...base, orderNo: 'K202611220002', keys: [{ secret: 'S100-BBBB-0001', status: 'voided' }] });
  w.orders.push({ ...base, orderNo: 'K202611220003', sku: 'AS-200', amountCents: 20000, supplier: { state: 'processing', since: '2026-11-22T09:41:00+08:00' } });
  w.legacy.orders.push({ orderNo: 'L1', sku: 'STEAM-100', quantity: 1, amountCents: 10000, status: 'delivered', paidAt: '2025-10-01T10:00:00+08:00', querySecret: '1111', keys: ['S100-OLD-1'] });
  w.legacy.migration.L1 = { state: 'migrated', batch: 'B3', newOrderNo: 'K202611220002' };
  return w;
}

function errorOf(json: unknown): string {
  const r = parseScenario(json);
  if (r.ok) throw new Error('expected the scenario to be rejected');
  return r.error;
}

describe('parseScenario.happy', () => {
  it('accepts the example of the spec and keeps its values', () => {
    const r = parseScenario(specExample());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.scenario.orders[0]?.amountCents).toBe(10000);
    expect(r.scenario.gateway.K202611220001?.state).toBe('paid');
    expect(r.scenario.checks).toHaveLength(2);
  });

  it('accepts a world with supplier orders and a migration', () => {
    expect(parseScenario(richWorld())).toMatchObject({ ok: true });
  });

  it('defaults the collections a world may omit, and key.replacement to false', () => {
    const w = specExample();
    delete w.stock; delete w.gateway; delete w.legacy; delete w.checks;
    w.orders[0].keys = [{ secret: 'S100-X', status: 'delivered' }];
    const r = parseScenario(w);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.scenario.stock).toEqual([]);
    expect(r.scenario.gateway).toEqual({});
    expect(r.scenario.legacy).toEqual({ orders: [], migration: {} });
    expect(r.scenario.checks).toEqual([]);
    expect(r.scenario.orders[0]?.keys[0]?.replacement).toBe(false);
  });

  it('accepts a customer check without a secret (it simply fails verification when run)', () => {
    const w = specExample();
    delete w.checks[0].secret;
    expect(parseScenario(w).ok).toBe(true);
  });
});

describe('parseScenario.error: field problems name the JSON path', () => {
  it.each<[string, (w: any) => void, string]>([
    ['a fractional amount', (w) => { w.orders[2].amountCents = 10.5; }, 'orders[2].amountCents: expected integer'],
    ['an amount given as a string', (w) => { w.orders[1].amountCents = '100.00'; }, 'orders[1].amountCents: expected number'],
    ['a negative amount', (w) => { w.orders[0].amountCents = -1; }, 'orders[0].amountCents: expected integer >= 0'],
    ['a zero quantity', (w) => { w.orders[0].quantity = 0; }, 'orders[0].quantity: expected integer >= 1'],
    ['an unknown check role', (w) => { w.checks[0].as = 'admin'; }, 'checks[0].as: expected one of customer|agent|sweep'],
    ['an unknown field', (w) => { w.products[0].colour = 'red'; }, 'products[0].colour: unknown field'],
    ['a time without offset', (w) => { w.now = '2026-11-22T10:00:00'; }, 'now: expected ISO-8601 time with offset'],
    ['a date without time', (w) => { w.orders[0].createdAt = '2026-11-22'; }, 'orders[0].createdAt: expected ISO-8601 time with offset'],
    ['a missing required field', (w) => { delete w.orders[1].querySecret; }, 'orders[1].querySecret: required'],
    ['an unknown channel', (w) => { w.orders[0].channel = 'alipy'; }, 'orders[0].channel: expected one of alipay|wechat|epay|stripe|paypal|usdt'],
    ['an unknown gateway state', (w) => { w.gateway.K202611220001.state = 'ok'; },
      `gateway.K202611220001.state: expected one of ${GATEWAY_STATES.join('|')}`],
    ['an unknown key status', (w) => { w.orders[1].keys[0].status = 'used'; }, 'orders[1].keys[0].status: expected one of delivered|voided'],
    ['a supplier answer that is not an object', (w) => { w.orders[2].supplier = 'done'; }, 'orders[2].supplier: expected object'],
    ['an unknown supplier state', (w) => { w.orders[2].supplier.state = 'queued'; }, 'orders[2].supplier.state: expected one of processing|success|failed'],
    ['an unknown expected verdict', (w) => { w.checks[1].expect.verdict = 'DELIVERD'; }, `checks[1].expect.verdict: expected one of ${VERDICTS.join('|')}`],
    ['an unknown field in expect', (w) => { w.checks[1].expect.note = 'x'; }, 'checks[1].expect.note: unknown field'],
    ['an unknown migration state', (w) => { w.legacy.migration.L1.state = 'done'; }, 'legacy.migration.L1.state: expected one of pending|migrated|failed|conflict'],
    ['an unknown top-level field', (w) => { w.note = 'why'; }, 'note: unknown field'],
    ['an empty order number', (w) => { w.orders[0].orderNo = ''; }, 'orders[0].orderNo: must not be empty'],
    ['orders that are not a list', (w) => { w.orders = {}; }, 'orders: expected array'],
  ])('%s', (_what, breakIt, message) => {
    const w = richWorld();
    breakIt(w);
    expect(errorOf(w)).toBe(message);
  });

  it('reports a file that is not an object at the root', () => {
    expect(errorOf([])).toBe('(root): expected object');
    expect(errorOf(null)).toBe('(root): expected object');
  });

  it('reports the first problem in document order, not in schema order', () => {
    const w = richWorld();
    w.checks[0].as = 'admin';
    w.orders[1].amountCents = 1.5;
    w.products[0].colour = 'red';
    expect(errorOf(w)).toBe('products[0].colour: unknown field');
    delete w.products[0].colour;
    expect(errorOf(w)).toBe('orders[1].amountCents: expected integer');
  });

  it('follows the order of the file when it differs from the schema', () => {
    const w = richWorld();
    w.products[0] = { colour: 'red', ...w.products[0], priceCents: '100' };
    expect(errorOf(w)).toBe('products[0].colour: unknown field');
    const { checks, ...rest } = richWorld();
    checks[0].as = 'admin';
    rest.orders[0].amountCents = 1.5;
    expect(errorOf({ checks, ...rest })).toBe('checks[0].as: expected one of customer|agent|sweep');
  });

  it('quotes map keys that are not plain words', () => {
    const w = richWorld();
    w.gateway['K 1'] = { state: 'nope' };
    expect(errorOf(w)).toMatch(/^gateway\["K 1"\]\.state: expected one of paid\|/);
  });
});

describe('parseScenario.error: cross references', () => {
  it.each<[string, (w: any) => void, string]>([
    ['an order of an unknown product', (w) => { w.orders[1].sku = 'NOPE'; }, 'orders[1].sku: no product NOPE'],
    ['stock of an unknown product', (w) => { w.stock[0].sku = 'NOPE'; }, 'stock[0].sku: no product NOPE'],
    ['a duplicate product', (w) => { w.products.push({ ...w.products[0] }); }, 'products[2].sku: duplicate sku STEAM-100'],
    ['a duplicate order number', (w) => { w.orders[2].orderNo = 'K202611220001'; }, 'orders[2].orderNo: duplicate orderNo K202611220001'],
    ['a gateway answer for no order', (w) => { w.gateway.K999 = { state: 'unpaid' }; }, 'gateway.K999: no order K999 in orders'],
    ['a gateway answer for a legacy-only order', (w) => { w.gateway.L1 = { state: 'paid' }; }, 'gateway.L1: no order L1 in orders'],
    ['a migration of no legacy order', (w) => { w.legacy.migration.L2 = { state: 'pending' }; }, 'legacy.migration.L2: no legacy order L2 in legacy.orders'],
    ['a migration to no new order', (w) => { w.legacy.migration.L1.newOrderNo = 'K404'; }, 'legacy.migration.L1.newOrderNo: no order K404 in orders'],
    ['a migrated ledger entry without its new order', (w) => { delete w.legacy.migration.L1.newOrderNo; }, 'legacy.migration.L1.newOrderNo: required when state is migrated'],
    ['an eta on a finished migration', (w) => { w.legacy.migration.L1.eta = '2026-11-23T02:00:00+08:00'; }, 'legacy.migration.L1.eta: only a pending migration has an eta'],
    ['a legacy order of an unknown product', (w) => { w.legacy.orders[0].sku = 'GONE'; }, 'legacy.orders[0].sku: no product GONE'],
    ['a card key both in stock and on an order', (w) => { w.orders[1].keys[0].secret = 'S100-AAAA-0002'; },
      'orders[1].keys[0].secret: duplicate card key S100-AAAA-0002 (also stock[0].keys[1])'],
    ['a card key twice in stock', (w) => { w.stock[0].keys.push('S100-AAAA-0001'); }, 'stock[0].keys[2]: duplicate card key S100-AAAA-0001 (also stock[0].keys[0])'],
    ['a supplier answer on a stock product', (w) => { w.orders[0].supplier = { state: 'processing', since: '2026-11-22T09:41:00+08:00' }; },
      'orders[0].supplier: product STEAM-100 does not ship from a supplier'],
    ['apply on a customer check', (w) => { w.checks[1].apply = true; }, 'checks[1].apply: only agent checks take apply'],
  ])('%s', (_what, breakIt, message) => {
    const w = richWorld();
    breakIt(w);
    expect(errorOf(w)).toBe(message);
  });
});

// ---------------------------------------------------------------------------------------------
// the scenario library

const scenarioFiles = readdirSync(root + 'fixtures/scenarios').filter((f) => f.endsWith('.json')).sort();
const library: [string, Scenario][] = scenarioFiles.map((f) => {
  const r = parseScenario(readJson(`fixtures/scenarios/${f}`));
  if (!r.ok) throw new Error(`fixtures/scenarios/${f}: ${r.error}`);
  return [f, r.scenario];
});
const allChecks = library.flatMap(([, s]) => s.checks.map((c) => ({ s, c })));

describe('fixtures/scenarios', () => {
  it('holds at least 28 files, every one valid', () => {
    expect(scenarioFiles.length).toBeGreaterThanOrEqual(28);
    for (const f of scenarioFiles) expect(parseScenario(readJson(`fixtures/scenarios/${f}`)), f).toMatchObject({ ok: true });
  });

  it('expects every verdict and every action somewhere', () => {
    const verdicts = new Set(allChecks.map(({ c }) => c.expect?.verdict));
    const actions = new Set(allChecks.map(({ c }) => c.expect?.action));
    expect(VERDICTS.filter((v) => !verdicts.has(v))).toEqual([]);
    expect(ACTIONS.filter((a) => !actions.has(a))).toEqual([]);
  });

  it('uses every channel and every gateway state', () => {
    const orders = library.flatMap(([, s]) => s.orders);
    expect(CHANNELS.filter((ch) => !orders.some((o) => o.channel === ch))).toEqual([]);
    const states = new Set(library.flatMap(([, s]) => Object.values(s.gateway).map((g) => g.state)));
    expect(GATEWAY_STATES.filter((st) => !states.has(st))).toEqual([]);
  });

  it('covers customer, agent (with and without apply) and sweep checks, and the verification failure', () => {
    expect(allChecks.some(({ c }) => c.as === 'sweep')).toBe(true);
    expect(allChecks.some(({ c }) => c.as === 'agent' && c.apply === true)).toBe(true);
    expect(allChecks.some(({ c }) => c.as === 'agent' && !c.apply && c.expect?.action === 'none' && c.expect.suggested === 'reissued')).toBe(true);
    expect(allChecks.some(({ c }) => c.as === 'customer' && c.expect?.error === 'verification_failed')).toBe(true);
  });

  it('expects an agent that did not apply to have changed nothing (action none)', () => {
    for (const { s, c } of allChecks) {
      if (c.as === 'agent' && !c.apply && c.expect?.action !== undefined) expect(c.expect.action, `${s.name}: ${c.orderNo}`).toBe('none');
    }
  });

  it('gives customer checks of known orders the right secret unless they expect the verification failure', () => {
    for (const { s, c } of allChecks) {
      if (c.as !== 'customer') continue;
      const secret = s.orders.find((o) => o.orderNo === c.orderNo)?.querySecret ?? s.legacy.orders.find((o) => o.orderNo === c.orderNo)?.querySecret;
      const expectsFailure = c.expect?.error === 'verification_failed';
      expect(secret !== undefined && c.secret === secret, `${s.name}: ${c.orderNo}`).toBe(!expectsFailure);
    }
  });

  it('keeps times consistent: created before now, paid after created, supplier after paid', () => {
    for (const [f, s] of library) {
      const now = Date.parse(s.now);
      for (const o of s.orders) {
        const created = Date.parse(o.createdAt);
        expect(created, `${f} ${o.orderNo}`).toBeLessThan(now);
        const paidAt = [o.paidAt, s.gateway[o.orderNo]?.paidAt].filter((t) => t !== undefined).map((t) => Date.parse(t));
        for (const p of paidAt) expect(p > created && p <= now, `${f} ${o.orderNo} paidAt`).toBe(true);
        if (o.supplier) expect(Date.parse(o.supplier.since) <= now, `${f} ${o.orderNo} supplier`).toBe(true);
      }
      for (const l of s.legacy.orders) if (l.paidAt) expect(Date.parse(l.paidAt)).toBeLessThan(now);
    }
  });

  it('uses 4-8 digit query secrets and card keys that appear once per file (legacy proofs aside)', () => {
    for (const [f, s] of library) {
      for (const o of [...s.orders, ...s.legacy.orders]) expect(o.querySecret, `${f} ${o.orderNo}`).toMatch(/^\d{4,8}$/);
      const cardKeys = [...s.stock.flatMap((st) => st.keys), ...s.orders.flatMap((o) => [...o.keys.map((k) => k.secret), ...(o.supplier?.keys ?? [])])];
      expect(new Set(cardKeys).size, f).toBe(cardKeys.length);
    }
  });
});

describe('fixtures/scenarios/gateway-states-*.json', () => {
  const NOT_PAID = { verdict: 'NOT_PAID', action: 'none', keysHeld: 0 };
  const FAULT = { verdict: 'UPSTREAM_UNAVAILABLE', action: 'deferred', keysHeld: 0 };
  const PAID = { verdict: 'PAID_NOT_DELIVERED', action: 'reissued', keysHeld: 1 };
  const common = {
    paid: PAID, unpaid: NOT_PAID, in_progress: NOT_PAID, not_found: NOT_PAID,
    closed: { verdict: 'PAYMENT_CLOSED', action: 'none', keysHeld: 0 }, refunded: { verdict: 'REFUNDED', action: 'none', keysHeld: 0 },
    failed: { verdict: 'PAYMENT_FAILED', action: 'none', keysHeld: 0 },
    unreachable: FAULT, timeout: FAULT, http_500: FAULT, malformed: FAULT, bad_signature: FAULT, stale: FAULT,
  };
  // Where a protocol cannot express a state, the sandbox renders the nearest answer it can.
  const expected: Record<string, Record<string, object>> = {
    alipay: { ...common, failed: NOT_PAID, stale: PAID }, // no PAYERROR-like state; no timestamp in the answer
    wechat: common,
    epay: { ...common, closed: NOT_PAID, failed: NOT_PAID }, // only statuses 0-4 and "订单号不存在"
  };

  it.each(CHANNELS)('%s: one order per gateway state, each checked once by its customer with the verdict that state leads to', (channel) => {
    const s = library.find(([f]) => f === `gateway-states-${channel}.json`)?.[1];
    if (!s) throw new Error(`gateway-states-${channel}.json missing`);
    expect(s.orders.every((o) => o.channel === channel)).toBe(true);
    const byState = new Map(s.orders.map((o) => [s.gateway[o.orderNo]?.state, o]));
    expect([...byState.keys()].sort()).toEqual([...GATEWAY_STATES].sort());
    expect(s.checks).toHaveLength(GATEWAY_STATES.length);
    for (const state of GATEWAY_STATES) {
      const order = byState.get(state)!;
      const checks = s.checks.filter((c) => c.orderNo === order.orderNo);
      expect(checks, state).toHaveLength(1);
      expect(checks[0]?.as).toBe('customer');
      expect(checks[0]?.expect, `${channel} ${state}`).toEqual(expected[channel]?.[state]);
    }
  });
});

describe('fixtures/demo-world.json', () => {
  const r = parseScenario(readJson('fixtures/demo-world.json'));
  const doc = readFileSync(root + 'docs/demo-orders.md', 'utf8');

  it('is a valid world without checks', () => {
    expect(r).toMatchObject({ ok: true, scenario: { checks: [] } });
  });

  it('has a dozen orders on all three channels with distinct 4-6 digit secrets, each listed in docs/demo-orders.md', () => {
    if (!r.ok) throw new Error(r.error);
    const w = r.scenario;
    expect(w.orders.length).toBeGreaterThanOrEqual(12);
    expect(new Set(w.orders.map((o) => o.channel))).toEqual(new Set(CHANNELS));
    const all = [...w.orders, ...w.legacy.orders.filter((l) => !w.orders.some((o) => o.querySecret === l.querySecret))];
    const secrets = all.map((o) => o.querySecret);
    expect(new Set(secrets).size).toBe(secrets.length);
    for (const o of all) {
      expect(o.querySecret).toMatch(/^\d{4,6}$/);
      expect(doc).toContain(`| \`${o.orderNo}\` | \`${o.querySecret}\` |`);
    }
  });
});

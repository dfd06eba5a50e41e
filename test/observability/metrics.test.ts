/**
 * GET /metrics (issue 10, item 9; interfaces.md): the Prometheus series after some traffic and a
 * sweep, readable from this machine or with an agent token only, labels that never carry an order
 * number, and a scrape that answers even when the database does not.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { createAgent } from '../../src/engine/agents.ts';
import { createApp } from '../../src/http/app.ts';
import { runSweep } from '../../src/jobs/sweep.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { from, LOOPBACK } from '../support/remote.ts';
import { paidOrdersWorld } from '../support/services.ts';
import { json, servicesLogging } from './support.ts';

const REMOTE = from('203.0.113.7');

let tdb: TestDatabase;
let svc: Services;
let app: ReturnType<typeof createApp>;
let token: string;
let world: ReturnType<typeof paidOrdersWorld>;

beforeAll(async () => {
  tdb = await testDatabase();
  world = paidOrdersWorld({ orders: 4, stock: 2 });
  svc = await servicesLogging(tdb.database, world, silentLogger());
  app = createApp(svc);
  token = (await createAgent(svc, 'prometheus')).token;
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

async function scrape(env: object = LOOPBACK, headers: Record<string, string> = {}) {
  const res = await app.request('/metrics', { headers }, env);
  return { res, text: await res.text() };
}

/** every sample line's labels, as name -> value pairs */
function samples(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(l);
    if (!m) throw new Error(`not a sample line: ${l}`);
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    return { name: m[1]!, labels, value: Number(m[3]) };
  });
}

const value = (text: string, name: string, labels: Record<string, string> = {}) =>
  samples(text).find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('/metrics after some traffic and a sweep', () => {
  let text: string;
  beforeAll(async () => {
    const check = (no: string, secret = '8462') => app.request(`/api/v1/orders/${no}/check`, json({ secret }));
    expect((await check('K2026112200001')).status).toBe(200);
    expect((await check('K2026112200002')).status).toBe(200);
    expect((await check('K2026112200003', '0000')).status).toBe(404);
    expect((await app.request('/api/v1/agent/orders/K2026112200003/diagnose', json({}, { authorization: `Bearer ${token}` }))).status).toBe(200);
    expect((await app.request('/orders/K2026112200004/anything')).status).toBe(404);
    expect((await app.request('/api/v1/orders/K2026112200004/check')).status).toBe(405);
    // a row waiting two minutes for a sweeper
    await svc.database.rows(sql`insert into sweep_queue (order_no, reason, next_at, enqueued_at, channel)
      values ('K2026112200099', 'stuck', ${new Date(svc.now().getTime() - 120_000).toISOString()}::timestamptz, ${svc.now().toISOString()}::timestamptz, 'alipay')`);
    const before = await scrape();
    expect(value(before.text, 'sweep_lag_seconds')).toBe(120);
    expect(value(before.text, 'sweep_queue_depth', { state: 'due' })).toBeGreaterThanOrEqual(1);
    await runSweep(svc, { sweeperId: 'metrics', log: () => {} });
    ({ text } = await scrape());
  });

  it('is the Prometheus text format, not cached', async () => {
    const { res } = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(() => samples(text)).not.toThrow();
  });

  it('counts requests and their latency per route pattern', () => {
    const route = '/api/v1/orders/:orderNo/check';
    expect(value(text, 'http_requests_total', { route, method: 'POST', status: '200' })).toBe(2);
    expect(value(text, 'http_requests_total', { route, method: 'POST', status: '404' })).toBe(1);
    expect(value(text, 'http_requests_total', { route, method: 'GET', status: '405' })).toBe(1);
    expect(value(text, 'http_requests_total', { route: 'unmatched', method: 'GET', status: '404' })).toBe(1);
    expect(value(text, 'http_requests_total', { route: '/api/v1/agent/orders/:orderNo/diagnose', method: 'POST', status: '200' })).toBe(1);
    expect(value(text, 'http_request_duration_seconds_count', { route })).toBe(4);
    expect(value(text, 'http_request_duration_seconds_bucket', { route, le: '+Inf' })).toBe(4);
  });

  it('times the upstream calls per upstream and outcome', () => {
    expect(value(text, 'upstream_request_duration_seconds_count', { upstream: 'alipay', outcome: '2xx' })).toBeGreaterThanOrEqual(3);
    expect(value(text, 'upstream_request_duration_seconds_sum', { upstream: 'alipay', outcome: '2xx' })).toBeGreaterThan(0);
  });

  it('counts diagnoses by verdict, action and who asked', () => {
    expect(value(text, 'diagnoses_total', { verdict: 'PAID_NOT_DELIVERED', action: 'reissued', actor: 'customer' })).toBe(2);
    expect(value(text, 'diagnoses_total', { actor: 'agent' })).toBe(1);
    expect(samples(text).filter((s) => s.name === 'diagnoses_total' && s.labels.actor === 'sweep').length).toBeGreaterThanOrEqual(1);
  });

  it('shows each upstream\'s circuit breaker, the sweep queue and its lag, and the outbox', () => {
    for (const upstream of ['alipay', 'wechatpay', 'epay', 'supplier']) expect(value(text, 'circuit_breaker_open', { upstream })).toBe(0);
    for (const state of ['due', 'leased', 'scheduled', 'waiting_stock']) expect(value(text, 'sweep_queue_depth', { state })).toBeTypeOf('number');
    expect(value(text, 'sweep_queue_depth', { state: 'leased' })).toBe(0); // the sweep let go of everything
    expect(value(text, 'sweep_lag_seconds')).toBe(0); // it took the waiting row
    for (const status of ['pending', 'sending', 'failed', 'unknown']) expect(value(text, 'mail_outbox_depth', { status })).toBe(0);
    expect(value(text, 'metrics_database_ok')).toBe(1);
  });

  it('never puts an order number, a transaction number or a path into a label', () => {
    const numbers = [...world.orders.map((o) => o.orderNo), ...Object.values(world.gateway).map((g) => g.tradeNo), 'K2026112200099'];
    const labels = samples(text).flatMap((s) => Object.values(s.labels));
    expect(labels.length).toBeGreaterThan(50);
    for (const label of labels) {
      expect(label).not.toMatch(/\d{8,}/);
      for (const no of numbers) expect(label).not.toContain(no);
    }
  });
});

describe('who may read /metrics', () => {
  it('a client on this machine, without a token', async () => {
    expect((await scrape(LOOPBACK)).res.status).toBe(200);
    expect((await scrape(from('::1'))).res.status).toBe(200);
  });

  it('anyone else: 401 with a challenge, unless an agent token comes with it', async () => {
    const none = await scrape(REMOTE);
    expect(none.res.status).toBe(401);
    expect(none.res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(none.text).not.toContain('http_requests_total');
    expect((await scrape(REMOTE, { authorization: 'Bearer od_wrongwrongwrongwrongwrong' })).res.status).toBe(401);
    const agent = await scrape(REMOTE, { authorization: `Bearer ${token}` });
    expect(agent.res.status).toBe(200);
    expect(agent.text).toContain('http_requests_total');
  });

  it('a loopback socket that a proxy forwarded counts as remote', async () => {
    expect((await scrape(LOOPBACK, { 'x-forwarded-for': '203.0.113.7' })).res.status).toBe(401);
    expect((await scrape(LOOPBACK, { forwarded: 'for=203.0.113.7' })).res.status).toBe(401);
  });

  it('other methods are 405', async () => {
    const res = await app.request('/metrics', { method: 'POST' }, LOOPBACK);
    expect(res.status).toBe(405);
  });
});

describe('a scrape while the database hangs or fails', () => {
  const never = () => new Promise<never>(() => {});
  const database = (execute: () => Promise<unknown>): Database => {
    const db = new Proxy(svc.database.db, { get: (t, p, r) => (p === 'execute' ? execute : Reflect.get(t, p, r)) });
    return { ...svc.database, db, rows: () => execute() as Promise<never[]> };
  };

  for (const [name, execute] of [['hangs', never], ['fails', () => Promise.reject(new Error('ECONNREFUSED'))]] as const) {
    it(`${name}: answers within its deadline, lag -1, the depths left out`, async () => {
      const metrics = createMetrics({ database: database(execute), now: svc.now, scrapeTimeoutMs: 200 });
      metrics.watchBreakers(() => [{ upstream: 'alipay', state: 'open' }, { upstream: 'alipay', state: 'closed' }, { upstream: 'epay', state: 'half_open' }]);
      const started = performance.now();
      const text = await metrics.text();
      expect(performance.now() - started).toBeLessThan(1000);
      expect(value(text, 'sweep_lag_seconds')).toBe(-1);
      expect(value(text, 'metrics_database_ok')).toBe(0);
      expect(samples(text).filter((s) => s.name === 'sweep_queue_depth' || s.name === 'mail_outbox_depth')).toEqual([]);
      // what does not need the database is still there
      expect(value(text, 'circuit_breaker_open', { upstream: 'alipay' })).toBe(1);
      expect(value(text, 'circuit_breaker_open', { upstream: 'epay' })).toBe(1);
    });
  }

  it('a hanging read is not started again by every scrape', async () => {
    let reads = 0;
    const metrics = createMetrics({ database: database(() => { reads++; return never(); }), now: svc.now, scrapeTimeoutMs: 50 });
    for (let i = 0; i < 3; i++) await metrics.text();
    expect(reads).toBe(3); // the queue, the mail outbox and the webhook outbox, once
  });

  it('each Services has a registry of its own', () => {
    const other = createMetrics({ database: svc.database, now: svc.now });
    expect(other.registry).not.toBe(svc.metrics.registry);
  });
});

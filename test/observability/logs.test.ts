/**
 * Structured logs (issue 10, item 9): JSON lines, each naming the request it was written for
 * (reqId, handed down with the work through the checkers and the upstream calls) or the sweep
 * run (runId); an incoming x-request-id is kept when sane and echoed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { runSweep } from '../../src/jobs/sweep.ts';
import { createAgent } from '../../src/engine/agents.ts';
import { memoryLogger } from '../../src/observability/logger.ts';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { paidOrdersWorld } from '../support/services.ts';
import { json, servicesLogging } from './support.ts';

let tdb: TestDatabase;
let svc: Services;
let app: ReturnType<typeof createApp>;
const mem = memoryLogger('debug');
const ORDERS = ['K2026112200001', 'K2026112200002', 'K2026112200003'];

beforeAll(async () => {
  tdb = await testDatabase();
  const world = paidOrdersWorld({ orders: 4, stock: 4 });
  // the fourth order is not paid on the gateway: the sweep has something to look at
  delete (world.gateway as Record<string, unknown>)['K2026112200004'];
  svc = await servicesLogging(tdb.database, world, mem.logger);
  app = createApp(svc);
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

type Line = Record<string, unknown>;
const since = (n: number): Line[] => mem.lines.slice(n).map((l) => JSON.parse(l) as Line);

describe('log lines', () => {
  it('are one JSON object each, with level, time and message', async () => {
    const before = mem.lines.length;
    await app.request('/healthz');
    expect(mem.lines.length).toBeGreaterThan(before);
    for (const line of mem.lines) {
      expect(line.endsWith('\n')).toBe(true);
      expect(line.trimEnd()).not.toContain('\n');
      const o = JSON.parse(line) as Line;
      expect(typeof o.level).toBe('string');
      expect(Date.parse(String(o.time))).not.toBeNaN();
      expect(typeof o.msg).toBe('string');
    }
  });

  it('of one request all carry its id, through the checkers and the upstream calls; the id is echoed', async () => {
    const before = mem.lines.length;
    const res = await app.request(`/api/v1/orders/${ORDERS[0]}/check`, json({ secret: '8462' }, { 'x-request-id': 'lb-7f3a9c' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('lb-7f3a9c');
    const lines = since(before);
    expect(lines.map((l) => l.reqId)).toEqual(lines.map(() => 'lb-7f3a9c'));
    const msgs = lines.map((l) => l.msg);
    expect(msgs).toContain('upstream call');
    expect(msgs).toContain('diagnosis');
    expect(msgs.at(-1)).toBe('request');
    const upstream = lines.find((l) => l.msg === 'upstream call')!;
    expect(upstream).toMatchObject({ upstream: 'alipay', outcome: '2xx', attempts: 1 });
    const diagnosis = lines.find((l) => l.msg === 'diagnosis')!;
    expect(diagnosis).toMatchObject({ orderNo: ORDERS[0], verdict: 'PAID_NOT_DELIVERED', action: 'reissued', actor: 'customer' });
    expect(Object.keys(diagnosis.checkers as object).sort()).toEqual(['issuance', 'migration', 'payment']);
    const request = lines.at(-1)!;
    expect(request).toMatchObject({ method: 'POST', route: '/api/v1/orders/:orderNo/check', path: `/api/v1/orders/${ORDERS[0]}/check`, status: 200 });
    expect(typeof request.ms).toBe('number');
  });

  it("of an agent's diagnosis by transaction number carry its id too, the gateways' lookups included", async () => {
    const { token } = await createAgent(svc, 'log reader');
    const before = mem.lines.length;
    // a number no record holds: every gateway is asked whether it is one of its transaction numbers
    const res = await app.request('/api/v1/agent/orders/2026112222001400999999/diagnose', {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-request-id': 'agent-7' }, body: '{}',
    });
    expect(res.status).toBe(200);
    const lines = since(before);
    expect(lines.filter((l) => l.msg === 'upstream call').length).toBeGreaterThanOrEqual(2);
    expect(lines.find((l) => l.msg === 'diagnosis')).toMatchObject({ actor: 'agent' });
    expect(lines.map((l) => l.reqId)).toEqual(lines.map(() => 'agent-7'));
  });

  it('of concurrent requests never mix: each line names the request that wrote it', async () => {
    const before = mem.lines.length;
    const ids = ['conc-a', 'conc-b'];
    const answers = await Promise.all([ORDERS[1], ORDERS[2]].map((no, i) =>
      app.request(`/api/v1/orders/${no}/check`, json({ secret: '8462' }, { 'x-request-id': ids[i]! }))));
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    const lines = since(before);
    for (const [i, no] of [ORDERS[1], ORDERS[2]].entries()) {
      const mine = lines.filter((l) => l.reqId === ids[i]);
      expect(mine.find((l) => l.msg === 'diagnosis')).toMatchObject({ orderNo: no });
      expect(mine.find((l) => l.msg === 'request')).toMatchObject({ path: `/api/v1/orders/${no}/check` });
      expect(mine.filter((l) => l.msg === 'upstream call').length).toBeGreaterThanOrEqual(1);
    }
    expect(lines.every((l) => ids.includes(String(l.reqId)))).toBe(true);
  });

  it('an incoming x-request-id that is not a plain short token is replaced by one of ours', async () => {
    for (const given of ['has space', 'x'.repeat(65), '"quoted"', 'line\u0001break', '']) {
      const res = await app.request('/healthz', { headers: given ? { 'x-request-id': given } : {} });
      const echoed = res.headers.get('x-request-id');
      expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
    }
    const res = await app.request('/no/such/page');
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('of a sweep carry its run id, down to its diagnoses and their upstream calls', async () => {
    const before = mem.lines.length;
    const summary = await runSweep(svc, { sweeperId: 'test' });
    expect(summary.picked).toBeGreaterThanOrEqual(1);
    const lines = since(before);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.runId === summary.runId && l.reqId === undefined)).toBe(true);
    expect(lines.find((l) => l.msg === 'diagnosis')).toMatchObject({ actor: 'sweep' });
    expect(lines.some((l) => l.msg === 'upstream call')).toBe(true);
  });

  it('outside any request or run carry neither id', () => {
    const before = mem.lines.length;
    svc.logger.info('plain');
    expect(since(before)[0]).not.toHaveProperty('reqId');
    expect(since(before)[0]).not.toHaveProperty('runId');
  });
});

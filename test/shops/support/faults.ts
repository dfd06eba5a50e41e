/**
 * A connected shop's database going away under order-doctor (issue 10, defect 3, on the shop's side):
 * the shop's server behind a switchable TCP proxy (test/db/tcp-proxy.ts), a buyer's check through
 * the HTTP app. Refused: a 503 problem+json with Retry-After at once; hung: a 503 within the shop's
 * statement deadline, never a hang; /healthz 503 within a second meanwhile; back: the same services
 * answer 200 again.
 */
import { expect, onTestFinished } from 'vitest';
import { createApp } from '../../../src/http/app.ts';
import type { Services } from '../../../src/services.ts';
import type { Env } from '../../../src/config.ts';
import { tcpProxy, type TcpProxy } from '../../db/tcp-proxy.ts';

/** the shop's statement deadline these tests run under (SHOP_STATEMENT_TIMEOUT_MS) */
export const SHOP_DEADLINE_MS = 1500;

/** The shop's URL, through a proxy closed when the test ends: the environment for services on it, and the proxy. */
export async function shopBehindProxy(shopUrl: string, defaultPort: number): Promise<{ env: Env; proxy: TcpProxy }> {
  const u = new URL(shopUrl);
  const proxy = await tcpProxy({ host: u.hostname, port: Number(u.port || defaultPort) });
  onTestFinished(() => proxy.close());
  u.port = String(proxy.port);
  return { env: { SHOP_DATABASE_URL: u.toString(), SHOP_STATEMENT_TIMEOUT_MS: String(SHOP_DEADLINE_MS) }, proxy };
}

/** A buyer's check of one order through the HTTP app, and /healthz, each timed. */
export function shopClient(svc: Services, orderNo: string, secret: string) {
  const app = createApp(svc);
  const timed = async (path: string, init?: RequestInit) => {
    const started = performance.now();
    const res = await app.request(path, init);
    return { status: res.status, retryAfter: res.headers.get('retry-after'), type: res.headers.get('content-type'), body: await res.text(), ms: performance.now() - started };
  };
  return {
    check: () => timed(`/api/v1/orders/${orderNo}/check`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret }),
    }),
    health: () => timed('/healthz'),
  };
}

/** refused, then hung, each followed by the shop coming back: 503s in time (/healthz too), then 200 on the same services */
export async function expectRefusedAndHungShopAnswered(client: ReturnType<typeof shopClient>, proxy: TcpProxy, verdict: string): Promise<void> {
  const ok = async () => {
    const r = await client.check();
    expect(r.status, r.body).toBe(200);
    expect(JSON.parse(r.body).verdict).toBe(verdict);
    expect((await client.health()).status).toBe(200);
  };
  const unavailable = async (withinMs: number) => {
    const r = await client.check();
    expect(r.status, r.body).toBe(503);
    expect(r.type).toContain('application/problem+json');
    expect(Number(r.retryAfter)).toBeGreaterThan(0);
    expect(JSON.parse(r.body).code).toBe('unavailable');
    expect(r.ms).toBeLessThan(withinMs);
    const h = await client.health();
    expect([h.status, h.body]).toEqual([503, '{"status":"degraded"}']);
    expect(h.ms).toBeLessThan(1000);
  };
  await ok();
  await proxy.mode('refuse'); // the pooled connections are dropped, new ones refused
  await unavailable(1000);
  await unavailable(1000);
  await proxy.mode('forward');
  await ok();
  await proxy.mode('blackhole'); // the server stops answering, connections stay open
  // MySQL: the statement deadline; Postgres: its reply watch, the deadline plus as much grace (db/client.ts)
  await unavailable(2 * SHOP_DEADLINE_MS + 1500);
  await proxy.mode('forward');
  await ok();
}

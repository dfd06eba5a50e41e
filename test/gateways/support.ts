/**
 * Shared by the gateway contract tests, the SDK interop tests and the fixture recorders: the
 * sandbox keys, a fixed clock, a tiny in-memory SandboxWorld and ways to reach the sandboxes
 * (over a real socket: `listenSandbox` from src/sandbox/listener.ts).
 */
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import keys from '../../fixtures/sandbox/keys.json' with { type: 'json' };
import type { Channel } from '../../src/domain/verdicts.ts';
import type { HttpClient, HttpResponse } from '../../src/net/types.ts';
import type { GatewayAnswer, SandboxContext, SandboxTrade, SandboxWorld } from '../../src/sandbox/types.ts';
import { sandboxApp } from '../../src/sandbox/app.ts';
import { LOOPBACK } from '../support/remote.ts';

export { keys };

/** The clock every recorded fixture was signed under (WeChat answers carry it as Wechatpay-Timestamp). */
export const FIXED_NOW = new Date('2026-11-22T10:20:00+08:00');
export const ORDER_NO = 'K20261122101500001';
export const TOTAL_CENTS = 5000;

export function sandboxTrade(channel: Channel, answer: GatewayAnswer, orderNo = ORDER_NO, totalCents = TOTAL_CENTS): SandboxTrade {
  return { orderNo, channel, subject: 'Steam充值卡50元', totalCents, createdAt: '2026-11-22T10:15:00+08:00', answer };
}

/** Finds by order number or by the answer's trade number, as the real world store does. */
export function memoryWorld(trades: SandboxTrade[]): SandboxWorld & { trades: SandboxTrade[] } {
  return {
    trades,
    async findTrade(channel, ref) {
      return trades.find((t) => t.channel === channel &&
        ('orderNo' in ref ? t.orderNo === ref.orderNo : t.answer.tradeNo === ref.tradeNo)) ?? null;
    },
    async findSupplierOrder() {
      return null;
    },
  };
}

/** Every sandbox upstream mounted as the server mounts it, for in-process requests (no socket). */
export function sandboxes(ctx: SandboxContext): Hono {
  return new Hono().route('/sandbox', sandboxApp(ctx));
}

/** An HttpClient that hands requests straight to a Hono app (no socket): used to record fixtures. */
export function inProcessHttp(app: Hono): HttpClient {
  return {
    async send(req): Promise<HttpResponse> {
      const res = await app.request(req.url, {
        method: req.method,
        ...(req.headers ? { headers: req.headers } : {}),
        ...(req.body !== undefined ? { body: req.body } : {}),
        signal: req.signal,
      }, LOOPBACK); // the sandbox answers loopback clients only
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => { headers[k.toLowerCase()] = v; });
      return { status: res.status, headers, body: await res.text(), attempts: 1, ms: 0 };
    },
  };
}

/** A recorded protocol exchange (see record-fixtures.ts). */
export interface RecordedFixture {
  description: string;
  now: string;
  request: { method: 'GET' | 'POST'; path: string };
  response: { status: number; headers: Record<string, string>; body: string };
}

export function loadFixture(gateway: 'alipay' | 'wechatpay', name: string): RecordedFixture {
  const url = new URL(`../../fixtures/gateways/${gateway}/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as RecordedFixture;
}

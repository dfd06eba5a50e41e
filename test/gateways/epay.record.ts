/**
 * Re-records fixtures/gateways/epay/*.json: the real adapter talks to the real EPay sandbox
 * in-process at a fixed clock, so every signature in the files is genuine and reproducible
 * (RSA PKCS#1 v1.5 is deterministic). A few answers the sandbox world cannot express (frozen,
 * pre-authorised, PHP 8.1 integer columns, a stripped signature) are derived from a recorded paid
 * answer and re-signed with the platform key, as a real server would have signed them.
 *
 * Run: node bin/run-ts.js test/gateways/epay.record.ts  (or npx tsx test/gateways/epay.record.ts)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Hono } from 'hono';
import { createEpayGateway, type EpayConfig } from '../../src/gateways/epay/client.ts';
import { rsaSign } from '../../src/gateways/epay/sign.ts';
import type { TradeRef } from '../../src/domain/payment.ts';
import type { HttpClient, HttpRequest } from '../../src/net/types.ts';
import { epaySandbox } from '../../src/sandbox/gateways/epay.ts';
import type { GatewayAnswer } from '../../src/sandbox/types.ts';
import {
  FIXED_NOW, FIXTURE_HOST, ORDER_NO, PAID_AT, TRADE_NO, adapterConfig, epayKeys, memoryWorld, sandboxCreds, trade,
  type EpayFixture,
} from './epay-support.ts';

const OUT = new URL('../../fixtures/gateways/epay/', import.meta.url);
const PAID: GatewayAnswer = { state: 'paid', amountCents: 5000, paidAt: PAID_AT, tradeNo: TRADE_NO };

interface Case {
  name: string;
  description: string;
  version: 'v1' | 'v2';
  answer?: GatewayAnswer; // absent: the world has no such order
  ref?: TradeRef;
  clock?: Date;
  configOverrides?: Partial<EpayConfig>;
  /** rewrites the recorded answer's fields and re-signs them with the platform key */
  derive?: (fields: Record<string, unknown>) => Record<string, unknown>;
  unsigned?: boolean;
}

const byOrder = (v: 'v1' | 'v2'): Case[] => [
  { name: `${v}-paid`, description: 'paid in full', version: v, answer: PAID },
  { name: `${v}-paid-by-trade-no`, description: 'paid, looked up by the platform trade number', version: v, answer: PAID, ref: { tradeNo: TRADE_NO } },
  { name: `${v}-paid-one-cent-short`, description: 'paid 49.99 for a 50.00 order (a field, not a fault)', version: v, answer: { ...PAID, amountCents: 4999 } },
  { name: `${v}-unpaid`, description: 'created, not paid (status 0)', version: v, answer: { state: 'unpaid' } },
  { name: `${v}-closed`, description: 'world "closed": EPay has no closed state, status 0', version: v, answer: { state: 'closed' } },
  { name: `${v}-failed`, description: 'world "failed": EPay has no failed state, status 0', version: v, answer: { state: 'failed', reason: 'card declined' } },
  { name: `${v}-refunded`, description: 'paid then refunded (status 2)', version: v, answer: { state: 'refunded', amountCents: 5000, paidAt: PAID_AT, tradeNo: TRADE_NO } },
  { name: `${v}-not-found`, description: 'the gateway has no such order: code -1 订单号不存在', version: v, answer: { state: 'not_found' } },
  { name: `${v}-unknown-order`, description: 'an order the world does not know: code -1', version: v },
  { name: `${v}-malformed`, description: 'truncated JSON body', version: v, answer: { state: 'malformed' } },
  { name: `${v}-http-500`, description: 'nginx 500 page', version: v, answer: { state: 'http_500' } },
  { name: `${v}-bad-signature`, description: 'a paid answer whose signature does not verify (V1 carries none: plain paid)', version: v, answer: { ...PAID, state: 'bad_signature' } },
  { name: `${v}-stale`, description: 'a correctly signed paid answer stamped an hour ago (V1 carries no timestamp: plain paid)', version: v, answer: { ...PAID, state: 'stale' } },
];

const CASES: Case[] = [
  ...byOrder('v1'),
  { name: 'v1-wrong-key', description: 'wrong merchant key: code -3 商户密钥错误', version: 'v1', answer: PAID, configOverrides: { key: 'not-the-key' } },
  ...byOrder('v2'),
  { name: 'v2-frozen', description: 'paid, frozen by risk control (status 3)', version: 'v2', answer: PAID, derive: (f) => ({ ...f, status: '3' }) },
  { name: 'v2-preauthorised', description: 'pre-authorised (status 4)', version: 'v2', answer: PAID, derive: (f) => ({ ...f, status: '4' }) },
  {
    name: 'v2-paid-php81-integers',
    description: 'PHP >= 8.1 mysqlnd: integer columns as JSON numbers, signed over their PHP string form',
    version: 'v2', answer: PAID, derive: (f) => ({ ...f, pid: Number(f.pid), status: Number(f.status) }),
  },
  { name: 'v2-unknown-status', description: 'a clone with a status value nobody documents', version: 'v2', answer: PAID, derive: (f) => ({ ...f, status: '7' }) },
  { name: 'v2-paid-unsigned', description: 'code 0 paid answer with sign and sign_type stripped', version: 'v2', answer: PAID, unsigned: true },
  { name: 'v2-wrong-merchant-key', description: 'request signed with the wrong key: code -3 RSA签名校验失败 (unsigned)', version: 'v2', answer: PAID, configOverrides: { merchantPrivateKey: epayKeys.platformPrivateKey } },
  { name: 'v2-client-clock-off', description: 'our clock an hour ahead: code -3 时间戳字段不正确', version: 'v2', answer: PAID, clock: new Date(FIXED_NOW.getTime() + 3600_000) },
];

async function record(c: Case): Promise<EpayFixture> {
  const world = memoryWorld(c.answer ? [trade(c.answer)] : []);
  const app = new Hono().route('/', epaySandbox({ world, now: () => FIXED_NOW, latencyMs: 0 }, sandboxCreds));
  let seen: HttpRequest | undefined;
  let answer: { status: number; contentType: string; body: string } | undefined;
  const http: HttpClient = {
    async send(req) {
      seen = req;
      const res = await app.fetch(new Request(req.url, { method: req.method, headers: req.headers, body: req.body }));
      answer = { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.text() };
      return { status: answer.status, headers: { 'content-type': answer.contentType }, body: answer.body, attempts: 1, ms: 0 };
    },
  };
  const clock = c.clock ?? FIXED_NOW;
  const gateway = createEpayGateway(adapterConfig(`${FIXTURE_HOST}/`, c.version, c.configOverrides), { http, now: () => clock });
  const ref = c.ref ?? { orderNo: ORDER_NO };
  await gateway.query(ref, { signal: AbortSignal.timeout(5000) });
  if (!seen || !answer) throw new Error(`${c.name}: nothing was sent`);

  if (c.derive || c.unsigned) answer.body = await rewrite(answer.body, c);
  const url = new URL(seen.url);
  const fixture: EpayFixture = {
    description: c.description,
    version: c.version,
    ref,
    clock: clock.toISOString(),
    ...(c.configOverrides ? { configOverrides: c.configOverrides } : {}),
    request: { method: seen.method, path: url.pathname + url.search, ...(seen.body ? { body: seen.body } : {}) },
    response: answer,
  };
  return fixture;
}

async function rewrite(body: string, c: Case): Promise<string> {
  const fields = JSON.parse(body) as Record<string, unknown>;
  delete fields.sign;
  delete fields.sign_type;
  const derived = c.derive ? c.derive(fields) : fields;
  if (c.unsigned) return JSON.stringify(derived);
  const sign = await rsaSign(derived, epayKeys.platformPrivateKey);
  return JSON.stringify({ ...derived, sign_type: 'RSA', sign });
}

await mkdir(OUT, { recursive: true });
for (const c of CASES) {
  const fixture = await record(c);
  // V1 paths carry the merchant key in clear: acceptable only because it is the sandbox key
  await writeFile(new URL(`${c.name}.json`, OUT), `${JSON.stringify(fixture, null, 2)}\n`);
  console.log(`${c.name}: ${fixture.response.status} ${fixture.response.body.slice(0, 80)}`);
}

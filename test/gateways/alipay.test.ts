import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlipayGateway, type AlipayConfig } from '../../src/gateways/alipay/index.ts';
import { alipaySignContent, signedSubstring } from '../../src/gateways/alipay/protocol.ts';
import { verifySha256WithRsa } from '../../src/gateways/rsa.ts';
import type { FaultKind, PaymentEvidence, PaymentState, TradeRef } from '../../src/domain/payment.ts';
import type { GatewayAnswerState } from '../../src/sandbox/types.ts';
import { FIXED_NOW, ORDER_NO, keys, loadFixture, memoryWorld, sandboxTrade } from './support.ts';
import { listenSandbox, type SandboxListener } from '../../src/sandbox/listener.ts';
import { connectionReset, offlineClients } from '../net/support.ts';
import { untrustedOn } from './expect.ts';

const ORIGIN = 'https://openapi.alipay.com';
const TRADE_NO = '2026112222001412345678901234';
// Short deadlines and backoff so fault tests stay fast; one retry so "busy" paths are exercised.
const http = offlineClients({ name: 'alipay', retries: 1, minBackoffMs: 1, maxBackoffMs: 5, attemptTimeoutMs: 400, breaker: false });

function gateway(overrides: Partial<AlipayConfig> = {}, gatewayUrl = `${ORIGIN}/gateway.do`) {
  const a = keys.alipay;
  return createAlipayGateway(
    { gateway: gatewayUrl, appId: a.appId, merchantPrivateKey: a.merchantPrivateKey, alipayPublicKey: a.alipayPublicKey, ...overrides },
    { http: http(), now: () => FIXED_NOW },
  );
}

function replay(name: string, times = 1): nock.Scope {
  const f = loadFixture('alipay', name);
  return nock(ORIGIN).post(f.request.path).query(true).times(times).reply(f.response.status, f.response.body, f.response.headers);
}

const query = (ref: TradeRef = { orderNo: ORDER_NO }, signal = AbortSignal.timeout(5000)) => gateway().query(ref, { signal });

const expectUntrusted = untrustedOn('alipay');

describe('alipay adapter: request contract', () => {
  it('sends common params in the query string and biz_content in the form body, RSA2-signed incl. sign_type', async () => {
    let seen: { url: string; body: string } | undefined;
    const f = loadFixture('alipay', 'paid');
    nock(ORIGIN).post('/gateway.do').query(true).reply(function (uri, body) {
      seen = { url: `${ORIGIN}${uri}`, body: String(body) };
      return [200, f.response.body, f.response.headers];
    });
    await query();
    expect(seen).toBeDefined();
    const url = new URL(seen!.url);
    const q = Object.fromEntries(url.searchParams);
    const form = Object.fromEntries(new URLSearchParams(seen!.body));
    expect(q).toMatchObject({
      app_id: keys.alipay.appId, method: 'alipay.trade.query', format: 'JSON', charset: 'utf-8',
      sign_type: 'RSA2', version: '1.0', timestamp: '2026-11-22 10:20:00', // Beijing time of FIXED_NOW
    });
    expect(form).toEqual({ biz_content: `{"out_trade_no":"${ORDER_NO}"}` });
    const { sign, ...signed } = { ...q, ...form };
    expect(alipaySignContent(signed)).toContain('sign_type=RSA2');
    expect(await verifySha256WithRsa(keys.alipay.merchantPublicKey, alipaySignContent(signed), sign!)).toBe(true);
  });

  it('asks by trade_no when given the gateway trade number', async () => {
    let biz = '';
    const f = loadFixture('alipay', 'paid-by-trade-no');
    nock(ORIGIN).post('/gateway.do').query(true).reply(function (_uri, body) {
      biz = new URLSearchParams(String(body)).get('biz_content') ?? '';
      return [200, f.response.body, f.response.headers];
    });
    const ev = await query({ tradeNo: TRADE_NO });
    expect(biz).toBe(`{"trade_no":"${TRADE_NO}"}`);
    expect(ev).toMatchObject({ trust: 'verified', state: 'paid', tradeNo: TRADE_NO, outTradeNo: ORDER_NO });
  });
});

describe('alipay adapter: recorded answers (happy)', () => {
  const cases: Array<[string, PaymentState, Partial<PaymentEvidence>?]> = [
    ['paid', 'paid', { amountCents: 5000, paidAt: '2026-11-22T02:16:02.000Z', tradeNo: TRADE_NO, outTradeNo: ORDER_NO }],
    ['paid-finished', 'paid', { amountCents: 5000 }],
    ['unpaid', 'unpaid'],
    ['in-progress', 'unpaid'],
    ['failed', 'unpaid'],
    ['closed', 'closed'],
    ['refunded', 'refunded', { paidAt: '2026-11-22T02:16:02.000Z', amountCents: 5000 }],
    ['not-found', 'not_found', { outTradeNo: ORDER_NO }],
    ['stale', 'paid', { amountCents: 5000 }],
    ['slash-escaped-sign', 'paid', { amountCents: 5000 }],
  ];
  it.each(cases)('%s -> verified %s', async (name, state, extra) => {
    replay(name);
    const ev = await query();
    expect(ev).toMatchObject({ channel: 'alipay', trust: 'verified', state, attempts: 1, ...extra });
    expect(ev.fault).toBeUndefined();
    expect(ev.exchange[0]).toMatchObject({ method: 'POST', status: 200, signature: 'verified' });
  });

  it('reports a paid total one cent short as the amount it is (the decision calls it AMOUNT_MISMATCH)', async () => {
    replay('amount-one-cent-short');
    expect(await query()).toMatchObject({ trust: 'verified', state: 'paid', amountCents: 4999 });
  });
});

describe('alipay adapter: faults are untrusted (error/security)', () => {
  const cases: Array<[string, FaultKind, number]> = [
    ['http-500', 'http', 2],
    ['malformed', 'parse', 1],
    ['bad-signature', 'signature', 1],
    ['unsigned-paid', 'signature', 1],
    ['tampered-amount', 'signature', 1],
    ['invalid-app-id', 'protocol', 1],
    ['invalid-signature', 'protocol', 1],
    ['system-busy', 'protocol', 2],
    ['acq-system-error', 'protocol', 2],
    ['other-trade', 'protocol', 1],
  ];
  it.each(cases)('%s -> untrusted %s after %i attempt(s)', async (name, kind, attempts) => {
    replay(name, attempts);
    const ev = await query();
    expectUntrusted(ev, kind);
    expect(ev.attempts).toBe(attempts);
    expect(ev.exchange).toHaveLength(1);
  });

  it('retries a busy gateway and trusts the answer that follows', async () => {
    replay('system-busy');
    replay('paid');
    expect(await query()).toMatchObject({ trust: 'verified', state: 'paid', attempts: 2 });
  });

  it('a timeout is untrusted timeout, never unpaid', async () => {
    const f = loadFixture('alipay', 'paid');
    nock(ORIGIN).post('/gateway.do').query(true).times(2).delay(2000).reply(200, f.response.body, f.response.headers);
    expectUntrusted(await query(), 'timeout');
  });

  it('a reset connection is untrusted network', async () => {
    nock(ORIGIN).post('/gateway.do').query(true).times(2).replyWithError(connectionReset());
    const ev = await query();
    expectUntrusted(ev, 'network');
    expect(ev.exchange[0]?.error).toContain('network');
  });

  it('HTTP 429 is untrusted rate_limited', async () => {
    nock(ORIGIN).post('/gateway.do').query(true).times(2).reply(429, 'slow down');
    expectUntrusted(await query(), 'rate_limited');
  });

  it('an answer signed by a key other than the configured Alipay public key is untrusted', async () => {
    replay('paid');
    const ev = await gateway({ alipayPublicKey: keys.alipay.merchantPublicKey }).query({ orderNo: ORDER_NO }, { signal: AbortSignal.timeout(5000) });
    expectUntrusted(ev, 'signature');
    expect(ev.exchange[0]?.signature).toBe('failed');
  });

  it('never throws, even with unusable key material', async () => {
    const ev = await gateway({ merchantPrivateKey: 'not a key' }).query({ orderNo: ORDER_NO }, { signal: AbortSignal.timeout(5000) });
    expect(ev.trust).toBe('untrusted');
  });
});

describe('alipay protocol: signed substring', () => {
  it('cuts the raw response value exactly as the SDK does, braces included', () => {
    const raw = '{"alipay_trade_query_response":{"code":"10000","a":"x\\/y"},"sign":"abc"}';
    expect(signedSubstring(raw, 'alipay_trade_query_response')).toBe('{"code":"10000","a":"x\\/y"}');
  });
});

describe('alipay adapter end-to-end against the sandbox (real socket)', () => {
  const expectations: Record<GatewayAnswerState, { state?: PaymentState; fault?: FaultKind }> = {
    paid: { state: 'paid' },
    unpaid: { state: 'unpaid' },
    in_progress: { state: 'unpaid' },
    not_found: { state: 'not_found' },
    closed: { state: 'closed' },
    refunded: { state: 'refunded' },
    failed: { state: 'unpaid' }, // Alipay has no failed state (see src/sandbox/gateways/alipay.ts)
    stale: { state: 'paid' }, // no timestamp in Alipay answers
    unreachable: { fault: 'network' },
    timeout: { fault: 'timeout' },
    http_500: { fault: 'http' },
    malformed: { fault: 'parse' },
    bad_signature: { fault: 'signature' },
  };
  const states = Object.keys(expectations) as GatewayAnswerState[];
  const world = memoryWorld(states.map((state, i) =>
    sandboxTrade('alipay', { state, amountCents: 5000, paidAt: '2026-11-22T10:16:02+08:00', tradeNo: `20261122220014000000000000${String(i).padStart(2, '0')}` }, `K-${state}`)));
  let server: SandboxListener;
  beforeAll(async () => {
    server = await listenSandbox({ world, now: () => FIXED_NOW, latencyMs: 0 });
  });
  afterAll(() => server.close());

  it.each(states)('%s', async (state) => {
    const ev = await gateway({}, `${server.baseUrl}/sandbox/alipay/gateway.do`).query({ orderNo: `K-${state}` }, { signal: AbortSignal.timeout(5000) });
    const want = expectations[state];
    if (want.state) {
      expect(ev).toMatchObject({ trust: 'verified', state: want.state, outTradeNo: `K-${state}` });
    } else {
      expectUntrusted(ev, want.fault!);
    }
  });

  it('an order the world does not know is not_found, signed', async () => {
    const ev = await gateway({}, `${server.baseUrl}/sandbox/alipay/gateway.do`).query({ orderNo: 'K-nobody' }, { signal: AbortSignal.timeout(5000) });
    expect(ev).toMatchObject({ trust: 'verified', state: 'not_found' });
  });

  it('finds a trade by its trade number', async () => {
    const tradeNo = world.trades[0]!.answer.tradeNo!;
    const ev = await gateway({}, `${server.baseUrl}/sandbox/alipay/gateway.do`).query({ tradeNo }, { signal: AbortSignal.timeout(5000) });
    expect(ev).toMatchObject({ trust: 'verified', state: 'paid', tradeNo, outTradeNo: 'K-paid' });
  });

  it('rejects a wrong app id and a wrong request key with signed 40002 answers', async () => {
    const url = `${server.baseUrl}/sandbox/alipay/gateway.do`;
    const badApp = await gateway({ appId: '2021000000000000' }, url).query({ orderNo: 'K-paid' }, { signal: AbortSignal.timeout(5000) });
    expectUntrusted(badApp, 'protocol');
    expect(badApp.fault?.message).toContain('isv.invalid-app-id');
    expect(badApp.exchange[0]?.signature).toBe('verified');
    const badKey = await gateway({ merchantPrivateKey: keys.wechatpay.merchantPrivateKey }, url).query({ orderNo: 'K-paid' }, { signal: AbortSignal.timeout(5000) });
    expectUntrusted(badKey, 'protocol');
    expect(badKey.fault?.message).toContain('isv.invalid-signature');
  });
});

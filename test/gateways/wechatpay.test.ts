import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWechatPayGateway, type WechatPayConfig } from '../../src/gateways/wechatpay/index.ts';
import { parseAuthorization, requestSignString } from '../../src/gateways/wechatpay/protocol.ts';
import { verifySha256WithRsa } from '../../src/gateways/rsa.ts';
import type { FaultKind, PaymentEvidence, PaymentState, TradeRef } from '../../src/domain/payment.ts';
import type { GatewayAnswerState } from '../../src/sandbox/types.ts';
import { FIXED_NOW, ORDER_NO, keys, loadFixture, memoryWorld, sandboxTrade } from './support.ts';
import { listenSandbox, type SandboxListener } from '../../src/sandbox/listener.ts';
import { connectionReset, offlineClients } from '../net/support.ts';
import { untrustedOn } from './expect.ts';

const ORIGIN = 'https://api.mch.weixin.qq.com';
const TRANSACTION_ID = '4200002345202611228253501450';
const w = keys.wechatpay;
const http = offlineClients({ name: 'wechatpay', retries: 1, minBackoffMs: 1, maxBackoffMs: 5, maxRateLimitWaitMs: 5, attemptTimeoutMs: 400, breaker: false });

function gateway(overrides: Partial<WechatPayConfig> = {}, now = FIXED_NOW) {
  return createWechatPayGateway({
    baseUrl: ORIGIN, mchid: w.mchid, appid: w.appid, merchantSerialNo: w.merchantSerialNo,
    merchantPrivateKey: w.merchantPrivateKey, platformKeys: { [w.platformSerial]: w.platformPublicKey }, ...overrides,
  }, { http: http(), now: () => now });
}

function replay(name: string, times = 1): nock.Scope {
  const f = loadFixture('wechatpay', name);
  return nock(ORIGIN).get(f.request.path).times(times).reply(f.response.status, f.response.body, f.response.headers);
}

const signal = () => AbortSignal.timeout(5000);
const query = (ref: TradeRef = { orderNo: ORDER_NO }) => gateway().query(ref, { signal: signal() });

const expectUntrusted = untrustedOn('wechat');

describe('wechatpay adapter: request contract', () => {
  it('signs the five-line string over the path from the API root, even under a prefixed base URL', async () => {
    let headers: Record<string, string | string[] | undefined> = {};
    const f = loadFixture('wechatpay', 'paid');
    nock(ORIGIN).get(`/sandbox/wechatpay${f.request.path}`).reply(function () {
      headers = this.req.headers;
      return [200, f.response.body, f.response.headers];
    });
    const ev = await gateway({ baseUrl: `${ORIGIN}/sandbox/wechatpay/` }).query({ orderNo: ORDER_NO }, { signal: signal() });
    expect(ev.trust).toBe('verified');
    expect(headers['accept']).toBe('application/json');
    expect(String(headers['user-agent'])).not.toBe('');
    const auth = parseAuthorization(String(headers['authorization']));
    expect(auth).toMatchObject({ mchid: w.mchid, serialNo: w.merchantSerialNo, timestamp: String(FIXED_NOW.getTime() / 1000) });
    const signed = requestSignString('GET', `/v3/pay/transactions/out-trade-no/${ORDER_NO}?mchid=${w.mchid}`, auth!.timestamp, auth!.nonce, '');
    expect(await verifySha256WithRsa(w.merchantPublicKey, signed, auth!.signature)).toBe(true);
  });

  it('asks by transaction id when given the gateway trade number', async () => {
    replay('paid-by-transaction-id');
    const ev = await query({ tradeNo: TRANSACTION_ID });
    expect(ev).toMatchObject({ trust: 'verified', state: 'paid', tradeNo: TRANSACTION_ID, outTradeNo: ORDER_NO });
  });
});

describe('wechatpay adapter: recorded answers (happy)', () => {
  const paidAt = '2026-11-22T02:16:02.000Z';
  const cases: Array<[string, PaymentState, Partial<PaymentEvidence>?]> = [
    ['paid', 'paid', { amountCents: 5000, paidAt, tradeNo: TRANSACTION_ID, outTradeNo: ORDER_NO }],
    ['refunded', 'refunded', { amountCents: 5000, paidAt }],
    ['unpaid', 'unpaid', { outTradeNo: ORDER_NO }],
    ['in-progress', 'in_progress'],
    ['closed', 'closed'],
    ['revoked', 'closed'],
    ['failed', 'failed', { reason: '银行卡余额不足' }],
    ['not-found', 'not_found', { outTradeNo: ORDER_NO }],
  ];
  it.each(cases)('%s -> verified %s', async (name, state, extra) => {
    replay(name);
    const ev = await query();
    expect(ev).toMatchObject({ channel: 'wechat', trust: 'verified', state, attempts: 1, ...extra });
    expect(ev.fault).toBeUndefined();
    expect(ev.exchange[0]).toMatchObject({ method: 'GET', signature: 'verified' });
  });

  it('reports a paid total one fen short as the amount it is (the decision calls it AMOUNT_MISMATCH)', async () => {
    replay('amount-one-cent-short');
    expect(await query()).toMatchObject({ trust: 'verified', state: 'paid', amountCents: 4999 });
  });
});

describe('wechatpay adapter: faults are untrusted (error/security)', () => {
  const cases: Array<[string, FaultKind, number]> = [
    ['http-500', 'http', 2],
    ['rate-limited', 'rate_limited', 2],
    ['malformed', 'parse', 1],
    ['bad-signature', 'signature', 1],
    ['tampered-amount', 'signature', 1],
    ['unsigned', 'signature', 1],
    ['unknown-serial', 'signature', 1],
    ['signtest', 'signature', 1],
    ['stale', 'stale', 1],
    ['wrong-mchid', 'protocol', 1],
    ['sign-error', 'protocol', 1],
    ['body-mchid-mismatch', 'protocol', 1],
    ['body-appid-mismatch', 'protocol', 1],
    ['other-trade', 'protocol', 1],
  ];
  it.each(cases)('%s -> untrusted %s after %i attempt(s)', async (name, kind, attempts) => {
    replay(name, attempts);
    // the wrong-mchid answer was recorded from an adapter configured with that wrong mchid
    const overrides = name === 'wrong-mchid' ? { mchid: '1900000000' } : {};
    const ev = await gateway(overrides).query({ orderNo: ORDER_NO }, { signal: signal() });
    expectUntrusted(ev, kind);
    expect(ev.attempts).toBe(attempts);
  });

  it('accepts an answer 299 s old and rejects one 300 s old (WeChat\'s five-minute window)', async () => {
    replay('paid');
    expect((await gateway({}, new Date(FIXED_NOW.getTime() + 299_000)).query({ orderNo: ORDER_NO }, { signal: signal() })).trust).toBe('verified');
    replay('paid');
    expectUntrusted(await gateway({}, new Date(FIXED_NOW.getTime() + 300_000)).query({ orderNo: ORDER_NO }, { signal: signal() }), 'stale');
    replay('paid');
    expectUntrusted(await gateway({}, new Date(FIXED_NOW.getTime() - 300_000)).query({ orderNo: ORDER_NO }, { signal: signal() }), 'stale');
  });

  it('retries a 500 and trusts the answer that follows', async () => {
    replay('http-500');
    replay('paid');
    expect(await query()).toMatchObject({ trust: 'verified', state: 'paid', attempts: 2 });
  });

  it('a timeout is untrusted timeout, never unpaid', async () => {
    const f = loadFixture('wechatpay', 'paid');
    nock(ORIGIN).get(f.request.path).times(2).delay(2000).reply(200, f.response.body, f.response.headers);
    expectUntrusted(await query(), 'timeout');
  });

  it('a reset connection is untrusted network', async () => {
    const f = loadFixture('wechatpay', 'paid');
    nock(ORIGIN).get(f.request.path).times(2).replyWithError(connectionReset());
    expectUntrusted(await query(), 'network');
  });

  it('a platform key that does not match the serial is a signature fault', async () => {
    replay('paid');
    expectUntrusted(await gateway({ platformKeys: { [w.platformSerial]: w.merchantPublicKey } }).query({ orderNo: ORDER_NO }, { signal: signal() }), 'signature');
  });
});

describe('wechatpay adapter end-to-end against the sandbox (real socket)', () => {
  const expectations: Record<GatewayAnswerState, { state?: PaymentState; fault?: FaultKind }> = {
    paid: { state: 'paid' },
    unpaid: { state: 'unpaid' },
    in_progress: { state: 'in_progress' },
    not_found: { state: 'not_found' },
    closed: { state: 'closed' },
    refunded: { state: 'refunded' },
    failed: { state: 'failed' },
    stale: { fault: 'stale' },
    unreachable: { fault: 'network' },
    timeout: { fault: 'timeout' },
    http_500: { fault: 'http' },
    malformed: { fault: 'parse' },
    bad_signature: { fault: 'signature' },
  };
  const states = Object.keys(expectations) as GatewayAnswerState[];
  const world = memoryWorld(states.map((state, i) =>
    sandboxTrade('wechat', { state, amountCents: 5000, paidAt: '2026-11-22T10:16:02+08:00', tradeNo: `42000023452026112282535014${String(i).padStart(2, '0')}`, reason: '银行卡余额不足' }, `K-${state}`)));
  let server: SandboxListener;
  beforeAll(async () => {
    server = await listenSandbox({ world, now: () => FIXED_NOW, latencyMs: 0 });
  });
  afterAll(() => server.close());
  const live = (overrides: Partial<WechatPayConfig> = {}) => gateway({ baseUrl: `${server.baseUrl}/sandbox/wechatpay`, ...overrides });

  it.each(states)('%s', async (state) => {
    const ev = await live().query({ orderNo: `K-${state}` }, { signal: signal() });
    const want = expectations[state];
    if (want.state) {
      expect(ev).toMatchObject({ trust: 'verified', state: want.state });
      if (state === 'paid') expect(ev).toMatchObject({ amountCents: 5000, paidAt: '2026-11-22T02:16:02.000Z', outTradeNo: 'K-paid' });
      if (state === 'failed') expect(ev.reason).toBe('银行卡余额不足');
    } else {
      expectUntrusted(ev, want.fault!);
    }
  });

  it('finds a trade by its transaction id', async () => {
    const tradeNo = world.trades[0]!.answer.tradeNo!;
    expect(await live().query({ tradeNo }, { signal: signal() })).toMatchObject({ trust: 'verified', state: 'paid', tradeNo, outTradeNo: 'K-paid' });
  });

  it('answers a wrong mchid with 400 MCH_NOT_EXISTS and a wrong request key with 401 SIGN_ERROR', async () => {
    const badMch = await live({ mchid: '1900000000' }).query({ orderNo: 'K-paid' }, { signal: signal() });
    expectUntrusted(badMch, 'protocol');
    expect(badMch.fault?.message).toContain('MCH_NOT_EXISTS');
    const badKey = await live({ merchantPrivateKey: keys.alipay.merchantPrivateKey }).query({ orderNo: 'K-paid' }, { signal: signal() });
    expectUntrusted(badKey, 'protocol');
    expect(badKey.fault?.message).toContain('SIGN_ERROR');
    expect(badKey.exchange[0]?.signature).toBe('verified'); // errors are signed too
  });

  it('a configured app id that differs from the sandbox merchant\'s is a protocol fault', async () => {
    expectUntrusted(await live({ appid: 'wx0000000000000000' }).query({ orderNo: 'K-paid' }, { signal: signal() }), 'protocol');
  });
});

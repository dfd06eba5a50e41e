/**
 * The sandboxes and our adapters must agree with the gateways' own SDKs, not just with each other:
 * the official `alipay-sdk` and `wechatpay-axios-plugin` sign and verify independently (node:crypto),
 * so a shared misreading of the protocol in our code would show up here.
 */
import { AlipaySdk } from 'alipay-sdk';
import { Formatter, Rsa, Wechatpay } from 'wechatpay-axios-plugin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpClient, HttpRequest } from '../../src/net/types.ts';
import { createAlipayGateway } from '../../src/gateways/alipay/index.ts';
import { QUERY_RESPONSE_KEY } from '../../src/gateways/alipay/protocol.ts';
import { buildAuthorization, parseAuthorization } from '../../src/gateways/wechatpay/protocol.ts';
import type { GatewayAnswerState } from '../../src/sandbox/types.ts';
import { FIXED_NOW, ORDER_NO, keys, loadFixture, memoryWorld, sandboxTrade } from './support.ts';
import { listenSandbox, type SandboxListener } from '../../src/sandbox/listener.ts';

const a = keys.alipay;
const w = keys.wechatpay;
const STATES: GatewayAnswerState[] = ['paid', 'unpaid', 'closed', 'refunded', 'not_found', 'bad_signature'];
const PAID_AT = '2026-11-22T10:16:02+08:00';

// Real time: the WeChat plugin checks answer timestamps against its own Date.now().
const world = memoryWorld([
  ...STATES.map((state, i) => sandboxTrade('alipay', { state, amountCents: 5000, paidAt: PAID_AT, tradeNo: `202611222200140000000000000${i}` }, `K-${state}`)),
  ...STATES.map((state, i) => sandboxTrade('wechat', { state, amountCents: 5000, paidAt: PAID_AT, tradeNo: `420000234520261122825350140${i}` }, `K-${state}`)),
  sandboxTrade('wechat', { state: 'stale', amountCents: 5000, paidAt: PAID_AT }, 'K-stale'),
]);
let server: SandboxListener;
beforeAll(async () => {
  server = await listenSandbox({ world, now: () => new Date(), latencyMs: 0 });
});
afterAll(() => server.close());

/** The SDK's formatKey trips over a trailing newline after the END line. */
const pem = (s: string) => s.trim();

function alipaySdk(gateway = `${server.baseUrl}/sandbox/alipay/gateway.do`) {
  return new AlipaySdk({
    appId: a.appId, privateKey: pem(a.merchantPrivateKey), keyType: 'PKCS8',
    alipayPublicKey: pem(a.alipayPublicKey), gateway, camelcase: false,
  });
}

describe('alipay-sdk interop', () => {
  it.each(['paid', 'unpaid', 'closed', 'refunded'])('the SDK signs a query the sandbox accepts, and verifies its %s answer', async (state) => {
    const res = await alipaySdk().exec('alipay.trade.query', { bizContent: { out_trade_no: `K-${state}` } }, { validateSign: true });
    expect(res).toMatchObject({ code: '10000', out_trade_no: `K-${state}`, total_amount: '50.00' });
  });

  it('the SDK verifies a signed not-found answer', async () => {
    const res = await alipaySdk().exec('alipay.trade.query', { bizContent: { out_trade_no: 'K-not_found' } }, { validateSign: true });
    expect(res).toMatchObject({ code: '40004', sub_code: 'ACQ.TRADE_NOT_EXIST' });
  });

  it('the SDK rejects the sandbox\'s bad_signature answer', async () => {
    await expect(alipaySdk().exec('alipay.trade.query', { bizContent: { out_trade_no: 'K-bad_signature' } }, { validateSign: true }))
      .rejects.toThrow(/验签失败/);
  });

  it('the SDK\'s checkResponseSign accepts every signed recorded fixture and refuses a tampered one', () => {
    const sdk = alipaySdk();
    for (const name of ['paid', 'refunded', 'not-found', 'closed', 'invalid-app-id', 'system-busy', 'amount-one-cent-short']) {
      const { body } = loadFixture('alipay', name).response;
      const sign = (JSON.parse(body) as { sign: string }).sign;
      expect(() => sdk.checkResponseSign(body, QUERY_RESPONSE_KEY, sign, name), name).not.toThrow();
    }
    const tampered = loadFixture('alipay', 'tampered-amount').response.body;
    expect(() => sdk.checkResponseSign(tampered, QUERY_RESPONSE_KEY, (JSON.parse(tampered) as { sign: string }).sign, 't')).toThrow();
  });

  it('our adapter and the SDK produce the same request sign for the same parameters', async () => {
    let sent: HttpRequest | undefined;
    const capture: HttpClient = {
      async send(req) {
        sent = req;
        return { status: 599, headers: {}, body: '', attempts: 1, ms: 0 };
      },
    };
    await createAlipayGateway(
      { gateway: 'https://openapi.alipay.com/gateway.do', appId: a.appId, merchantPrivateKey: a.merchantPrivateKey, alipayPublicKey: a.alipayPublicKey },
      { http: capture, now: () => FIXED_NOW },
    ).query({ orderNo: ORDER_NO }, { signal: AbortSignal.timeout(5000) });
    const ours = Object.fromEntries(new URL(sent!.url).searchParams);
    // sdkExecute returns the SDK-signed params; explicit timestamp/format override its defaults.
    const sdkParams = Object.fromEntries(new URLSearchParams(alipaySdk('https://openapi.alipay.com/gateway.do').sdkExecute(
      'alipay.trade.query', { timestamp: ours['timestamp'], format: 'JSON', bizContent: { out_trade_no: ORDER_NO } },
    )));
    expect(sdkParams['biz_content']).toBe(new URLSearchParams(sent!.body).get('biz_content'));
    expect(ours['sign']).toMatch(/^[A-Za-z0-9+/]{300,}={0,2}$/);
    expect(ours['sign']).toBe(sdkParams['sign']);
  });
});

describe('wechatpay-axios-plugin interop', () => {
  const platformKey = () => Rsa.from(w.platformPublicKey, Rsa.KEY_TYPE_PUBLIC);
  const merchantKey = () => Rsa.from(w.merchantPrivateKey, Rsa.KEY_TYPE_PRIVATE);

  /** A GET signed by the plugin's own primitives, sent to the sandbox. */
  async function pluginGet(orderNo: string) {
    const path = `/v3/pay/transactions/out-trade-no/${orderNo}?mchid=${w.mchid}`;
    const nonce = Formatter.nonce();
    const timestamp = Formatter.timestamp();
    const signature = Rsa.sign(Formatter.request('GET', path, timestamp, nonce, ''), merchantKey());
    const res = await fetch(`${server.baseUrl}/sandbox/wechatpay${path}`, {
      headers: { authorization: Formatter.authorization(w.mchid, nonce, signature, timestamp, w.merchantSerialNo), accept: 'application/json' },
    });
    const h = (n: string) => res.headers.get(n) ?? '';
    const body = await res.text();
    const verified = Rsa.verify(Formatter.response(h('wechatpay-timestamp'), h('wechatpay-nonce'), body), h('wechatpay-signature'), platformKey());
    return { status: res.status, body, verified, serial: h('wechatpay-serial'), timestamp: Number(h('wechatpay-timestamp')) };
  }

  it.each(['paid', 'unpaid', 'closed', 'refunded'])('the sandbox accepts the plugin\'s Authorization and the plugin verifies its %s answer', async (state) => {
    const got = await pluginGet(`K-${state}`);
    expect(got).toMatchObject({ status: 200, verified: true, serial: w.platformSerial });
    expect(JSON.parse(got.body)).toMatchObject({ mchid: w.mchid, out_trade_no: `K-${state}` });
  });

  it('the plugin verifies the signed 404 and refuses the bad_signature answer', async () => {
    expect(await pluginGet('K-not_found')).toMatchObject({ status: 404, verified: true });
    expect(await pluginGet('K-bad_signature')).toMatchObject({ status: 200, verified: false });
  });

  it('a stale answer verifies as a signature but carries a timestamp an hour old', async () => {
    const got = await pluginGet('K-stale');
    expect(got.verified).toBe(true);
    expect(Date.now() / 1000 - got.timestamp).toBeGreaterThan(3000);
  });

  it('the plugin\'s full client (axios, its own signer and verifier) queries the mounted sandbox', async () => {
    const wxpay = new Wechatpay({
      mchid: w.mchid, serial: w.merchantSerialNo, privateKey: w.merchantPrivateKey,
      certs: { [w.platformSerial]: w.platformPublicKey }, baseURL: `${server.baseUrl}/sandbox/wechatpay/`,
    });
    const chain = wxpay as any;
    const { data } = await chain.v3.pay.transactions.outTradeNo._out_trade_no_.get({ params: { mchid: w.mchid }, out_trade_no: 'K-paid' });
    expect(data).toMatchObject({ trade_state: 'SUCCESS', amount: { total: 5000 } });
  });

  it('our Authorization equals the plugin\'s for the same nonce and timestamp', async () => {
    const path = `/v3/pay/transactions/out-trade-no/${ORDER_NO}?mchid=${w.mchid}`;
    const nonce = '593BEC0C930BF1AFEB40B4A08C8FB242';
    const timestamp = '1763777790';
    const ours = parseAuthorization(await buildAuthorization({
      method: 'GET', pathWithQuery: path, mchid: w.mchid, serialNo: w.merchantSerialNo, privateKey: w.merchantPrivateKey, timestamp, nonce,
    }));
    const signature = Rsa.sign(Formatter.request('GET', path, timestamp, nonce, ''), merchantKey());
    const theirs = parseAuthorization(Formatter.authorization(w.mchid, nonce, signature, timestamp, w.merchantSerialNo));
    expect(theirs).not.toBeNull();
    expect(ours).toEqual(theirs);
  });
});

/**
 * Records the protocol answers the nock contract tests replay (fixtures/gateways/{alipay,wechatpay}).
 * Every answer is produced by the real adapter talking to the sandbox in-process under FIXED_NOW,
 * signed with the sandbox keys; answers the sandbox never gives (a busy gateway, a probe
 * signature, a tampered body) are built here from the same protocol helpers and keys.
 *
 *     npx tsx test/gateways/record-fixtures.ts
 */
import { writeFileSync } from 'node:fs';
import type { HttpClient, HttpResponse } from '../../src/net/types.ts';
import type { GatewayAnswer } from '../../src/sandbox/types.ts';
import type { TradeRef } from '../../src/domain/payment.ts';
import { createAlipayGateway } from '../../src/gateways/alipay/gateway.ts';
import { createWechatPayGateway } from '../../src/gateways/wechatpay/gateway.ts';
import { QUERY_RESPONSE_KEY, signedAlipayBody } from '../../src/gateways/alipay/protocol.ts';
import { randomNonce, responseSignString, unixSeconds } from '../../src/gateways/wechatpay/protocol.ts';
import { signSha256WithRsa } from '../../src/gateways/rsa.ts';
import {
  FIXED_NOW, ORDER_NO, type RecordedFixture, inProcessHttp, keys, memoryWorld, sandboxTrade, sandboxes,
} from './support.ts';

const ALIPAY_GATEWAY = 'https://openapi.alipay.com/gateway.do';
const WECHAT_BASE = 'https://api.mch.weixin.qq.com';
const PAID_AT = '2026-11-22T10:16:02+08:00';
const ALIPAY_TRADE_NO = '2026112222001412345678901234';
const WECHAT_TRANSACTION_ID = '4200002345202611228253501450';

function write(gateway: 'alipay' | 'wechatpay', name: string, fixture: RecordedFixture): void {
  const file = new URL(`../../fixtures/gateways/${gateway}/${name}.json`, import.meta.url);
  writeFileSync(file, `${JSON.stringify(fixture, null, 2)}\n`);
  console.log(`${gateway}/${name}`);
}

/** Runs one adapter query against the in-process sandbox playing `answer`, keeping the raw answer. */
async function recordAnswer(
  gateway: 'alipay' | 'wechatpay',
  answer: GatewayAnswer | null,
  ref: TradeRef,
  overrides: Record<string, string> = {},
): Promise<{ path: string; method: 'GET' | 'POST'; res: HttpResponse }> {
  const world = memoryWorld(answer ? [sandboxTrade(gateway === 'alipay' ? 'alipay' : 'wechat', answer)] : []);
  const app = sandboxes({ world, now: () => FIXED_NOW, latencyMs: 0 });
  const inner = inProcessHttp(app);
  let seen: { path: string; method: 'GET' | 'POST'; res: HttpResponse } | undefined;
  const origin = 'http://sandbox.local';
  const http: HttpClient = {
    async send(req) {
      const res = await inner.send(req);
      const u = new URL(req.url);
      const at = u.pathname.indexOf(gateway === 'alipay' ? '/gateway.do' : '/v3/');
      seen = { path: `${u.pathname.slice(at)}${gateway === 'wechatpay' ? u.search : ''}`, method: req.method, res };
      return res;
    },
  };
  const deps = { http, now: () => FIXED_NOW };
  const signal = AbortSignal.timeout(5000);
  if (gateway === 'alipay') {
    const a = keys.alipay;
    await createAlipayGateway({
      gateway: `${origin}/sandbox/alipay/gateway.do`, appId: a.appId, merchantPrivateKey: a.merchantPrivateKey,
      alipayPublicKey: a.alipayPublicKey, ...overrides,
    }, deps).query(ref, { signal });
  } else {
    const w = keys.wechatpay;
    await createWechatPayGateway({
      baseUrl: `${origin}/sandbox/wechatpay`, mchid: w.mchid, appid: w.appid, merchantSerialNo: w.merchantSerialNo,
      merchantPrivateKey: w.merchantPrivateKey, platformKeys: { [w.platformSerial]: w.platformPublicKey }, ...overrides,
    }, deps).query(ref, { signal });
  }
  if (!seen) throw new Error('adapter sent nothing');
  return seen;
}

function fixture(description: string, rec: { path: string; method: 'GET' | 'POST'; res: HttpResponse }): RecordedFixture {
  const { 'content-length': _len, ...headers } = rec.res.headers;
  return {
    description,
    now: FIXED_NOW.toISOString(),
    request: { method: rec.method, path: rec.path },
    response: { status: rec.res.status, headers, body: rec.res.body },
  };
}

const byOrder: TradeRef = { orderNo: ORDER_NO };
const paid: GatewayAnswer = { state: 'paid', amountCents: 5000, paidAt: PAID_AT, tradeNo: ALIPAY_TRADE_NO };

async function recordAlipay(): Promise<void> {
  const rec = (name: string, description: string, answer: GatewayAnswer | null, ref = byOrder, overrides = {}) =>
    recordAnswer('alipay', answer, ref, overrides).then((r) => write('alipay', name, fixture(description, r)));

  await rec('paid', 'TRADE_SUCCESS, total 50.00', paid);
  await rec('paid-by-trade-no', 'TRADE_SUCCESS, queried by trade_no', paid, { tradeNo: ALIPAY_TRADE_NO });
  await rec('unpaid', 'WAIT_BUYER_PAY', { state: 'unpaid' });
  await rec('in-progress', 'in_progress renders as WAIT_BUYER_PAY (Alipay has no paying-now state)', { state: 'in_progress' });
  await rec('failed', 'failed renders as WAIT_BUYER_PAY (Alipay has no failed state)', { state: 'failed', reason: '余额不足' });
  await rec('closed', 'TRADE_CLOSED without send_pay_date: expired unpaid', { state: 'closed', tradeNo: ALIPAY_TRADE_NO });
  await rec('refunded', 'TRADE_CLOSED with send_pay_date: paid then fully refunded', { state: 'refunded', paidAt: PAID_AT, tradeNo: ALIPAY_TRADE_NO });
  await rec('not-found', '40004 ACQ.TRADE_NOT_EXIST (buyer never reached the cashier)', null);
  await rec('stale', 'stale on Alipay: no timestamp in the protocol, so a correctly signed paid answer', { ...paid, state: 'stale' });
  await rec('amount-one-cent-short', 'TRADE_SUCCESS, correctly signed, total 49.99 for a 50.00 order', { ...paid, amountCents: 4999 });
  await rec('http-500', 'HTTP 500 HTML page from the front end', { state: 'http_500' });
  await rec('malformed', 'truncated JSON, unsigned', { state: 'malformed' });
  await rec('bad-signature', 'well-formed TRADE_SUCCESS whose sign does not verify', { ...paid, state: 'bad_signature' });
  await rec('invalid-app-id', '40002 isv.invalid-app-id (adapter configured with a wrong app id)', paid, byOrder, { appId: '2021000000000000' });
  await rec('invalid-signature', '40002 isv.invalid-signature (request signed with the wrong private key)', paid, byOrder, {
    merchantPrivateKey: keys.wechatpay.merchantPrivateKey,
  });

  // Answers the sandbox does not give, built with the same rules and the sandbox Alipay key.
  const key = keys.alipay.alipayPrivateKey;
  const post = { method: 'POST' as const, path: '/gateway.do' };
  const handmade = (name: string, description: string, body: string) =>
    write('alipay', name, { description, now: FIXED_NOW.toISOString(), request: post,
      response: { status: 200, headers: { 'content-type': 'application/json;charset=utf-8' }, body } });
  const paidRec = await recordAnswer('alipay', paid, byOrder);
  const paidInner = (JSON.parse(paidRec.res.body) as Record<string, Record<string, string>>)[QUERY_RESPONSE_KEY] ?? {};

  handmade('paid-finished', 'TRADE_FINISHED (paid, refund window over)',
    await signedAlipayBody(QUERY_RESPONSE_KEY, { ...paidInner, trade_status: 'TRADE_FINISHED' }, key));
  handmade('system-busy', '20000 isp.unknow-error: Alipay busy, signed',
    await signedAlipayBody(QUERY_RESPONSE_KEY, { code: '20000', msg: 'Service Currently Unavailable', sub_code: 'isp.unknow-error', sub_msg: '系统繁忙' }, key));
  handmade('acq-system-error', '40004 ACQ.SYSTEM_ERROR: business system error, signed',
    await signedAlipayBody(QUERY_RESPONSE_KEY, { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.SYSTEM_ERROR', sub_msg: '系统错误', out_trade_no: ORDER_NO }, key));
  handmade('other-trade', 'correctly signed TRADE_SUCCESS about a different out_trade_no',
    await signedAlipayBody(QUERY_RESPONSE_KEY, { ...paidInner, out_trade_no: 'K20261122101500999' }, key));
  handmade('unsigned-paid', 'TRADE_SUCCESS without any sign',
    `{"${QUERY_RESPONSE_KEY}":${JSON.stringify(paidInner)}}`);
  const signedPaid = await signedAlipayBody(QUERY_RESPONSE_KEY, paidInner, key);
  handmade('tampered-amount', 'signed TRADE_SUCCESS whose total_amount was changed by one cent after signing',
    signedPaid.replace('"total_amount":"50.00"', '"total_amount":"50.01"'));
  // Alipay may sign the text with `/` escaped as `\/` while the bytes we get carry a plain `/`.
  const withSlash = { ...paidInner, store_name: 'https://shop.example/s/1' };
  const plain = JSON.stringify(withSlash);
  const escapedSign = await signSha256WithRsa(key, plain.replaceAll('/', '\\/'));
  handmade('slash-escaped-sign', 'sign made over the \\/-escaped text, body carries plain /',
    `{"${QUERY_RESPONSE_KEY}":${plain},"sign":"${escapedSign}"}`);
}

async function recordWechat(): Promise<void> {
  const w = keys.wechatpay;
  const wxPaid: GatewayAnswer = { state: 'paid', amountCents: 5000, paidAt: PAID_AT, tradeNo: WECHAT_TRANSACTION_ID };
  const rec = (name: string, description: string, answer: GatewayAnswer | null, ref = byOrder, overrides = {}) =>
    recordAnswer('wechatpay', answer, ref, overrides).then((r) => write('wechatpay', name, fixture(description, r)));

  await rec('paid', 'SUCCESS, total 5000 fen', wxPaid);
  await rec('paid-by-transaction-id', 'SUCCESS, queried by transaction_id', wxPaid, { tradeNo: WECHAT_TRANSACTION_ID });
  await rec('refunded', 'REFUND', { ...wxPaid, state: 'refunded' });
  await rec('unpaid', 'NOTPAY', { state: 'unpaid' });
  await rec('in-progress', 'USERPAYING', { state: 'in_progress' });
  await rec('closed', 'CLOSED', { state: 'closed' });
  await rec('failed', 'PAYERROR with a reason', { state: 'failed', reason: '银行卡余额不足' });
  await rec('not-found', 'HTTP 404 ORDER_NOT_EXIST, signed', null);
  await rec('http-500', 'HTTP 500 SYSTEM_ERROR, signed', { state: 'http_500' });
  await rec('malformed', 'truncated JSON, signed over its bytes', { state: 'malformed' });
  await rec('bad-signature', 'well-formed SUCCESS whose signature does not verify', { ...wxPaid, state: 'bad_signature' });
  await rec('stale', 'correctly signed SUCCESS with Wechatpay-Timestamp an hour old', { ...wxPaid, state: 'stale' });
  await rec('amount-one-cent-short', 'SUCCESS, correctly signed, total 4999 for a 5000 order', { ...wxPaid, amountCents: 4999 });
  await rec('wrong-mchid', 'HTTP 400 MCH_NOT_EXISTS (adapter configured with a wrong mchid)', wxPaid, byOrder, { mchid: '1900000000' });
  await rec('sign-error', 'HTTP 401 SIGN_ERROR (request signed with the wrong private key)', wxPaid, byOrder, {
    merchantPrivateKey: keys.alipay.merchantPrivateKey,
  });

  // Answers the sandbox does not give, signed with the sandbox platform key.
  const paidFixture = await recordAnswer('wechatpay', wxPaid, byOrder);
  const paidBody = JSON.parse(paidFixture.res.body) as Record<string, unknown>;
  const get = { method: 'GET' as const, path: paidFixture.path };
  const sign = async (body: string, ts = unixSeconds(FIXED_NOW)) => {
    const nonce = randomNonce();
    return {
      'content-type': 'application/json; charset=utf-8',
      'request-id': `08${nonce.slice(0, 24)}`,
      'wechatpay-nonce': nonce,
      'wechatpay-serial': w.platformSerial,
      'wechatpay-signature': await signSha256WithRsa(w.platformPrivateKey, responseSignString(ts, nonce, body)),
      'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
      'wechatpay-timestamp': ts,
    } as Record<string, string>;
  };
  const handmade = async (name: string, description: string, status: number, body: string, edit?: (h: Record<string, string>) => void) => {
    const headers = await sign(body);
    edit?.(headers);
    write('wechatpay', name, { description, now: FIXED_NOW.toISOString(), request: get, response: { status, headers, body } });
  };

  await handmade('revoked', 'REVOKED (付款码 cancelled)', 200, JSON.stringify({ ...paidBody, trade_state: 'REVOKED', trade_state_desc: '已撤销' }));
  await handmade('rate-limited', 'HTTP 429 FREQUENCY_LIMITED, signed', 429, JSON.stringify({ code: 'FREQUENCY_LIMITED', message: '频率超限' }));
  await handmade('body-mchid-mismatch', 'correctly signed SUCCESS for another mchid', 200, JSON.stringify({ ...paidBody, mchid: '1900000000' }));
  await handmade('body-appid-mismatch', 'correctly signed SUCCESS for another appid', 200, JSON.stringify({ ...paidBody, appid: 'wx0000000000000000' }));
  await handmade('other-trade', 'correctly signed SUCCESS about a different out_trade_no', 200, JSON.stringify({ ...paidBody, out_trade_no: 'K20261122101500999' }));
  await handmade('unknown-serial', 'correctly signed SUCCESS naming a platform serial we do not know', 200, paidFixture.res.body,
    (h) => { h['wechatpay-serial'] = 'PUB_KEY_ID_0000000000000000000000000000000000'; });
  await handmade('signtest', 'WECHATPAY/SIGNTEST/ probe signature', 200, paidFixture.res.body,
    (h) => { h['wechatpay-signature'] = `WECHATPAY/SIGNTEST/${h['wechatpay-signature']}`; });
  const tampered = paidFixture.res.body.replace('"total":5000', '"total":5001');
  write('wechatpay', 'tampered-amount', {
    description: 'signed SUCCESS whose amount.total was changed by one fen after signing', now: FIXED_NOW.toISOString(), request: get,
    response: { status: 200, headers: fixture('', paidFixture).response.headers, body: tampered },
  });
  const { 'wechatpay-signature': _s, 'wechatpay-serial': _se, 'wechatpay-nonce': _n, 'wechatpay-timestamp': _t, ...bare } =
    fixture('', paidFixture).response.headers;
  write('wechatpay', 'unsigned', {
    description: 'SUCCESS without any Wechatpay-* signature headers', now: FIXED_NOW.toISOString(), request: get,
    response: { status: 200, headers: bare, body: paidFixture.res.body },
  });
}

await recordAlipay();
await recordWechat();

/**
 * Re-records fixtures/gateways/wechatpay-v2/*.json: the real adapter talks to the WeChat Pay v2
 * sandbox in-process at FIXED_NOW, so every sign in the files is genuine. Answers the sandbox
 * world cannot give (a busy gateway, a tampered body, a hostile DTD) are derived from a recorded
 * paid answer and signed with the sandbox's own signer, not the adapter's.
 *
 * Run: npx tsx test/gateways/wechatpay-v2.record.ts
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Hono } from 'hono';
import type { TradeRef } from '../../src/domain/payment.ts';
import type { HttpClient, HttpRequest, HttpResponse } from '../../src/net/types.ts';
import { createWechatPayV2Gateway, type WechatPayV2Config } from '../../src/gateways/wechatpay-v2/gateway.ts';
import type { SignType } from '../../src/gateways/wechatpay-v2/sign.ts';
import { parseFlatXml } from '../../src/gateways/wechatpay-v2/xml.ts';
import { sandboxV2Sign, sandboxV2Xml, wechatPayV2Sandbox } from '../../src/sandbox/gateways/wechatpay-v2.ts';
import type { GatewayAnswer } from '../../src/sandbox/types.ts';
import { FIXED_NOW, ORDER_NO, keys, memoryWorld, sandboxTrade } from './support.ts';

/** One recorded exchange: what the adapter sent and what the sandbox server answered. */
export interface WechatV2Fixture {
  description: string;
  now: string;
  ref: TradeRef;
  signType: SignType;
  /** adapter config that differs from the sandbox merchant's (a wrong key, another mch_id) */
  configOverrides?: Partial<Pick<WechatPayV2Config, 'appid' | 'mchid' | 'key'>>;
  /** the body's nonce_str and sign differ on every run */
  request: { method: 'POST'; path: string; body: string };
  response: { status: number; headers: Record<string, string>; body: string };
}

const OUT = new URL('../../fixtures/gateways/wechatpay-v2/', import.meta.url);
const v2 = keys.wechatpayV2;
const PAID_AT = '2026-11-22T10:16:02+08:00';
const TRANSACTION_ID = '4200002345202611228253501450';
const PAID: GatewayAnswer = { state: 'paid', amountCents: 5000, paidAt: PAID_AT, tradeNo: TRANSACTION_ID };
const byOrder: TradeRef = { orderNo: ORDER_NO };

interface Case {
  name: string;
  description: string;
  answer?: GatewayAnswer; // absent: the world has no such order
  ref?: TradeRef;
  signType?: SignType;
  configOverrides?: WechatV2Fixture['configOverrides'];
}

const RECORDED: Case[] = [
  { name: 'paid', description: 'SUCCESS, total_fee 5000, MD5', answer: PAID },
  { name: 'paid-hmac-sha256', description: 'SUCCESS, total_fee 5000, sign_type HMAC-SHA256', answer: PAID, signType: 'HMAC-SHA256' },
  { name: 'paid-by-transaction-id', description: 'SUCCESS, queried by transaction_id', answer: PAID, ref: { tradeNo: TRANSACTION_ID } },
  { name: 'amount-one-cent-short', description: 'SUCCESS, correctly signed, total_fee 4999 for a 5000 order', answer: { ...PAID, amountCents: 4999 } },
  { name: 'refunded', description: 'REFUND', answer: { ...PAID, state: 'refunded' } },
  { name: 'unpaid', description: 'NOTPAY', answer: { state: 'unpaid' } },
  { name: 'in-progress', description: 'USERPAYING (付款码, waiting for the password)', answer: { state: 'in_progress' } },
  { name: 'closed', description: 'CLOSED', answer: { state: 'closed' } },
  { name: 'failed', description: 'PAYERROR with the bank\'s reason', answer: { state: 'failed', reason: '银行卡余额不足' } },
  { name: 'not-found', description: 'result_code FAIL ORDERNOTEXIST, signed' },
  { name: 'not-found-hmac-sha256', description: 'result_code FAIL ORDERNOTEXIST, signed with HMAC-SHA256', signType: 'HMAC-SHA256' },
  { name: 'stale', description: 'stale on v2: no timestamp in the protocol, so a correctly signed paid answer', answer: { ...PAID, state: 'stale' } },
  { name: 'http-500', description: 'HTTP 500 HTML page from the front end', answer: { state: 'http_500' } },
  { name: 'malformed', description: 'truncated XML', answer: { state: 'malformed' } },
  { name: 'bad-signature', description: 'well-formed SUCCESS whose sign does not verify', answer: { ...PAID, state: 'bad_signature' } },
  {
    name: 'sign-error', description: 'request signed with a wrong key: SIGNERROR, signed with the merchant\'s real key',
    answer: PAID, configOverrides: { key: 'WrongKeyWrongKeyWrongKeyWrongKey' },
  },
  { name: 'wrong-mchid', description: 'return_code FAIL for an unknown mch_id (unsigned)', answer: PAID, configOverrides: { mchid: '1900000000' } },
  {
    name: 'appid-mchid-not-match', description: 'APPID_MCHID_NOT_MATCH (adapter configured with an appid not bound to the mch_id)',
    answer: PAID, configOverrides: { appid: 'wx0000000000000000' },
  },
];

async function record(c: Case): Promise<WechatV2Fixture> {
  const world = memoryWorld(c.answer ? [sandboxTrade('wechat', c.answer)] : []);
  const app = new Hono().route('/', wechatPayV2Sandbox({ world, now: () => FIXED_NOW, latencyMs: 0 }, v2));
  let seen: { req: HttpRequest; res: HttpResponse } | undefined;
  const http: HttpClient = {
    async send(req) {
      const r = await app.request(req.url, { method: req.method, ...(req.headers ? { headers: req.headers } : {}), body: req.body ?? null });
      const headers: Record<string, string> = {};
      r.headers.forEach((value, name) => {
        if (name !== 'content-length') headers[name] = value;
      });
      const res = { status: r.status, headers, body: await r.text(), attempts: 1, ms: 0 };
      seen = { req, res };
      return res;
    },
  };
  const signType = c.signType ?? 'MD5';
  const ref = c.ref ?? byOrder;
  await createWechatPayV2Gateway(
    { url: 'http://sandbox.local', appid: v2.appid, mchid: v2.mchid, key: v2.key, signType, ...c.configOverrides },
    { http, now: () => FIXED_NOW },
  ).query(ref, { signal: AbortSignal.timeout(5000) });
  if (!seen) throw new Error(`${c.name}: nothing was sent`);
  return {
    description: c.description,
    now: FIXED_NOW.toISOString(),
    ref,
    signType,
    ...(c.configOverrides ? { configOverrides: c.configOverrides } : {}),
    request: { method: 'POST', path: new URL(seen.req.url).pathname, body: seen.req.body ?? '' },
    response: { status: seen.res.status, headers: seen.res.headers, body: seen.res.body },
  };
}

/** Answers the sandbox does not give, derived from the recorded paid one. */
function handmade(paid: WechatV2Fixture): Array<[string, WechatV2Fixture]> {
  const parsed = parseFlatXml(paid.response.body);
  if (!parsed.ok) throw new Error(`recorded paid answer does not parse: ${parsed.reason}`);
  const paidFields: Record<string, string> = { ...parsed.fields };
  /** Edits the paid answer's fields and signs the result (sign keeps its place in the document). */
  const resigned = (edits: Record<string, string>, signType: SignType = 'MD5') => {
    const fields = { ...paidFields, ...edits };
    fields['sign'] = sandboxV2Sign(fields, v2.key, signType);
    return sandboxV2Xml(fields);
  };
  const derive = (name: string, description: string, body: string, extra: Partial<WechatV2Fixture> = {}): [string, WechatV2Fixture] =>
    [name, { ...paid, description, ...extra, response: { ...paid.response, body } }];
  const { sign: _sign, ...unsignedFields } = paidFields;
  const signedPaid = sandboxV2Xml(paidFields);

  return [
    derive('revoked', 'REVOKED (付款码 cancelled)', resigned({ trade_state: 'REVOKED', trade_state_desc: '已撤销' })),
    derive('system-error', 'result_code FAIL SYSTEMERROR, signed', sandboxV2Xml(withSign({
      return_code: 'SUCCESS', return_msg: 'OK', appid: v2.appid, mch_id: v2.mchid, nonce_str: 'Qm4cLr8VjX2pTt7d',
      result_code: 'FAIL', err_code: 'SYSTEMERROR', err_code_des: '系统错误',
    }))),
    derive('return-fail-sign', 'return_code FAIL 签名错误: the live gateway\'s communication-level refusal (unsigned)',
      sandboxV2Xml({ return_code: 'FAIL', return_msg: '签名错误' })),
    derive('body-mchid-mismatch', 'correctly signed SUCCESS for another mch_id', resigned({ mch_id: '1900000000' })),
    derive('body-appid-mismatch', 'correctly signed SUCCESS for another appid', resigned({ appid: 'wx0000000000000000' })),
    derive('other-trade', 'correctly signed SUCCESS about a different out_trade_no', resigned({ out_trade_no: 'K20261122101500999' })),
    derive('unknown-trade-state', 'correctly signed answer with a trade_state nobody documents for orderquery', resigned({ trade_state: 'ACCEPT' })),
    derive('unsigned', 'SUCCESS paid answer without any sign', sandboxV2Xml(unsignedFields)),
    derive('tampered-amount', 'signed SUCCESS whose total_fee was changed by one fen after signing',
      signedPaid.replace('<total_fee>5000</total_fee>', '<total_fee>5001</total_fee>')),
    derive('sign-type-mismatch', 'asked with MD5, answered with an HMAC-SHA256 sign', resigned({}, 'HMAC-SHA256')),
    derive('doctype', 'a paid answer behind a DTD declaring an external entity (XXE)',
      `<?xml version="1.0"?>\n<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n${signedPaid.replace('<attach><![CDATA[]]></attach>', '<attach>&xxe;</attach>')}`),
  ];

  function withSign(fields: Record<string, string>): Record<string, string> {
    return { ...fields, sign: sandboxV2Sign(fields, v2.key, 'MD5') };
  }
}

await mkdir(OUT, { recursive: true });
const written: Array<[string, WechatV2Fixture]> = [];
for (const c of RECORDED) written.push([c.name, await record(c)]);
const paid = written.find(([name]) => name === 'paid')?.[1];
if (!paid) throw new Error('no paid recording');
written.push(...handmade(paid));
for (const [name, fixture] of written) {
  await writeFile(new URL(`${name}.json`, OUT), `${JSON.stringify(fixture, null, 2)}\n`);
  console.log(`${name}: ${fixture.response.status} ${fixture.response.body.replace(/\s+/g, ' ').slice(0, 90)}`);
}

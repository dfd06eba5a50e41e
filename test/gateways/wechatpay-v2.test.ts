import { readdirSync, readFileSync } from 'node:fs';
import nock from 'nock';
import { Hash, Wechatpay } from 'wechatpay-axios-plugin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_XML_CHARS, buildSignString, computeSign, createWechatPayV2Gateway, parseFlatXml, readWechatV2Query, signMatches,
  toFlatXml, beijingTimeEndToIso, type SignType, type WechatPayV2Config,
} from '../../src/gateways/wechatpay-v2/index.ts';
import type { FaultKind, PaymentEvidence, PaymentState, TradeRef } from '../../src/domain/payment.ts';
import { sandboxV2Sign } from '../../src/sandbox/gateways/wechatpay-v2.ts';
import { listenSandbox, type SandboxListener } from '../../src/sandbox/listener.ts';
import type { GatewayAnswerState } from '../../src/sandbox/types.ts';
import { FIXED_NOW, ORDER_NO, keys, memoryWorld, sandboxTrade } from './support.ts';
import type { WechatV2Fixture } from './wechatpay-v2.record.ts';
import { connectionReset, offlineClients } from '../net/support.ts';
import { untrustedOn } from './expect.ts';

const ORIGIN = 'https://api.mch.weixin.qq.com';
const TRANSACTION_ID = '4200002345202611228253501450';
const PAID_AT_ISO = '2026-11-22T02:16:02.000Z';
const v2 = keys.wechatpayV2;
const http = offlineClients({ name: 'wechatpay-v2', retries: 1, minBackoffMs: 1, maxBackoffMs: 5, attemptTimeoutMs: 400, breaker: false });
const signal = () => ({ signal: AbortSignal.timeout(5000) });
const expectUntrusted = untrustedOn('wechat');

const FIXTURE_DIR = new URL('../../fixtures/gateways/wechatpay-v2/', import.meta.url);
const fixtures = new Map<string, WechatV2Fixture>(
  readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(new URL(f, FIXTURE_DIR), 'utf8')) as WechatV2Fixture]),
);

function fixture(name: string): WechatV2Fixture {
  const f = fixtures.get(name);
  if (!f) throw new Error(`missing fixture ${name}: run test/gateways/wechatpay-v2.record.ts`);
  return f;
}

function gateway(overrides: Partial<WechatPayV2Config> = {}) {
  return createWechatPayV2Gateway({ url: ORIGIN, appid: v2.appid, mchid: v2.mchid, key: v2.key, ...overrides }, { http: http(), now: () => FIXED_NOW });
}

function fieldsOf(xml: string): Record<string, string> {
  const parsed = parseFlatXml(xml);
  if (!parsed.ok) throw new Error(parsed.reason);
  return { ...parsed.fields };
}

/**
 * The request the adapter sends now is the recorded one up to its fresh nonce_str, and its sign
 * verifies under the sandbox's independent signer with the key the fixture was recorded with.
 */
function sameRequest(sent: string, f: WechatV2Fixture): boolean {
  const now = parseFlatXml(sent);
  if (!now.ok) return false;
  const strip = ({ nonce_str: _n, sign: _s, ...rest }: Record<string, string>) => JSON.stringify(rest);
  return strip({ ...now.fields }) === strip(fieldsOf(f.request.body)) &&
    now.fields['sign'] === sandboxV2Sign({ ...now.fields }, f.configOverrides?.key ?? v2.key, f.signType);
}

function replay(f: WechatV2Fixture, opts: { times?: number; body?: string; checkRequest?: boolean } = {}): nock.Scope {
  const scope = nock(ORIGIN);
  const interceptor = opts.checkRequest === false
    ? scope.post(f.request.path)
    : scope.post(f.request.path, (sent: unknown) => sameRequest(String(sent), f));
  return interceptor.times(opts.times ?? 1).reply(f.response.status, opts.body ?? f.response.body, f.response.headers);
}

async function queryFixture(name: string, times = 1): Promise<PaymentEvidence> {
  const f = fixture(name);
  const scope = replay(f, { times });
  const evidence = await gateway({ signType: f.signType, ...f.configOverrides }).query(f.ref, signal());
  expect(scope.isDone(), 'the adapter sent the recorded request').toBe(true);
  return evidence;
}

// The official example of the v2 signing rules ("安全规范 / 签名算法",
// pay.weixin.qq.com/wiki/doc/api/H5.php?chapter=4_3, also jsapi.php?chapter=4_3), as mirrored at
// cnblogs.com/chinanetwind/articles/9597215.html, cnblogs.com/swing07/p/10820506.html and
// blog.csdn.net/aodizhi5710/article/details/101117354 (found with the `search` tool). The
// published stringA, MD5 and HMAC-SHA256 values are copied from there, not computed by our code.
const DOC_PARAMS = { appid: 'wxd930ea5d5a258f4f', mch_id: '10000100', device_info: '1000', body: 'test', nonce_str: 'ibuaiVcKdpRxkhJA' };
const DOC_KEY = '192006250b4c09247ec02edce69f6a2d';
const DOC_STRING_A = 'appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA';
const DOC_MD5 = '9A0A8659F005D6984697E2CA0A9CF3B7';
const DOC_HMAC_SHA256 = '6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6';
const DOC_XML = `<xml>
<appid>wxd930ea5d5a258f4f</appid>
<mch_id>10000100</mch_id>
<device_info>1000</device_info>
<body>test</body>
<nonce_str>ibuaiVcKdpRxkhJA</nonce_str>
<sign>9A0A8659F005D6984697E2CA0A9CF3B7</sign>
</xml>`;

type Signer = (params: Record<string, string>, key: string, type: SignType) => string;
const SIGNERS: Array<[string, Signer]> = [['adapter', computeSign], ['sandbox', sandboxV2Sign]];

describe('wechatpay v2 signing: the official example vectors', () => {
  it('the adapter builds the documented stringSignTemp', () => {
    expect(buildSignString(DOC_PARAMS, DOC_KEY)).toBe(`${DOC_STRING_A}&key=${DOC_KEY}`);
  });

  it.each(SIGNERS)('the %s signer reproduces the MD5 and HMAC-SHA256 vectors', (_name, sign) => {
    expect(sign(DOC_PARAMS, DOC_KEY, 'MD5')).toBe(DOC_MD5);
    expect(sign(DOC_PARAMS, DOC_KEY, 'HMAC-SHA256')).toBe(DOC_HMAC_SHA256);
  });

  it('the documented final request verifies; a changed field, key or sign type does not', () => {
    const fields = fieldsOf(DOC_XML);
    expect(signMatches(fields, DOC_KEY, 'MD5')).toBe(true);
    expect(signMatches({ ...fields, body: 'test2' }, DOC_KEY, 'MD5')).toBe(false);
    expect(signMatches(fields, `${DOC_KEY.slice(0, -1)}e`, 'MD5')).toBe(false);
    expect(signMatches(fields, DOC_KEY, 'HMAC-SHA256')).toBe(false);
    expect(signMatches({ ...fields, sign: DOC_MD5.toLowerCase() }, DOC_KEY, 'MD5')).toBe(false);
    const { sign: _sign, ...unsigned } = fields;
    expect(signMatches(unsigned, DOC_KEY, 'MD5')).toBe(false);
  });

  it('the official SDK-era plugin agrees with the vectors (a third implementation)', () => {
    expect(Hash.sign('MD5', DOC_PARAMS, DOC_KEY)).toBe(DOC_MD5);
    expect(Hash.sign('HMAC-SHA256', DOC_PARAMS, DOC_KEY)).toBe(DOC_HMAC_SHA256);
  });

  it('all three agree where the rules have corners: empty values, `sign`, case-sensitive ASCII order, UTF-8', () => {
    const cases: Array<Record<string, string>> = [
      { b: '2', a: '1', sign: 'IGNORED', empty: '' },
      { Zeta: 'upper sorts before lower', alpha: 'x', _under: 'y', 'dot.name': 'z' },
      { body: 'Steam充值卡50元', attach: 'a=b&c=d', detail: ' spaced ' },
    ];
    for (const params of cases) {
      for (const type of ['MD5', 'HMAC-SHA256'] as const) {
        const ours = computeSign(params, v2.key, type);
        expect(sandboxV2Sign(params, v2.key, type)).toBe(ours);
        expect(Hash.sign(type, params, v2.key)).toBe(ours);
      }
    }
    expect(buildSignString({ b: '2', B: '3', a: '1', sign: 'x', e: '' }, 'K')).toBe('B=3&a=1&b=2&key=K');
  });
});

describe('wechatpay v2 XML reader (security)', () => {
  const refused = (xml: string, reason: RegExp) => {
    const r = parseFlatXml(xml);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  };

  it('reads CDATA, plain text, the five predefined entities, whitespace between fields and a declaration', () => {
    const r = parseFlatXml([
      '\uFEFF<?xml version="1.0" encoding="UTF-8"?>', '<xml>', '  <a><![CDATA[x<y>&z]]></a>', '  <b>5000</b>',
      '  <c>&lt;&gt;&amp;&quot;&apos;</c>', '  <d></d>', '  <e><![CDATA[one]]><![CDATA[two]]></e>', '</xml>', '',
    ].join('\n'));
    expect(r).toEqual({ ok: true, fields: { a: 'x<y>&z', b: '5000', c: '<>&"\'', d: '', e: 'onetwo' } });
  });

  it('writes what it reads, a value holding "]]>" included', () => {
    const fields = { appid: 'wx3ab10513b21f5950', body: 'a]]>b<c>&d', empty: '' };
    expect(parseFlatXml(toFlatXml(fields))).toEqual({ ok: true, fields });
    expect(() => toFlatXml({ 'bad name': 'x' })).toThrow(/element name/);
  });

  it('keeps a field named __proto__ a plain field', () => {
    const r = parseFlatXml('<xml><__proto__><![CDATA[x]]></__proto__></xml>');
    expect(r.ok && Object.hasOwn(r.fields, '__proto__') && r.fields['__proto__']).toBe('x');
    expect(r.ok && Object.getPrototypeOf(r.fields)).toBeNull();
  });

  it('refuses a DTD with an external entity (XXE)', () => {
    refused('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><a>&xxe;</a></xml>', /markup declaration/);
  });

  it('refuses billion laughs before expanding anything', () => {
    const lol = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><a>&lol3;</a></xml>';
    refused(lol, /markup declaration/);
    refused('<xml><!DOCTYPE x><a>1</a></xml>', /markup declaration/);
    refused('<xml><a><!ENTITY x "y"></a></xml>', /markup inside <a>/);
  });

  it('refuses undeclared entities and character references', () => {
    refused('<xml><a>&xxe;</a></xml>', /not one of the five predefined/);
    refused('<xml><a>&#60;</a></xml>', /not one of the five predefined/);
    refused('<xml><a>&constructor;</a></xml>', /not one of the five predefined/);
    refused('<xml><a>a & b</a></xml>', /not one of the five predefined/);
  });

  it('refuses nesting, attributes, self-closing tags, duplicates, comments and processing instructions', () => {
    refused('<xml><a><b>1</b></a></xml>', /markup inside <a>/);
    refused('<xml><a id="1">1</a></xml>', /attributes or is self-closing/);
    refused('<xml><a/></xml>', /attributes or is self-closing/);
    refused('<xml><a>1</a><a>2</a></xml>', /appears twice/);
    refused('<xml><!-- hi --><a>1</a></xml>', /markup declaration/);
    refused('<xml><?php echo 1 ?><a>1</a></xml>', /processing instruction/);
    refused('<xml><a>1</b></xml>', /closed by another tag/);
    refused('<xml><a><![CDATA[1</a></xml>', /unterminated CDATA/);
    refused('<xml><a>1</a>', /unterminated <xml>/);
    refused('<xml><a>1</a></xml><xml></xml>', /content after/);
    refused('<xml>text<a>1</a></xml>', /text outside a field/);
  });

  it('refuses oversize documents and field floods without reading them', () => {
    const huge = `<xml><a><![CDATA[${'x'.repeat(MAX_XML_CHARS)}]]></a></xml>`;
    const started = performance.now();
    refused(huge, /exceeds/);
    expect(performance.now() - started).toBeLessThan(50);
    refused(`<xml>${Array.from({ length: 300 }, (_, i) => `<f${i}>1</f${i}>`).join('')}</xml>`, /more than 256 fields/);
  });

  it('refuses what is not XML at all', () => {
    refused('', /does not start with <xml>/);
    refused('{"return_code":"SUCCESS"}', /does not start with <xml>/);
    refused('<html><body>502 Bad Gateway</body></html>', /does not start with <xml>/);
    refused('<root><a>1</a></root>', /does not start with <xml>/);
  });
});

describe('wechatpay v2 interpretation (pure)', () => {
  const expect_ = { appid: v2.appid, mchid: v2.mchid };
  const paid = fieldsOf(fixture('paid').response.body);
  const ref: TradeRef = { orderNo: ORDER_NO };

  it('time_end is Beijing wall time; impossible dates are refused', () => {
    expect(beijingTimeEndToIso('20261122101602')).toBe(PAID_AT_ISO);
    expect(beijingTimeEndToIso('20260101000000')).toBe('2025-12-31T16:00:00.000Z');
    for (const bad of ['20260231101602', '20261322101602', '20261122246000', '2026-11-22 10:16:02', '2026112210160', '']) {
      expect(beijingTimeEndToIso(bad), bad).toBeUndefined();
    }
  });

  it('a total_fee that is not an integer number of fen is a parse fault', () => {
    for (const total_fee of ['50.00', '-1', '', '1e3']) {
      expect(readWechatV2Query({ ...paid, total_fee }, ref, expect_)).toMatchObject({ ok: false, fault: { kind: 'parse' } });
    }
  });

  it('a paid answer with an unreadable time_end is a parse fault; without one it is paid with no time', () => {
    expect(readWechatV2Query({ ...paid, time_end: '2026-11-22' }, ref, expect_)).toMatchObject({ ok: false, fault: { kind: 'parse' } });
    const { time_end: _t, ...noTime } = paid;
    const reading = readWechatV2Query(noTime, ref, expect_);
    expect(reading).toMatchObject({ ok: true, state: 'paid', amountCents: 5000 });
    expect(reading).not.toHaveProperty('paidAt');
  });

  it('an answer without return_code or result_code is a parse fault', () => {
    const { return_code: _r, ...noReturn } = paid;
    expect(readWechatV2Query(noReturn, ref, expect_)).toMatchObject({ ok: false, fault: { kind: 'parse' } });
    const { result_code: _c, ...noResult } = paid;
    expect(readWechatV2Query(noResult, ref, expect_)).toMatchObject({ ok: false, fault: { kind: 'parse' } });
  });
});

describe('wechatpay v2 adapter: request contract', () => {
  it.each(['MD5', 'HMAC-SHA256'] as const)('POSTs signed XML (%s) under a prefixed API root; the key never leaves', async (signType) => {
    let sent = '';
    let headers: Record<string, string | string[] | undefined> = {};
    nock(ORIGIN).post('/sandbox/wechatpay-v2/pay/orderquery').reply(function (_uri, body) {
      sent = String(body);
      headers = this.req.headers;
      return [200, fixture(signType === 'MD5' ? 'paid' : 'paid-hmac-sha256').response.body, { 'content-type': 'text/xml' }];
    });
    const ev = await gateway({ url: `${ORIGIN}/sandbox/wechatpay-v2/`, signType }).query({ orderNo: ORDER_NO }, signal());
    expect(ev).toMatchObject({ trust: 'verified', state: 'paid' });
    expect(String(headers['content-type'])).toMatch(/^text\/xml/);
    const fields = fieldsOf(sent);
    expect(Object.keys(fields).sort()).toEqual(['appid', 'mch_id', 'nonce_str', 'out_trade_no', 'sign', 'sign_type']);
    expect(fields).toMatchObject({ appid: v2.appid, mch_id: v2.mchid, out_trade_no: ORDER_NO, sign_type: signType });
    expect(fields['nonce_str']).toMatch(/^[0-9A-F]{32}$/);
    expect(fields['sign']).toBe(sandboxV2Sign(fields, v2.key, signType));
    expect(ev.exchange[0]).toMatchObject({ method: 'POST', url: `${ORIGIN}/sandbox/wechatpay-v2/pay/orderquery`, requestBody: sent, signature: 'verified' });
    expect(JSON.stringify(ev)).not.toContain(v2.key);
  });

  it('asks by transaction_id (and only by it) when given the gateway trade number', async () => {
    const ev = await queryFixture('paid-by-transaction-id');
    expect(ev).toMatchObject({ trust: 'verified', state: 'paid', tradeNo: TRANSACTION_ID, outTradeNo: ORDER_NO });
    const sent = fieldsOf(ev.exchange[0]!.requestBody!);
    expect(sent['transaction_id']).toBe(TRANSACTION_ID);
    expect(sent).not.toHaveProperty('out_trade_no');
  });

  it('refuses an incomplete configuration at start-up', () => {
    expect(() => gateway({ key: '' })).toThrow(/key is required/);
    expect(() => gateway({ signType: 'SHA1' as SignType })).toThrow(/signType/);
  });
});

describe('wechatpay v2 adapter: recorded answers', () => {
  const PAID = { state: 'paid', amountCents: 5000, paidAt: PAID_AT_ISO, tradeNo: TRANSACTION_ID, outTradeNo: ORDER_NO } as const;
  const verified: Record<string, { state: PaymentState } & Partial<PaymentEvidence>> = {
    paid: PAID,
    'paid-hmac-sha256': PAID,
    'paid-by-transaction-id': PAID,
    // v2 carries no timestamp, so the world's "stale" is indistinguishable from a fresh paid answer
    stale: PAID,
    'amount-one-cent-short': { ...PAID, amountCents: 4999 },
    refunded: { ...PAID, state: 'refunded' },
    unpaid: { state: 'unpaid', outTradeNo: ORDER_NO },
    'in-progress': { state: 'in_progress', outTradeNo: ORDER_NO },
    closed: { state: 'closed', outTradeNo: ORDER_NO },
    revoked: { state: 'closed', tradeNo: TRANSACTION_ID, outTradeNo: ORDER_NO },
    failed: { state: 'failed', reason: '银行卡余额不足', outTradeNo: ORDER_NO },
    'not-found': { state: 'not_found', outTradeNo: ORDER_NO },
    'not-found-hmac-sha256': { state: 'not_found', outTradeNo: ORDER_NO },
  };
  const faults: Record<string, { kind: FaultKind; attempts?: number; signature?: string; message?: RegExp }> = {
    'http-500': { kind: 'http', attempts: 2, signature: 'not_applicable' },
    malformed: { kind: 'parse', signature: 'not_applicable' },
    doctype: { kind: 'parse', signature: 'not_applicable', message: /markup declaration/ },
    'bad-signature': { kind: 'signature', signature: 'failed' },
    'tampered-amount': { kind: 'signature', signature: 'failed' },
    'sign-type-mismatch': { kind: 'signature', signature: 'failed' },
    unsigned: { kind: 'signature', signature: 'absent' },
    // the SIGNERROR answer is signed with the real key, which a merchant holding a wrong one cannot check
    'sign-error': { kind: 'signature', signature: 'failed' },
    'wrong-mchid': { kind: 'protocol', signature: 'not_applicable', message: /return_code FAIL/ },
    'return-fail-sign': { kind: 'protocol', signature: 'not_applicable', message: /签名错误/ },
    'appid-mchid-not-match': { kind: 'protocol', signature: 'verified', message: /APPID_MCHID_NOT_MATCH/ },
    'system-error': { kind: 'protocol', signature: 'verified', message: /SYSTEMERROR/ },
    'body-mchid-mismatch': { kind: 'protocol', signature: 'verified', message: /mch_id 1900000000/ },
    'body-appid-mismatch': { kind: 'protocol', signature: 'verified', message: /appid wx0000000000000000/ },
    'other-trade': { kind: 'protocol', signature: 'verified', message: /K20261122101500999/ },
    'unknown-trade-state': { kind: 'parse', signature: 'verified', message: /ACCEPT/ },
  };

  it('every recorded fixture has an expectation here', () => {
    expect([...fixtures.keys()].sort()).toEqual([...Object.keys(verified), ...Object.keys(faults)].sort());
  });

  it.each(Object.entries(verified))('%s -> verified', async (name, want) => {
    const ev = await queryFixture(name);
    expect(ev).toMatchObject({ channel: 'wechat', trust: 'verified', attempts: 1, ...want });
    expect(ev.fault).toBeUndefined();
    if (want.state !== 'paid' && want.state !== 'refunded') expect(ev.amountCents).toBeUndefined();
    expect(ev.exchange[0]).toMatchObject({ method: 'POST', signature: 'verified', status: 200 });
  });

  it.each(Object.entries(faults))('%s -> untrusted', async (name, want) => {
    const ev = await queryFixture(name, want.attempts ?? 1);
    expectUntrusted(ev, want.kind);
    expect(ev.attempts).toBe(want.attempts ?? 1);
    if (want.signature) expect(ev.exchange[0]?.signature).toBe(want.signature);
    if (want.message) expect(ev.fault?.message).toMatch(want.message);
  });

  it('a signed answer for another merchant or trade keeps the trade numbers it named', async () => {
    expect(await queryFixture('other-trade')).toMatchObject({ tradeNo: TRANSACTION_ID, outTradeNo: 'K20261122101500999' });
  });
});

describe('wechatpay v2 adapter: faults without a recorded body (error/security)', () => {
  const paid = () => fixture('paid');

  it('a key that is not the one the answer was signed with is a signature fault', async () => {
    replay(paid(), { checkRequest: false });
    expectUntrusted(await gateway({ key: 'AnotherKeyAnotherKeyAnotherKey12' }).query({ orderNo: ORDER_NO }, signal()), 'signature');
  });

  it('retries a 500 and trusts the answer that follows', async () => {
    replay(fixture('http-500'));
    replay(paid());
    expect(await gateway().query({ orderNo: ORDER_NO }, signal())).toMatchObject({ trust: 'verified', state: 'paid', attempts: 2 });
  });

  it('a timeout is untrusted timeout, never unpaid', async () => {
    nock(ORIGIN).post('/pay/orderquery').times(2).delay(2000).reply(200, paid().response.body);
    expectUntrusted(await gateway().query({ orderNo: ORDER_NO }, signal()), 'timeout');
  });

  it('a reset connection is untrusted network', async () => {
    nock(ORIGIN).post('/pay/orderquery').times(2).replyWithError(connectionReset());
    expectUntrusted(await gateway().query({ orderNo: ORDER_NO }, signal()), 'network');
  });

  it('billion laughs and oversize answers are parse faults, quickly', async () => {
    const lol = `<!DOCTYPE xml [<!ENTITY a "${'A'.repeat(1000)}"><!ENTITY b "${'&a;'.repeat(1000)}">]>${paid().response.body.replace('<attach><![CDATA[]]></attach>', '<attach>&b;</attach>')}`;
    replay(paid(), { body: lol });
    expectUntrusted(await gateway().query({ orderNo: ORDER_NO }, signal()), 'parse');
    replay(paid(), { body: `${paid().response.body}${' '.repeat(MAX_XML_CHARS)}` });
    expectUntrusted(await gateway().query({ orderNo: ORDER_NO }, signal()), 'parse');
  });

  it('a non-XML 200 (a captive portal, a JSON error) is a parse fault', async () => {
    replay(paid(), { body: '{"code":"SYSTEM_ERROR"}' });
    expectUntrusted(await gateway().query({ orderNo: ORDER_NO }, signal()), 'parse');
  });
});

describe('wechatpay v2 adapter end-to-end against the sandbox (real socket)', () => {
  const expectations: Record<GatewayAnswerState, { state?: PaymentState; fault?: FaultKind }> = {
    paid: { state: 'paid' },
    unpaid: { state: 'unpaid' },
    in_progress: { state: 'in_progress' },
    not_found: { state: 'not_found' },
    closed: { state: 'closed' },
    refunded: { state: 'refunded' },
    failed: { state: 'failed' },
    stale: { state: 'paid' }, // v2 cannot express staleness: no timestamp in the protocol
    unreachable: { fault: 'network' },
    timeout: { fault: 'timeout' },
    http_500: { fault: 'http' },
    malformed: { fault: 'parse' },
    bad_signature: { fault: 'signature' },
  };
  const states = Object.keys(expectations) as GatewayAnswerState[];
  const tradeNoOf = (i: number) => `42000023452026112282535014${String(i).padStart(2, '0')}`;
  const world = memoryWorld(states.map((state, i) =>
    sandboxTrade('wechat', { state, amountCents: 5000, paidAt: '2026-11-22T10:16:02+08:00', tradeNo: tradeNoOf(i), reason: '银行卡余额不足' }, `K-${state}`)));
  let server: SandboxListener;
  beforeAll(async () => {
    server = await listenSandbox({ world, now: () => FIXED_NOW, latencyMs: 0 });
  });
  afterAll(() => server.close());
  const live = (overrides: Partial<WechatPayV2Config> = {}) => gateway({ url: `${server.baseUrl}/sandbox/wechatpay-v2`, ...overrides });

  describe.each(['MD5', 'HMAC-SHA256'] as const)('signed with %s', (signType) => {
    it.each(states)('%s', async (state) => {
      const ev = await live({ signType }).query({ orderNo: `K-${state}` }, signal());
      const want = expectations[state];
      if (want.state) {
        expect(ev).toMatchObject({ trust: 'verified', state: want.state });
        if (state === 'paid' || state === 'stale') expect(ev).toMatchObject({ amountCents: 5000, paidAt: PAID_AT_ISO, outTradeNo: `K-${state}` });
        if (state === 'failed') expect(ev.reason).toBe('银行卡余额不足');
      } else {
        expectUntrusted(ev, want.fault!);
      }
    });
  });

  it('finds a trade by its transaction_id', async () => {
    const tradeNo = tradeNoOf(0);
    expect(await live().query({ tradeNo }, signal())).toMatchObject({ trust: 'verified', state: 'paid', tradeNo, outTradeNo: 'K-paid' });
  });

  it('a wrong key is an untrusted signature fault: the SIGNERROR answer cannot be verified with it', async () => {
    const ev = await live({ key: 'WrongKeyWrongKeyWrongKeyWrongKey' }).query({ orderNo: 'K-paid' }, signal());
    expectUntrusted(ev, 'signature');
    expect(ev.exchange[0]?.responseBody).toContain('SIGNERROR');
  });

  it('a query for another mch_id is refused and is a protocol fault', async () => {
    const ev = await live({ mchid: '1900000000' }).query({ orderNo: 'K-paid' }, signal());
    expectUntrusted(ev, 'protocol');
    expect(ev.fault?.message).toMatch(/return_code FAIL: 商户号/);
  });

  it('an appid not bound to the merchant is a protocol fault', async () => {
    const ev = await live({ appid: 'wx0000000000000000' }).query({ orderNo: 'K-paid' }, signal());
    expectUntrusted(ev, 'protocol');
    expect(ev.fault?.message).toContain('APPID_MCHID_NOT_MATCH');
  });

  it('the sandbox refuses a request behind a DTD, unsigned', async () => {
    const res = await fetch(`${server.baseUrl}/sandbox/wechatpay-v2/pay/orderquery`, {
      method: 'POST', body: `<!DOCTYPE xml [<!ENTITY x "y">]>${toFlatXml({ appid: v2.appid, mch_id: v2.mchid })}`,
    });
    const fields = fieldsOf(await res.text());
    expect(fields).toEqual({ return_code: 'FAIL', return_msg: 'XML格式错误' });
  });

  it('the wechatpay-axios-plugin v2 client (its own signer, XML and verifier) queries the sandbox', async () => {
    const w = keys.wechatpay;
    for (const sign_type of ['MD5', 'HMAC-SHA256']) {
      const wxpay = new Wechatpay({
        mchid: v2.mchid, serial: w.merchantSerialNo, privateKey: w.merchantPrivateKey,
        certs: { [w.platformSerial]: w.platformPublicKey }, secret: v2.key, baseURL: `${server.baseUrl}/sandbox/wechatpay-v2/`,
      });
      const chain = wxpay as any; // the plugin types its chain loosely
      const { data } = await chain.v2.pay.orderquery.post({ appid: v2.appid, mch_id: v2.mchid, out_trade_no: 'K-paid', sign_type });
      expect(data).toMatchObject({ return_code: 'SUCCESS', result_code: 'SUCCESS', trade_state: 'SUCCESS', total_fee: '5000', out_trade_no: 'K-paid' });
    }
  });
});

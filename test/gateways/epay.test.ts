import { readdirSync, readFileSync } from 'node:fs';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEpayGateway } from '../../src/gateways/epay/client.ts';
import { canonicalString, md5Sign, md5Verify, rsaSign } from '../../src/gateways/epay/sign.ts';
import type { PaymentEvidence, TradeRef } from '../../src/domain/payment.ts';
import { listenSandbox, type SandboxListener } from '../../src/sandbox/listener.ts';
import { GATEWAY_STATES, type GatewayAnswerState } from '../../src/sandbox/types.ts';
import {
  FIXED_NOW, FIXTURE_HOST, ORDER_NO, PAID_AT, TRADE_NO, adapterConfig, e2eOrderNo, e2eTrades, epayKeys, memoryWorld,
  type EpayFixture,
} from './epay-support.ts';
import { connectionReset, offlineClients } from '../net/support.ts';

const FIXTURE_DIR = new URL('../../fixtures/gateways/epay/', import.meta.url);
const fixtures = new Map<string, EpayFixture>(
  readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(new URL(f, FIXTURE_DIR), 'utf8')) as EpayFixture]),
);

const http = offlineClients({ name: 'epay', retries: 0, breaker: false, minBackoffMs: 5, maxBackoffMs: 10 });
const signal = () => ({ signal: AbortSignal.timeout(5000) });

function fixture(name: string): EpayFixture {
  const f = fixtures.get(name);
  if (!f) throw new Error(`missing fixture ${name}: run test/gateways/epay.record.ts`);
  return f;
}

/** Serves exactly the recorded request with the recorded answer; anything else fails the test. */
function replay(f: EpayFixture, body = f.response.body): nock.Scope {
  const scope = nock(FIXTURE_HOST);
  const interceptor = f.request.method === 'GET' ? scope.get(f.request.path) : scope.post(f.request.path, f.request.body);
  return interceptor.reply(f.response.status, body, { 'content-type': f.response.contentType });
}

async function queryFixture(name: string, body?: string): Promise<PaymentEvidence> {
  const f = fixture(name);
  const scope = replay(f, body);
  const gateway = createEpayGateway(adapterConfig(`${FIXTURE_HOST}/`, f.version, f.configOverrides), {
    http: http(),
    now: () => new Date(f.clock),
  });
  const evidence = await gateway.query(f.ref, signal());
  expect(scope.isDone(), 'the adapter sent exactly the recorded request').toBe(true);
  return evidence;
}

const PAID_FACTS = { state: 'paid', amountCents: 5000, paidAt: PAID_AT, tradeNo: TRADE_NO, outTradeNo: ORDER_NO } as const;
// an unpaid EPay order already has the platform's trade number (made at submit)
const UNPAID_FACTS = { state: 'unpaid', amountCents: 5000, tradeNo: '2026112210153072225', outTradeNo: ORDER_NO } as const;

/** What every recorded answer must become. Faults are always untrusted and carry no state. */
const EXPECTED: Record<string, Partial<PaymentEvidence> & { faultKind?: string }> = {
  'v1-paid': { trust: 'unsigned', ...PAID_FACTS },
  'v1-paid-by-trade-no': { trust: 'unsigned', ...PAID_FACTS },
  'v1-paid-one-cent-short': { trust: 'unsigned', ...PAID_FACTS, amountCents: 4999 },
  'v1-unpaid': { trust: 'unsigned', ...UNPAID_FACTS },
  'v1-closed': { trust: 'unsigned', ...UNPAID_FACTS },
  'v1-failed': { trust: 'unsigned', ...UNPAID_FACTS },
  'v1-refunded': { trust: 'unsigned', ...PAID_FACTS, state: 'refunded' },
  'v1-not-found': { trust: 'unsigned', state: 'not_found' },
  'v1-unknown-order': { trust: 'unsigned', state: 'not_found' },
  'v1-malformed': { trust: 'untrusted', faultKind: 'parse' },
  'v1-http-500': { trust: 'untrusted', faultKind: 'http' },
  'v1-bad-signature': { trust: 'unsigned', ...PAID_FACTS }, // V1 cannot carry a signature
  'v1-stale': { trust: 'unsigned', ...PAID_FACTS }, // nor a timestamp
  'v1-wrong-key': { trust: 'untrusted', faultKind: 'protocol' },
  'v2-paid': { trust: 'verified', ...PAID_FACTS },
  'v2-paid-by-trade-no': { trust: 'verified', ...PAID_FACTS },
  'v2-paid-one-cent-short': { trust: 'verified', ...PAID_FACTS, amountCents: 4999 },
  'v2-paid-php81-integers': { trust: 'verified', ...PAID_FACTS },
  'v2-unpaid': { trust: 'verified', ...UNPAID_FACTS },
  'v2-closed': { trust: 'verified', ...UNPAID_FACTS },
  'v2-failed': { trust: 'verified', ...UNPAID_FACTS },
  'v2-refunded': { trust: 'verified', ...PAID_FACTS, state: 'refunded' },
  'v2-frozen': { trust: 'verified', ...PAID_FACTS, state: 'held' },
  'v2-preauthorised': { trust: 'verified', ...PAID_FACTS, state: 'held' },
  'v2-not-found': { trust: 'unsigned', state: 'not_found' }, // V2 errors are unsigned
  'v2-unknown-order': { trust: 'unsigned', state: 'not_found' },
  'v2-malformed': { trust: 'untrusted', faultKind: 'parse' },
  'v2-http-500': { trust: 'untrusted', faultKind: 'http' },
  'v2-bad-signature': { trust: 'untrusted', faultKind: 'signature' },
  'v2-stale': { trust: 'untrusted', faultKind: 'stale' },
  'v2-unknown-status': { trust: 'untrusted', faultKind: 'parse' },
  'v2-paid-unsigned': { trust: 'untrusted', faultKind: 'signature' },
  'v2-wrong-merchant-key': { trust: 'untrusted', faultKind: 'protocol' },
  'v2-client-clock-off': { trust: 'untrusted', faultKind: 'protocol' },
};

describe('epay contract: recorded protocol bodies -> evidence', () => {
  it('has an expectation for every recorded fixture (and a fixture for every expectation)', () => {
    expect([...fixtures.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name}: ${expected.faultKind ? `untrusted (${expected.faultKind})` : `${expected.trust} ${expected.state}`}`, async () => {
      const evidence = await queryFixture(name);
      const { faultKind, ...facts } = expected;
      expect(evidence.channel).toBe('epay');
      if (faultKind) {
        expect(evidence.trust).toBe('untrusted');
        expect(evidence.fault?.kind).toBe(faultKind);
        expect(evidence.state, 'an untrusted answer must never carry a state').toBeUndefined();
      } else {
        expect(evidence.fault).toBeUndefined();
        // exact: no extra facts (amountCents is compared to the cent)
        const got = Object.fromEntries(
          Object.entries(evidence).filter(([k]) => ['trust', 'state', 'amountCents', 'paidAt', 'tradeNo', 'outTradeNo'].includes(k)),
        );
        expect(got).toEqual(facts);
      }
      expect(evidence.attempts).toBe(1);
      expect(evidence.exchange).toHaveLength(1);
      expect(evidence.exchange[0]?.status).toBe(fixture(name).response.status);
    });
  }
});

describe('epay contract: what the exchange shows', () => {
  it('V1 redacts the merchant key from the recorded url and marks the answer unsigned', async () => {
    const evidence = await queryFixture('v1-paid');
    const ex = evidence.exchange[0];
    expect(ex?.url).toBe(`${FIXTURE_HOST}/api.php?act=order&pid=1001&key=***&out_trade_no=${ORDER_NO}`);
    expect(JSON.stringify(evidence)).not.toContain(epayKeys.key);
    expect(ex?.signature).toBe('absent');
    expect(ex?.responseBody).toBe(fixture('v1-paid').response.body);
  });

  it('V1 looks a trade number up with trade_no', async () => {
    expect(fixture('v1-paid-by-trade-no').request.path).toContain(`trade_no=${TRADE_NO}`);
    expect(fixture('v1-paid-by-trade-no').request.path).not.toContain('out_trade_no');
    expect((await queryFixture('v1-paid-by-trade-no')).state).toBe('paid');
  });

  it('V2 posts the signed form and records the verified platform signature', async () => {
    const evidence = await queryFixture('v2-paid');
    const ex = evidence.exchange[0];
    expect(ex).toMatchObject({ method: 'POST', url: `${FIXTURE_HOST}/api/pay/query`, signature: 'verified' });
    expect(ex?.requestBody).toMatch(/^pid=1001&out_trade_no=K20261122101500001&timestamp=\d{10}&sign=.+&sign_type=RSA$/);
  });

  it('V2 marks a corrupted signature as failed', async () => {
    expect((await queryFixture('v2-bad-signature')).exchange[0]?.signature).toBe('failed');
  });
});

describe('epay contract: tampering and lying answers', () => {
  it('rejects a signed paid answer whose amount was changed in transit', async () => {
    const body = fixture('v2-paid').response.body.replace('"money":"50.00"', '"money":"0.01"');
    const evidence = await queryFixture('v2-paid', body);
    expect(evidence).toMatchObject({ trust: 'untrusted', fault: { kind: 'signature' } });
    expect(evidence.amountCents).toBeUndefined();
  });

  it('rejects a correctly signed answer about a different order', async () => {
    const fields = JSON.parse(fixture('v2-paid').response.body) as Record<string, unknown>;
    delete fields.sign;
    const other = { ...fields, out_trade_no: 'K99999999999999999' };
    const sign = await rsaSign(other, epayKeys.platformPrivateKey);
    const evidence = await queryFixture('v2-paid', JSON.stringify({ ...other, sign }));
    expect(evidence).toMatchObject({ trust: 'untrusted', fault: { kind: 'protocol' } });
  });

  it('accepts a signed answer whose JSON escapes unicode (the signature is over values, not bytes)', async () => {
    const body = fixture('v2-paid').response.body.replace('Steam充值卡50元', 'Steam\\u5145\\u503c\\u536150\\u5143');
    expect((await queryFixture('v2-paid', body)).trust).toBe('verified');
  });

  it('treats a V2 answer exactly 300 s old as fresh and 301 s old as stale', async () => {
    const f = fixture('v2-paid');
    const at = (seconds: number) =>
      createEpayGateway(adapterConfig(`${FIXTURE_HOST}/`, 'v2'), {
        http: http(),
        now: () => new Date(FIXED_NOW.getTime() + seconds * 1000),
      });
    nock(FIXTURE_HOST).post('/api/pay/query').times(2).reply(200, f.response.body);
    expect((await at(300).query(f.ref, signal())).trust).toBe('verified');
    expect((await at(301).query(f.ref, signal())).fault?.kind).toBe('stale');
  });

  it('accepts bare base64 keys as EPay admin panels hand them out', async () => {
    const f = fixture('v2-paid');
    replay(f);
    const bare = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    const gateway = createEpayGateway(
      adapterConfig(`${FIXTURE_HOST}/`, 'v2', {
        merchantPrivateKey: bare(epayKeys.merchantPrivateKey),
        platformPublicKey: bare(epayKeys.platformPublicKey),
      }),
      { http: http(), now: () => FIXED_NOW },
    );
    expect((await gateway.query(f.ref, signal())).trust).toBe('verified');
  });
});

describe('epay contract: no answer at all', () => {
  const gateway = (client = http()) =>
    createEpayGateway(adapterConfig(`${FIXTURE_HOST}/`, 'v2'), { http: client, now: () => FIXED_NOW });

  it('a timeout is untrusted with fault timeout, never unpaid', async () => {
    nock(FIXTURE_HOST).post('/api/pay/query').delay(2000).reply(200, fixture('v2-unpaid').response.body);
    const evidence = await gateway(http({ attemptTimeoutMs: 100 })).query({ orderNo: ORDER_NO }, signal());
    expect(evidence).toMatchObject({ trust: 'untrusted', fault: { kind: 'timeout' } });
    expect(evidence.state).toBeUndefined();
    expect(evidence.exchange[0]?.error).toBeTruthy();
  });

  it('a reset connection is untrusted with fault network, after the retries', async () => {
    nock(FIXTURE_HOST).post('/api/pay/query').times(2).replyWithError(connectionReset());
    const evidence = await gateway(http({ retries: 1 })).query({ orderNo: ORDER_NO }, signal());
    expect(evidence).toMatchObject({ trust: 'untrusted', fault: { kind: 'network' }, attempts: 2 });
  });

  it('an open circuit is untrusted with fault circuit_open, without a request', async () => {
    const client = http({ breaker: { failureThreshold: 1, openMs: 60_000 } });
    nock(FIXTURE_HOST).post('/api/pay/query').reply(502, 'bad gateway');
    await gateway(client).query({ orderNo: ORDER_NO }, signal());
    const evidence = await gateway(client).query({ orderNo: ORDER_NO }, signal());
    expect(evidence).toMatchObject({ trust: 'untrusted', fault: { kind: 'circuit_open' }, attempts: 0 });
  });

  it('a 429 is untrusted with fault rate_limited', async () => {
    nock(FIXTURE_HOST).post('/api/pay/query').reply(429, 'too many');
    expect((await gateway().query({ orderNo: ORDER_NO }, signal())).fault?.kind).toBe('rate_limited');
  });
});

describe('epay configuration', () => {
  const deps = { http: { send: () => Promise.reject(new Error('unused')) }, now: () => FIXED_NOW };
  it('refuses to start without what the version needs', () => {
    expect(() => createEpayGateway({ apiUrl: `${FIXTURE_HOST}/`, pid: '1001', version: 'v1' }, deps)).toThrow(/key/);
    expect(() => createEpayGateway({ apiUrl: `${FIXTURE_HOST}/`, pid: '1001', version: 'v2', key: 'k' }, deps)).toThrow(/V2/);
    expect(() => createEpayGateway({ apiUrl: FIXTURE_HOST, pid: '1001', version: 'v1', key: 'k' }, deps)).toThrow(/"\/"/);
  });

  it('an unusable private key comes back as an untrusted answer, not an exception', async () => {
    const gateway = createEpayGateway(adapterConfig(`${FIXTURE_HOST}/`, 'v2', { merchantPrivateKey: 'bm90IGEga2V5' }), deps);
    const evidence = await gateway.query({ orderNo: ORDER_NO }, signal());
    expect(evidence).toMatchObject({ trust: 'untrusted', fault: { kind: 'signature' } });
  });
});

describe('epay signing (gateway-protocols.md test vectors)', () => {
  const KEY = '89unJUB8HZ54Hj7x4nUj56HN4nUzUJ8i';

  it('V1 MD5 of a notify matches the doc vector, sign and sign_type excluded', () => {
    const notify = {
      pid: '1001', trade_no: '2026112210153012345', out_trade_no: 'K20261122101500001', type: 'alipay',
      name: 'Steam充值卡50元', money: '50', trade_status: 'TRADE_SUCCESS', sign: 'x', sign_type: 'MD5',
    };
    expect(md5Sign(notify, KEY)).toBe('69e9138c1c810c6a4b901edf1d4437ad');
    expect(md5Verify(notify, KEY, '69E9138C1C810C6A4B901EDF1D4437AD')).toBe(true);
    expect(md5Verify({ ...notify, money: '5' }, KEY, '69e9138c1c810c6a4b901edf1d4437ad')).toBe(false);
  });

  it('V1 MD5 of a submit matches the doc vector; the &key= mode differs', () => {
    const submit = {
      pid: '1001', type: 'alipay', out_trade_no: 'K20261122101500001', notify_url: 'https://shop.example.com/notify/epay',
      return_url: 'https://shop.example.com/order/K20261122101500001', name: 'Steam充值卡50元', money: '50.00', param: ' ',
    };
    expect(md5Sign(submit, KEY)).toBe('336d513734496bf78d78adbf59271289');
    expect(md5Sign(submit, KEY, 'ampersand_key')).not.toBe('336d513734496bf78d78adbf59271289');
  });

  it('builds the doc platform sign string: code=0 kept, empty dropped, ksort, raw values', () => {
    const answer = {
      code: 0, trade_no: '2026112210153012345', out_trade_no: 'K20261122101500001', api_trade_no: '2026112222001412345678901234',
      type: 'alipay', pid: '1001', addtime: '2026-11-22 10:15:30', endtime: '2026-11-22 10:16:02', name: 'Steam充值卡50元',
      money: '50.00', buyer: '2088102177846880', clientip: '203.0.113.7', status: '1', timestamp: '1763777762',
      param: '', refundmoney: null, sign_type: 'RSA', sign: 'x',
    };
    expect(canonicalString(answer)).toBe(
      'addtime=2026-11-22 10:15:30&api_trade_no=2026112222001412345678901234&buyer=2088102177846880&clientip=203.0.113.7&code=0&endtime=2026-11-22 10:16:02&money=50.00&name=Steam充值卡50元&out_trade_no=K20261122101500001&pid=1001&status=1&timestamp=1763777762&trade_no=2026112210153012345&type=alipay',
    );
    expect(canonicalString({ pid: '1001', out_trade_no: 'K20261122101500001', timestamp: '1763777760' })).toBe(
      'out_trade_no=K20261122101500001&pid=1001&timestamp=1763777760',
    );
  });
});

describe('epay end to end: adapter against the sandbox over real HTTP', () => {
  const orderNo = e2eOrderNo;
  const trades = e2eTrades();

  let server: SandboxListener;
  let apiUrl: string;
  beforeAll(async () => {
    server = await listenSandbox({ world: memoryWorld(trades), now: () => FIXED_NOW, latencyMs: 0 });
    apiUrl = `${server.baseUrl}/sandbox/epay/`;
  });
  afterAll(() => server.close());

  const UNTRUSTED = (kind: string) => ({ trust: 'untrusted', fault: { kind } });
  const expectations = (version: 'v1' | 'v2'): Record<GatewayAnswerState, object> => {
    const trust = version === 'v1' ? 'unsigned' : 'verified';
    const paid = { trust, state: 'paid', amountCents: 5000, paidAt: PAID_AT };
    return {
      paid: { ...paid, tradeNo: 'T-PAID-0001', outTradeNo: orderNo('paid') },
      unpaid: { trust, state: 'unpaid', amountCents: 5000 },
      in_progress: { trust, state: 'unpaid' },
      closed: { trust, state: 'unpaid' }, // EPay has no closed state
      failed: { trust, state: 'unpaid' }, // nor a failed one
      refunded: { trust, state: 'refunded', amountCents: 5000, paidAt: PAID_AT },
      not_found: { trust: 'unsigned', state: 'not_found' },
      unreachable: UNTRUSTED('network'),
      timeout: UNTRUSTED('timeout'),
      http_500: UNTRUSTED('http'),
      malformed: UNTRUSTED('parse'),
      bad_signature: version === 'v1' ? paid : UNTRUSTED('signature'),
      stale: version === 'v1' ? paid : UNTRUSTED('stale'),
    };
  };

  for (const version of ['v1', 'v2'] as const) {
    for (const state of GATEWAY_STATES) {
      it(`${version} ${state}`, async () => {
        const gateway = createEpayGateway(adapterConfig(apiUrl, version), {
          http: http({ attemptTimeoutMs: 300 }),
          now: () => FIXED_NOW,
        });
        const evidence = await gateway.query({ orderNo: orderNo(state) }, signal());
        expect(evidence).toMatchObject(expectations(version)[state]);
        if (evidence.trust === 'untrusted') expect(evidence.state).toBeUndefined();
      });
    }

    it(`${version}: an order the world does not know is not_found`, async () => {
      const gateway = createEpayGateway(adapterConfig(apiUrl, version), { http: http(), now: () => FIXED_NOW });
      expect(await gateway.query({ orderNo: 'NOBODY-KNOWS' }, signal())).toMatchObject({ trust: 'unsigned', state: 'not_found' });
    });

    it(`${version}: finds a trade by the gateway's trade number`, async () => {
      const gateway = createEpayGateway(adapterConfig(apiUrl, version), { http: http(), now: () => FIXED_NOW });
      const ref: TradeRef = { tradeNo: 'T-PAID-0001' };
      expect(await gateway.query(ref, signal())).toMatchObject({ state: 'paid', outTradeNo: orderNo('paid') });
    });
  }

  it('v1: the sandbox refuses a wrong merchant key', async () => {
    const gateway = createEpayGateway(adapterConfig(apiUrl, 'v1', { key: 'wrong' }), { http: http(), now: () => FIXED_NOW });
    const evidence = await gateway.query({ orderNo: orderNo('paid') }, signal());
    expect(evidence).toMatchObject(UNTRUSTED('protocol'));
    expect(evidence.exchange[0]?.responseBody).toContain('商户密钥错误');
  });

  it('v2: the sandbox refuses a request signed with another key, or from a skewed clock', async () => {
    const wrongKey = createEpayGateway(adapterConfig(apiUrl, 'v2', { merchantPrivateKey: epayKeys.platformPrivateKey }), {
      http: http(),
      now: () => FIXED_NOW,
    });
    const skewed = createEpayGateway(adapterConfig(apiUrl, 'v2'), { http: http(), now: () => new Date(FIXED_NOW.getTime() - 301_000) });
    const a = await wrongKey.query({ orderNo: orderNo('paid') }, signal());
    const b = await skewed.query({ orderNo: orderNo('paid') }, signal());
    expect(a.exchange[0]?.responseBody).toContain('RSA签名校验失败');
    expect(b.exchange[0]?.responseBody).toContain('时间戳字段不正确');
    expect([a.trust, b.trust]).toEqual(['untrusted', 'untrusted']);
  });
});

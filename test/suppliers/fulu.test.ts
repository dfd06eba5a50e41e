import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, type ManagedHttpClient } from '../../src/net/http-client.ts';
import { supplierSandbox } from '../../src/sandbox/supplier.ts';
import type { SandboxContext, SupplierAnswer } from '../../src/sandbox/types.ts';
import { cardSecret, decryptCardField, encryptCardField } from '../../src/suppliers/fulu/cards.ts';
import { buildQueryBody, createFuluSupplier } from '../../src/suppliers/fulu/client.ts';
import { fromBeijingWallClock, redactCardFields, toBeijingWallClock } from '../../src/suppliers/fulu/protocol.ts';
import { fuluSign, signRequest, verifyRequestSign, verifyResultSign } from '../../src/suppliers/fulu/sign.ts';
import type { SupplierEvidence } from '../../src/suppliers/types.ts';

const FIXTURES = new URL('../../fixtures/suppliers/fulu/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8').trimEnd();
const creds = JSON.parse(readFileSync(new URL('../../fixtures/sandbox/keys.json', import.meta.url), 'utf8')).supplier as {
  appKey: string;
  appSecret: string;
};

/** Fulu's official test AppSecret and card vectors (PHP SDK "基础数据（测试使用）"). */
const OFFICIAL_SECRET = '0a091b3aa4324435aab703142518a8f7';
const ORDER = 'K20261122101500001';
const NOW = new Date('2026-11-22T10:20:00+08:00');

const clients: ManagedHttpClient[] = [];
function http(opts: Partial<Parameters<typeof createHttpClient>[0]> = {}): ManagedHttpClient {
  const c = createHttpClient({ name: 'fulu', minBackoffMs: 1, maxBackoffMs: 5, breaker: false, ...opts });
  clients.push(c);
  return c;
}

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1'); // only the end-to-end sandbox below
});
afterEach(async () => {
  nock.cleanAll();
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(() => {
  nock.enableNetConnect();
});

describe('fulu sign', () => {
  it('is md5 of the sorted characters of the JSON followed by the AppSecret', () => {
    // '{"a":"1"}' sorted by code unit: four quotes, 1, colon, a, braces.
    const expected = createHash('md5').update(`""""1:a{}${creds.appSecret}`).digest('hex');
    expect(fuluSign('{"a":"1"}', creds.appSecret)).toBe(expected);
  });

  it("sorts as the official samples' char[] sort does: ASCII, CJK, surrogate halves and long runs alike", () => {
    const reference = (text: string) => createHash('md5').update(text.split('').sort().join('') + creds.appSecret).digest('hex');
    const texts = [
      '', '{}', '{"product_name":"App Store 充值卡 100元","buy_num":1}', '{"e":"😀𝟘 é ß \\u0000"}',
      'a'.repeat(70_000) + '充'.repeat(3) + '\u007f\u0080', String.fromCharCode(...Array.from({ length: 9000 }, (_, i) => (i * 7919) % 65536)),
    ];
    for (const text of texts) expect(fuluSign(text, creds.appSecret)).toBe(reference(text));
  });

  it('does not depend on key order but does depend on values, escaping and the secret', () => {
    const a = signRequest({ app_key: 'k', method: 'm', biz_content: '{"customer_order_no":"X1"}' }, creds.appSecret);
    const b = signRequest({ biz_content: '{"customer_order_no":"X1"}', method: 'm', app_key: 'k' }, creds.appSecret);
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(signRequest({ app_key: 'k', method: 'm', biz_content: '{"customer_order_no":"X2"}' }, creds.appSecret)).not.toBe(a);
    expect(signRequest({ app_key: 'k', method: 'm', biz_content: '{"customer_order_no":"X1"}' }, OFFICIAL_SECRET)).not.toBe(a);
    expect(fuluSign('{"u":"a/b"}', creds.appSecret)).not.toBe(fuluSign('{"u":"a\\/b"}', creds.appSecret));
  });

  it('ignores an existing sign field when signing, so a signed body verifies after a JSON round trip', () => {
    const body = JSON.parse(buildQueryBody(creds, ORDER, NOW)) as Record<string, unknown>;
    expect(verifyRequestSign(body, creds.appSecret)).toBe(true);
    expect(verifyRequestSign({ ...body, biz_content: '{"customer_order_no":"K2"}' }, creds.appSecret)).toBe(false);
    expect(verifyRequestSign(body, OFFICIAL_SECRET)).toBe(false);
    expect(verifyRequestSign({ ...body, sign: undefined }, creds.appSecret)).toBe(false);
  });

  it('verifies a response over its result string, accepting upper-case hex', () => {
    const result = '{"order_state":"processing"}';
    const sign = fuluSign(result, creds.appSecret);
    expect(verifyResultSign(result, sign.toUpperCase(), creds.appSecret)).toBe(true);
    expect(verifyResultSign(result.replace('processing', 'success'), sign, creds.appSecret)).toBe(false);
  });
});

describe('fulu cards', () => {
  it('decrypts the official test vectors with the official AppSecret', () => {
    expect(decryptCardField('12nCp6X/nALmrvr1erxK+D4L8n/kqz/RItKWUfvZrCU=', OFFICIAL_SECRET)).toBe('CD1000250201906121742434441');
    expect(decryptCardField('9HeOgdv+NpLihh2+5Gm0Mj4L8n/kqz/RItKWUfvZrCU=', OFFICIAL_SECRET)).toBe('CP1000250201906121742434441');
  });

  it('encrypts so that the official vector comes back byte for byte', () => {
    expect(encryptCardField('CD1000250201906121742434441', OFFICIAL_SECRET)).toBe('12nCp6X/nALmrvr1erxK+D4L8n/kqz/RItKWUfvZrCU=');
  });

  it('takes the card password as the key, and the number only when there is no password', () => {
    const pwd = encryptCardField('PWD-1', creds.appSecret);
    const no = encryptCardField('NO-1', creds.appSecret);
    expect(cardSecret({ card_number: no, card_pwd: pwd }, creds.appSecret)).toBe('PWD-1');
    expect(cardSecret({ card_number: no, card_pwd: '' }, creds.appSecret)).toBe('NO-1');
    expect(() => cardSecret({ card_number: null, card_pwd: null }, creds.appSecret)).toThrow(/neither/);
  });

  it('refuses a secret that is not an AES-256 key and a ciphertext made under another secret', () => {
    expect(() => decryptCardField('12nCp6X/nALmrvr1erxK+D4L8n/kqz/RItKWUfvZrCU=', 'short')).toThrow(/32/);
    expect(() => decryptCardField('12nCp6X/nALmrvr1erxK+D4L8n/kqz/RItKWUfvZrCU=', creds.appSecret)).toThrow();
  });
});

describe('fulu protocol helpers', () => {
  it('speaks Beijing wall-clock time both ways', () => {
    expect(toBeijingWallClock(new Date('2026-11-21T18:05:09Z'))).toBe('2026-11-22 02:05:09');
    expect(fromBeijingWallClock('2026-11-22 02:05:09')).toBe('2026-11-22T02:05:09+08:00');
    expect(fromBeijingWallClock('')).toBeUndefined();
    expect(fromBeijingWallClock('0001-01-01 00:00:00')).toBeUndefined();
    expect(fromBeijingWallClock(null)).toBeUndefined();
  });

  it('blanks card fields in escaped and plain JSON and nothing else', () => {
    const escaped = String.raw`{"result":"{\"card_number\":\"ab\/c=\",\"card_pwd\":\"xyz=\",\"order_state\":\"success\"}"}`;
    expect(redactCardFields(escaped)).toBe(String.raw`{"result":"{\"card_number\":\"***\",\"card_pwd\":\"***\",\"order_state\":\"success\"}"}`);
    expect(redactCardFields('{"CardPwd":"q","CardNumber":null}')).toBe('{"CardPwd":"***","CardNumber":null}');
  });
});

// ---------------------------------------------------------------------------------------------
// Contract: recorded protocol bodies replayed by nock (net connect disabled).

const GATEWAY_ORIGIN = 'https://openapi.fulu.test';
const GATEWAY = `${GATEWAY_ORIGIN}/api/getway`;
const sentBodies: Record<string, unknown>[] = [];

function supplier(secret = creds.appSecret, httpOpts: Partial<Parameters<typeof createHttpClient>[0]> = {}) {
  return createFuluSupplier({ gateway: GATEWAY, appKey: creds.appKey, appSecret: secret }, { http: http(httpOpts), now: () => NOW });
}

/** The gateway answers once with `body`; the request it saw is kept for assertions. */
function gatewayAnswers(body: string, status = 200, times = 1) {
  return nock(GATEWAY_ORIGIN)
    .post('/api/getway', (b: Record<string, unknown>) => {
      sentBodies.push(b);
      return true;
    })
    .times(times)
    .reply(status, body, { 'content-type': 'application/json; charset=utf-8' });
}

const ask = (s: ReturnType<typeof supplier>, orderNo = ORDER) => s.query(orderNo, { signal: AbortSignal.timeout(5000) });

function expectUntrusted(ev: SupplierEvidence, kind: string) {
  expect(ev.trust).toBe('untrusted');
  expect(ev.fault?.kind).toBe(kind);
  expect(ev.state).toBeUndefined();
  expect(ev.keys).toBeUndefined();
}

describe('fulu client against recorded answers', () => {
  afterEach(() => {
    sentBodies.length = 0;
  });

  it('sends a signed fulu.order.info.get for our order number, stamped in Beijing time', async () => {
    const scope = gatewayAnswers(fixture('processing'));
    await ask(supplier());
    expect(scope.isDone()).toBe(true);
    const sent = sentBodies[0]!;
    expect(sent).toMatchObject({
      app_key: creds.appKey,
      method: 'fulu.order.info.get',
      timestamp: '2026-11-22 10:20:00',
      version: '2.0',
      sign_type: 'md5',
      biz_content: JSON.stringify({ customer_order_no: ORDER }),
    });
    expect(verifyRequestSign(sent, creds.appSecret)).toBe(true);
  });

  it('processing: verified, with the time the supplier accepted the order and no keys', async () => {
    gatewayAnswers(fixture('processing'));
    const ev = await ask(supplier());
    expect(ev).toMatchObject({ trust: 'verified', state: 'processing', since: '2026-11-22T10:16:05+08:00', attempts: 1 });
    expect(ev.keys).toBeUndefined();
    expect(ev.finishedAt).toBeUndefined();
    expect(ev.exchange[0]).toMatchObject({ method: 'POST', url: GATEWAY, status: 200, signature: 'verified' });
  });

  it('untreated: verified as not yet picked up', async () => {
    gatewayAnswers(fixture('untreated'));
    expect(await ask(supplier())).toMatchObject({ trust: 'verified', state: 'untreated' });
  });

  it('success: decrypts every card and never records a card, plain or encrypted, in the exchange', async () => {
    gatewayAnswers(fixture('success'));
    const ev = await ask(supplier());
    expect(ev).toMatchObject({ trust: 'verified', state: 'success', finishedAt: '2026-11-22T10:16:08+08:00' });
    expect(ev.keys).toEqual(['STEAM50-AAAA-0001', 'STEAM50-AAAA-0002']);
    const recorded = JSON.stringify(ev.exchange);
    expect(recorded).not.toContain('STEAM50-AAAA');
    const cipher = JSON.parse(JSON.parse(fixture('success')).result).cards[0].card_pwd as string;
    expect(recorded).not.toContain(cipher);
    expect(ev.exchange[0]!.responseBody).toContain(String.raw`\"card_pwd\":\"***\"`);
  });

  it('success in the real capture shape, under the official AppSecret, yields the official card password', async () => {
    gatewayAnswers(fixture('official-vector-success'));
    const ev = await ask(supplier(OFFICIAL_SECRET));
    expect(ev).toMatchObject({ trust: 'verified', state: 'success', since: '2026-11-22T10:16:05+08:00' });
    expect(ev.keys).toEqual(['CP1000250201906121742434441']);
  });

  it('success with PascalCase card fields (older captures) reads them too', async () => {
    gatewayAnswers(fixture('success-pascal-cards'));
    const ev = await ask(supplier());
    expect(ev.keys).toEqual(['PWD-0001', 'GIFTCODE-0002']);
    expect(JSON.stringify(ev.exchange)).not.toMatch(/PWD-0001|GIFTCODE/);
    expect(ev.exchange[0]!.responseBody).toContain(String.raw`\"CardPwd\":\"***\"`);
  });

  it('failed: verified, with the reason the supplier gave in its message', async () => {
    gatewayAnswers(fixture('failed'));
    const ev = await ask(supplier());
    expect(ev).toMatchObject({ trust: 'verified', state: 'failed', reason: '库存不足，供货失败', finishedAt: '2026-11-22T10:17:00+08:00' });
    expect(ev.keys).toBeUndefined();
  });

  it('not found: believed when the refusal is signed', async () => {
    gatewayAnswers(fixture('not-found'));
    expect(await ask(supplier())).toMatchObject({ trust: 'verified', state: 'not_found' });
  });

  it('not found without a sign is untrusted: a forged "not found" would make us buy twice', async () => {
    gatewayAnswers(fixture('not-found-unsigned'));
    expectUntrusted(await ask(supplier()), 'signature');
  });

  it('a tampered result (bad sign) is untrusted and its cards are neither returned nor recorded', async () => {
    gatewayAnswers(fixture('bad-sign'));
    const ev = await ask(supplier());
    expectUntrusted(ev, 'signature');
    expect(ev.exchange[0]!.signature).toBe('failed');
    expect(JSON.stringify(ev)).not.toContain('FORGED');
  });

  it('an answer signed under another secret is untrusted', async () => {
    gatewayAnswers(fixture('official-vector-success'));
    expectUntrusted(await ask(supplier()), 'signature');
  });

  it('a well-formed refusal (app_key unknown) is a protocol fault carrying code and message', async () => {
    gatewayAnswers(fixture('app-key-refused'));
    const ev = await ask(supplier());
    expectUntrusted(ev, 'protocol');
    expect(ev.fault?.message).toContain('1001');
    expect(ev.fault?.message).toContain('app_key不存在');
  });

  it('an answer about a different order is not taken for ours', async () => {
    gatewayAnswers(fixture('processing'));
    const ev = await ask(supplier(), 'K20261122999999999');
    expectUntrusted(ev, 'protocol');
  });

  it('HTTP 500 is retried, then untrusted with every attempt counted', async () => {
    gatewayAnswers('{"error":"busy"}', 500, 3);
    const ev = await ask(supplier(creds.appSecret, { retries: 2 }));
    expectUntrusted(ev, 'http');
    expect(ev.attempts).toBe(3);
    expect(ev.exchange[0]!.status).toBe(500);
  });

  it('a body that is not JSON is untrusted (parse)', async () => {
    gatewayAnswers('<html>502 Bad Gateway</html>');
    expectUntrusted(await ask(supplier()), 'parse');
  });

  it('no answer within the deadline is untrusted (timeout), never "failed"', async () => {
    nock(GATEWAY_ORIGIN).post('/api/getway').delay(1000).reply(200, fixture('success'));
    const ev = await ask(supplier(creds.appSecret, { retries: 0, attemptTimeoutMs: 100 }));
    expectUntrusted(ev, 'timeout');
    expect(ev.exchange[0]!.error).toMatch(/100 ms/);
  });

  it('a caller who gives up gets an untrusted timeout, not an exception', async () => {
    nock(GATEWAY_ORIGIN).post('/api/getway').delay(1000).reply(200, fixture('success'));
    const ev = await supplier().query(ORDER, { signal: AbortSignal.timeout(50) });
    expectUntrusted(ev, 'timeout');
  });
});

// ---------------------------------------------------------------------------------------------
// End to end: the real adapter against the real sandbox over a loopback socket.

describe('fulu client against the supplier sandbox', () => {
  const answers: Record<string, { sku: string; quantity: number; answer: SupplierAnswer }> = {
    K1: { sku: 'STEAM-50', quantity: 1, answer: { state: 'processing', since: '2026-11-22T10:01:00+08:00' } },
    K2: { sku: 'STEAM-50', quantity: 2, answer: { state: 'success', since: '2026-11-22T02:03:04Z', keys: ['S50-0001', 'S50-0002'] } },
    K3: { sku: 'STEAM-50', quantity: 1, answer: { state: 'failed', since: '2026-11-22T10:05:00+08:00', reason: '上游缺货' } },
  };
  const ctx: SandboxContext = {
    now: () => NOW,
    latencyMs: 0,
    world: { findTrade: async () => null, findSupplierOrder: async (no) => answers[no] ?? null },
  };
  const app = new Hono().route('/sandbox/supplier', supplierSandbox(ctx, creds));
  let server: ServerType;
  let gateway: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
    });
    gateway = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sandbox/supplier/api/getway`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const live = (over: Partial<{ appKey: string; appSecret: string }> = {}) =>
    createFuluSupplier({ gateway, ...creds, ...over }, { http: http({ retries: 0 }), now: () => NOW });
  const liveAsk = (orderNo: string, over = {}) => live(over).query(orderNo, { signal: AbortSignal.timeout(5000) });

  it('plays processing', async () => {
    expect(await liveAsk('K1')).toMatchObject({ trust: 'verified', state: 'processing', since: '2026-11-22T10:01:00+08:00' });
  });

  it('plays success with the world keys, converting the time to Beijing', async () => {
    const ev = await liveAsk('K2');
    expect(ev).toMatchObject({ trust: 'verified', state: 'success', finishedAt: '2026-11-22T10:03:04+08:00' });
    expect(ev.keys).toEqual(['S50-0001', 'S50-0002']);
    expect(JSON.stringify(ev.exchange)).not.toContain('S50-000');
  });

  it('plays failed with its reason', async () => {
    expect(await liveAsk('K3')).toMatchObject({ trust: 'verified', state: 'failed', reason: '上游缺货' });
  });

  it('plays an unknown order as a signed not-found', async () => {
    expect(await liveAsk('K404')).toMatchObject({ trust: 'verified', state: 'not_found' });
  });

  it('refuses a request signed with the wrong secret, which the adapter reports as a protocol fault', async () => {
    const ev = await liveAsk('K2', { appSecret: OFFICIAL_SECRET });
    expectUntrusted(ev, 'protocol');
    expect(ev.fault?.message).toContain('签名');
  });

  it('refuses an unknown app_key', async () => {
    const ev = await liveAsk('K2', { appKey: 'someone-else' });
    expectUntrusted(ev, 'protocol');
    expect(ev.fault?.message).toContain('app_key');
  });

  it('adds the configured latency before answering', async () => {
    ctx.latencyMs = 120;
    try {
      const ev = await liveAsk('K1');
      expect(ev.state).toBe('processing');
      expect(ev.ms).toBeGreaterThanOrEqual(110);
    } finally {
      ctx.latencyMs = 0;
    }
  });

  it('refuses other methods and bodies that are not JSON objects', async () => {
    const params = { ...JSON.parse(buildQueryBody(creds, 'K1', NOW)), method: 'fulu.order.card.add' };
    delete params.sign;
    const wrongMethod = JSON.stringify({ ...params, sign: signRequest(params, creds.appSecret) });
    const res = await app.request('/sandbox/supplier/api/getway', { method: 'POST', body: wrongMethod });
    expect(await res.json()).toMatchObject({ code: 1003 });
    const junk = await app.request('/sandbox/supplier/api/getway', { method: 'POST', body: '[1,2]' });
    expect(await junk.json()).toMatchObject({ code: 1004 });
  });
});

/**
 * The sandbox gateways sign with code of their own (src/sandbox/gateways/sign.ts), never the
 * adapters', so a misreading shared by both sides cannot cancel out in the tests that pit them
 * against each other. Where the gateway has an official SDK that signs, the SDK holds the sandbox
 * to the protocol (test/gateways/sdk-interop.test.ts); for EPay, which has none in JavaScript, the
 * sandbox's signer is held here to the documentation's own vectors (gateway-protocols.md 1.3, 1.4),
 * and its signed V2 answer is checked with an SDK's RSA primitive over the documented sign string.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Rsa } from 'wechatpay-axios-plugin';
import { describe, expect, it } from 'vitest';
import {
  alipayRequestSignText, epayMd5, epayMd5Verifies, epaySignText, readWechatAuthorization, rsaSha256Sign, rsaSha256Verify,
  wechatRequestSignText, wechatResponseSignText,
} from '../../src/sandbox/gateways/sign.ts';
import { keys, memoryWorld, sandboxes } from '../gateways/support.ts';
import { LOOPBACK } from '../support/remote.ts';

const DOC_KEY = '89unJUB8HZ54Hj7x4nUj56HN4nUzUJ8i';

describe('the sandbox gateways import no signing of the adapters\'', () => {
  it('nothing under src/sandbox/gateways/ imports rsa.ts, a protocol.ts or a sign.ts of src/gateways/', () => {
    const dir = new URL('../../src/sandbox/gateways/', import.meta.url);
    for (const file of readdirSync(dir)) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      for (const spec of imports) {
        expect(spec, `${file} imports ${spec}`).not.toMatch(/\/gateways\/(?:rsa|[\w-]+\/(?:protocol|sign))\.ts$/);
      }
    }
  });
});

describe('EPay: the sandbox\'s signer against the documentation\'s vectors', () => {
  it('V1 MD5 of the documented notify: 69e9138c...; sign and sign_type left out; any change refused', () => {
    const notify = {
      pid: '1001', trade_no: '2026112210153012345', out_trade_no: 'K20261122101500001', type: 'alipay',
      name: 'Steam充值卡50元', money: '50', trade_status: 'TRADE_SUCCESS', sign: '69e9138c1c810c6a4b901edf1d4437ad', sign_type: 'MD5',
    };
    expect(epaySignText(notify)).toBe(
      'money=50&name=Steam充值卡50元&out_trade_no=K20261122101500001&pid=1001&trade_no=2026112210153012345&trade_status=TRADE_SUCCESS&type=alipay',
    );
    expect(epayMd5(notify, DOC_KEY)).toBe('69e9138c1c810c6a4b901edf1d4437ad');
    expect(epayMd5Verifies(notify, DOC_KEY, '69E9138C1C810C6A4B901EDF1D4437AD')).toBe(true);
    expect(epayMd5Verifies({ ...notify, money: '50.00' }, DOC_KEY, notify.sign)).toBe(false);
    expect(epayMd5Verifies(notify, DOC_KEY, `${notify.sign} `)).toBe(false);
    expect(epayMd5Verifies(notify, DOC_KEY, undefined)).toBe(false);
  });

  it('V1 MD5 of the documented submit: 336d5137...; a value blank after trim() is left out', () => {
    const submit = {
      pid: '1001', type: 'alipay', out_trade_no: 'K20261122101500001', notify_url: 'https://shop.example.com/notify/epay',
      return_url: 'https://shop.example.com/order/K20261122101500001', name: 'Steam充值卡50元', money: '50.00', param: ' \t',
    };
    expect(epayMd5(submit, DOC_KEY)).toBe('336d513734496bf78d78adbf59271289');
  });

  it('the documented V2 request and platform sign strings: code=0 kept, null and empty left out, ksort, raw values', () => {
    expect(epaySignText({ pid: '1001', out_trade_no: 'K20261122101500001', timestamp: '1763777760', sign: 'x', sign_type: 'RSA' }))
      .toBe('out_trade_no=K20261122101500001&pid=1001&timestamp=1763777760');
    const answer = {
      code: 0, trade_no: '2026112210153012345', out_trade_no: 'K20261122101500001', api_trade_no: '2026112222001412345678901234',
      type: 'alipay', pid: '1001', addtime: '2026-11-22 10:15:30', endtime: '2026-11-22 10:16:02', name: 'Steam充值卡50元',
      money: '50.00', param: '', buyer: '2088102177846880', clientip: '203.0.113.7', status: '1', refundmoney: null,
      timestamp: '1763777762', sign_type: 'RSA', sign: 'x',
    };
    expect(epaySignText(answer)).toBe(
      'addtime=2026-11-22 10:15:30&api_trade_no=2026112222001412345678901234&buyer=2088102177846880&clientip=203.0.113.7&code=0&endtime=2026-11-22 10:16:02&money=50.00&name=Steam充值卡50元&out_trade_no=K20261122101500001&pid=1001&status=1&timestamp=1763777762&trade_no=2026112210153012345&type=alipay',
    );
  });

  it('the documented V2 exchange: a request signed by an SDK\'s RSA is accepted; the answer verifies under it over the documented string', async () => {
    // the documentation's example, played by the sandbox: its clock at the answer's timestamp
    const now = new Date(1763777762 * 1000);
    const world = memoryWorld([{
      orderNo: 'K20261122101500001', channel: 'epay', subject: 'Steam充值卡50元', totalCents: 5000,
      createdAt: '2026-11-22T10:15:30+08:00',
      answer: { state: 'paid', amountCents: 5000, paidAt: '2026-11-22T10:16:02+08:00', tradeNo: '2026112210153012345' },
    }]);
    const app = sandboxes({ world, now: () => now, latencyMs: 0 });
    const merchantKey = Rsa.from(keys.epay.merchantPrivateKey, Rsa.KEY_TYPE_PRIVATE);
    const platformKey = Rsa.from(keys.epay.platformPublicKey, Rsa.KEY_TYPE_PUBLIC);
    const sign = Rsa.sign('out_trade_no=K20261122101500001&pid=1001&timestamp=1763777760', merchantKey);
    const post = (body: string) => app.request('http://localhost/sandbox/epay/api/pay/query', {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body,
    }, LOOPBACK);

    const base = `pid=1001&out_trade_no=K20261122101500001&timestamp=1763777760&sign_type=RSA`;
    const answer = await (await post(`${base}&sign=${encodeURIComponent(sign)}`)).json() as Record<string, string | number>;
    expect(answer).toMatchObject({
      code: 0, trade_no: '2026112210153012345', out_trade_no: 'K20261122101500001', type: 'alipay', pid: '1001',
      addtime: '2026-11-22 10:15:30', endtime: '2026-11-22 10:16:02', name: 'Steam充值卡50元', money: '50.00',
      buyer: '2088102177846880', clientip: '203.0.113.7', status: '1', timestamp: '1763777762', sign_type: 'RSA',
    });
    // the documentation's platform sign string, but for the upstream number this sandbox made up
    const documented = 'addtime=2026-11-22 10:15:30&api_trade_no=' + String(answer.api_trade_no) +
      '&buyer=2088102177846880&clientip=203.0.113.7&code=0&endtime=2026-11-22 10:16:02&money=50.00&name=Steam充值卡50元' +
      '&out_trade_no=K20261122101500001&pid=1001&status=1&timestamp=1763777762&trade_no=2026112210153012345&type=alipay';
    expect(Rsa.verify(documented, String(answer.sign), platformKey)).toBe(true);

    // a request whose signature does not cover what it says is refused, as the platform refuses it
    const tampered = await (await post(`${base.replace('K20261122101500001', 'K20261122101500002')}&sign=${encodeURIComponent(sign)}`)).json();
    expect(tampered).toEqual({ code: -3, msg: 'RSA签名校验失败' });
    // V2 falls back to MD5 whenever sign_type is not RSA: md5(sign string + KEY)
    const md5 = epayMd5({ pid: '1001', out_trade_no: 'K20261122101500001', timestamp: '1763777760' }, keys.epay.key);
    const viaMd5 = await (await post(`pid=1001&out_trade_no=K20261122101500001&timestamp=1763777760&sign_type=MD5&sign=${md5}`)).json();
    expect(viaMd5).toMatchObject({ code: 0, out_trade_no: 'K20261122101500001' });
  });
});

describe('the sandbox\'s RSA and sign strings against an SDK\'s own', () => {
  it('SHA256withRSA: what the sandbox signs the SDK verifies, and the reverse; other bytes fail', async () => {
    const text = 'out_trade_no=K1&pid=1001&timestamp=1763777760 中文';
    const ours = await rsaSha256Sign(keys.epay.platformPrivateKey, text);
    expect(Rsa.verify(text, ours, Rsa.from(keys.epay.platformPublicKey, Rsa.KEY_TYPE_PUBLIC))).toBe(true);
    const theirs = Rsa.sign(text, Rsa.from(keys.epay.merchantPrivateKey, Rsa.KEY_TYPE_PRIVATE));
    expect(await rsaSha256Verify(keys.epay.merchantPublicKey, text, theirs)).toBe(true);
    expect(await rsaSha256Verify(keys.epay.merchantPublicKey, `${text} `, theirs)).toBe(false);
    expect(await rsaSha256Verify(keys.epay.merchantPublicKey, text, 'not base64!')).toBe(false);
    expect(await rsaSha256Verify('not a key', text, theirs)).toBe(false);
  });

  it('Alipay\'s request sign text: sign left out, sign_type kept, empty values left out, ASCII order, raw values', () => {
    expect(alipayRequestSignText({
      method: 'alipay.trade.query', app_id: '2021004100000000', sign_type: 'RSA2', sign: 'x', notify_url: '',
      biz_content: '{"out_trade_no":"K1"}', timestamp: '2026-11-22 10:20:00', charset: 'utf-8', Zeta: 'z',
    })).toBe('Zeta=z&app_id=2021004100000000&biz_content={"out_trade_no":"K1"}&charset=utf-8&method=alipay.trade.query&sign_type=RSA2&timestamp=2026-11-22 10:20:00');
  });

  it('WeChat Pay v3 sign strings and Authorization as the documentation writes them', () => {
    expect(wechatRequestSignText('GET', '/v3/pay/transactions/out-trade-no/K1?mchid=1230000109', '1554208460', '593BEC0C930BF1AFEB40B4A08C8FB242', ''))
      .toBe('GET\n/v3/pay/transactions/out-trade-no/K1?mchid=1230000109\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n');
    expect(wechatResponseSignText('1554209980', 'c5ac7061fccab6bf3e254dcf98995b8c', '{"a":1}'))
      .toBe('1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n{"a":1}\n');
    const header = 'WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",' +
      'signature="uOVRnA4qG/MNnYzdQxJanN+zU+lTgIcnU9BxGw5dKjK+VdEUz2FeIoC+D5sB/LN+nGzX3hfZg6r5wT1pl2ZobmIc6p0ldN7J6yDgUzbX8Uk3sD4a4eZVPTBvqNDoUqcYMlZ9uuDdCvNv4TM3c1WzsXUrExwVkI1XO5jCNbgDJ25nkT/c1gIFvqoogl7MdSFGc4W4xZsqCItnqbypR3RuGIlR9h9vlRsy7zJR9PBI83X8alLDIfR1ukt1P7tMnmogZ0cuDY8cZsd8ZlCgLadmvej58SLsIkVxFJ8XmUgx9FtRvQnDqa77rgBZ2mNB9kjCfXAeKJ+FYRgALDgSrMBcw==",' +
      'timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"';
    expect(readWechatAuthorization(header)).toMatchObject({
      mchid: '1900009191', serialNo: '1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C', timestamp: '1554208460', nonce: '593BEC0C930BF1AFEB40B4A08C8FB242',
    });
    expect(readWechatAuthorization(header.replace('WECHATPAY2-SHA256-RSA2048', 'Bearer'))).toBeNull();
    expect(readWechatAuthorization(header.replace(',timestamp="1554208460"', ''))).toBeNull();
  });
});

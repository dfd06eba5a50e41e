import { describe, expect, it } from 'vitest';
import keys from '../../fixtures/sandbox/keys.json' with { type: 'json' };
import { beijingToIso, isoToBeijing } from '../../src/gateways/epay/beijing-time.ts';
import { centsToYuan, parseYuanToCents } from '../../src/gateways/money.ts';
import { redactForm, redactUrl, truncateBody } from '../../src/gateways/redact.ts';
import { pemFromBase64, signSha256WithRsa, verifySha256WithRsa } from '../../src/gateways/rsa.ts';

const { merchantPrivateKey, merchantPublicKey, platformPublicKey } = keys.epay;
const bare = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');

describe('rsa', () => {
  it('signs and verifies SHA256withRSA over UTF-8 text', async () => {
    const sig = await signSha256WithRsa(merchantPrivateKey, 'name=Steam充值卡50元');
    expect(await verifySha256WithRsa(merchantPublicKey, 'name=Steam充值卡50元', sig)).toBe(true);
  });

  it('rejects a signature over other data, or from another key pair', async () => {
    const sig = await signSha256WithRsa(merchantPrivateKey, 'money=50.00');
    expect(await verifySha256WithRsa(merchantPublicKey, 'money=0.01', sig)).toBe(false);
    expect(await verifySha256WithRsa(platformPublicKey, 'money=50.00', sig)).toBe(false);
  });

  it('answers false, never throws, for malformed signatures and unusable keys', async () => {
    for (const bad of ['', '!!!not base64', 'AAAA', '=']) {
      expect(await verifySha256WithRsa(merchantPublicKey, 'x', bad)).toBe(false);
    }
    const sig = await signSha256WithRsa(merchantPrivateKey, 'x');
    expect(await verifySha256WithRsa('not a key', 'x', sig)).toBe(false);
  });

  it('is deterministic (PKCS#1 v1.5), which is what makes recorded fixtures reproducible', async () => {
    expect(await signSha256WithRsa(merchantPrivateKey, 'a')).toBe(await signSha256WithRsa(merchantPrivateKey, 'a'));
  });

  it('accepts bare base64 keys, wrapping them as PEM at 64 characters', async () => {
    const pem = pemFromBase64(bare(merchantPublicKey), 'PUBLIC KEY');
    expect(pem.startsWith('-----BEGIN PUBLIC KEY-----\n')).toBe(true);
    expect(pem.split('\n').slice(1, -3).every((line) => line.length === 64)).toBe(true);
    const sig = await signSha256WithRsa(bare(merchantPrivateKey), 'x');
    expect(await verifySha256WithRsa(bare(merchantPublicKey), 'x', sig)).toBe(true);
    expect(pemFromBase64(merchantPublicKey, 'PUBLIC KEY')).toBe(merchantPublicKey);
  });

  it('refuses to sign with a key it cannot import', async () => {
    await expect(signSha256WithRsa('bm90IGEga2V5', 'x')).rejects.toThrow();
  });
});

describe('money', () => {
  it.each([
    ['50', 5000], ['50.00', 5000], ['9.9', 990], ['0.01', 1], [' 12.30 ', 1230], [50, 5000], [9.9, 990], [0.29, 29], [0, 0],
  ] as const)('parses %j as %d cents', (input, cents) => {
    expect(parseYuanToCents(input)).toBe(cents);
  });

  it.each(['', 'abc', '-1', '1.234', '1e3', '50元', '1,000.00', '.5', NaN, -0.01, Infinity, 1.005])('rejects %j', (input) => {
    expect(parseYuanToCents(input)).toBeNull();
  });

  it('renders cents as a two-decimal yuan string', () => {
    expect([centsToYuan(5000), centsToYuan(990), centsToYuan(1), centsToYuan(0)]).toEqual(['50.00', '9.90', '0.01', '0.00']);
    expect(() => centsToYuan(1.5)).toThrow(RangeError);
  });
});

describe('redact', () => {
  it('replaces only the named query values, keeping the rest byte for byte', () => {
    expect(redactUrl('https://p.example/api.php?act=order&pid=1001&key=s3cr%2Bt&out_trade_no=K%201', ['key'])).toBe(
      'https://p.example/api.php?act=order&pid=1001&key=***&out_trade_no=K%201',
    );
    expect(redactUrl('https://p.example/x', ['key'])).toBe('https://p.example/x');
    expect(redactForm('a=1&sign=abc', ['sign'])).toBe('a=1&sign=***');
  });

  it('truncates long bodies and says so', () => {
    expect(truncateBody('abc', 10)).toBe('abc');
    const cut = truncateBody('x'.repeat(5000));
    expect(cut.startsWith('x'.repeat(4096))).toBe(true);
    expect(cut).toContain('truncated 904');
  });
});

describe('beijing time', () => {
  it('reads EPay wall-clock times as UTC+8', () => {
    expect(beijingToIso('2026-11-22 10:16:02')).toBe('2026-11-22T02:16:02.000Z');
    expect(beijingToIso('2026-01-01 03:00:00')).toBe('2025-12-31T19:00:00.000Z');
    expect(isoToBeijing('2026-11-22T02:16:02.000Z')).toBe('2026-11-22 10:16:02');
  });

  it('ignores anything that is not a real wall-clock time', () => {
    for (const v of [null, '', '0000-00-00 00:00:00', '2026-02-31 10:00:00', '2026-11-22', 1763777762]) {
      expect(beijingToIso(v)).toBeUndefined();
    }
  });
});

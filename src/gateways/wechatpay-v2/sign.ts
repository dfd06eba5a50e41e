/**
 * WeChat Pay API v2 signatures (gateway-protocols.md 3b; the v2 "安全规范 / 签名算法" page,
 * pay.weixin.qq.com/wiki/doc/api/H5.php?chapter=4_3): every non-empty parameter except `sign`,
 * sorted by name in ASCII order, `k=v` joined with `&`, then `&key=<API v2 key>`; MD5 of that, or
 * HMAC-SHA256 keyed with the same API key; hex, upper case. Requests and answers alike.
 *
 * The key is a shared secret, so whoever can verify an answer could also have forged it: weaker
 * than v3's RSA, and all v2 offers. The sandbox signs with its own implementation
 * (src/sandbox/gateways/wechatpay-v2.ts) so that a bug here cannot cancel out there.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type SignType = 'MD5' | 'HMAC-SHA256';

export function isSignType(v: unknown): v is SignType {
  return v === 'MD5' || v === 'HMAC-SHA256';
}

/**
 * What is hashed. Values are used as received (no trimming, no URL-encoding): the server hashes
 * the bytes it sent.
 * @example buildSignString({ mch_id: '10000100', appid: 'wxd930ea5d5a258f4f', device_info: '' }, 'KEY')
 *   // 'appid=wxd930ea5d5a258f4f&mch_id=10000100&key=KEY'
 */
export function buildSignString(params: Readonly<Record<string, string | undefined>>, key: string): string {
  const pairs: string[] = [];
  // Array.sort compares UTF-16 code units: for the ASCII names WeChat uses that is ASCII order.
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    if (name === 'sign' || value === undefined || value === '') continue;
    pairs.push(`${name}=${value}`);
  }
  pairs.push(`key=${key}`);
  return pairs.join('&');
}

/**
 * @example computeSign({ appid: 'wxd930ea5d5a258f4f', body: 'test', device_info: '1000', mch_id: '10000100',
 *   nonce_str: 'ibuaiVcKdpRxkhJA' }, '192006250b4c09247ec02edce69f6a2d', 'MD5') // '9A0A8659F005D6984697E2CA0A9CF3B7'
 */
export function computeSign(params: Readonly<Record<string, string | undefined>>, key: string, signType: SignType): string {
  const text = buildSignString(params, key);
  const hash = signType === 'MD5' ? createHash('md5') : createHmac('sha256', key);
  return hash.update(text, 'utf8').digest('hex').toUpperCase();
}

/** True when `params.sign` is exactly the signature of the other params (compared in constant time). */
export function signMatches(params: Readonly<Record<string, string | undefined>>, key: string, signType: SignType): boolean {
  const given = params['sign'];
  if (!given) return false;
  const expected = Buffer.from(computeSign(params, key, signType), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** 32 upper-case hex characters: the longest nonce_str v2 accepts, and unpredictable. */
export function randomNonceStr(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

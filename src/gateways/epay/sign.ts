import { createHash } from 'node:crypto';
import { signSha256WithRsa, verifySha256WithRsa } from '../rsa.ts';

/**
 * EPay's canonical string, shared by V1 (MD5) and V2 (RSA) (gateway-protocols.md 1.3,
 * `Payment::getSignContent`): drop sign/sign_type, arrays and values empty after trim(), ksort,
 * join `k=v` with `&`, raw values (no URL-encoding).
 */

export type EpayParams = Record<string, unknown>;

/** `append`: md5(content + KEY) (Rainbow EPay); `ampersand_key`: md5(content + '&key=' + KEY) (some clones). */
export type Md5Mode = 'append' | 'ampersand_key';

/**
 * Renders a decoded JSON value the way PHP's string cast does, because the platform signed its
 * PHP values, not our JSON text: numbers as decimal strings (floats with precision 14, like PHP's
 * `precision` ini), true as '1', false/null as '' (then dropped), arrays/objects not at all.
 * Integers beyond 2^53 cannot be reproduced after JSON.parse: such a field makes verification fail,
 * which is the safe direction.
 */
export function phpString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(14)));
  }
  if (typeof value === 'boolean') return value ? '1' : '';
  return undefined; // null, undefined, arrays, objects
}

const PHP_TRIM = /^[ \t\n\r\0\x0B]+|[ \t\n\r\0\x0B]+$/g;

export function canonicalString(params: EpayParams): string {
  const pairs: [string, string][] = [];
  for (const [key, raw] of Object.entries(params)) {
    if (key === 'sign' || key === 'sign_type') continue;
    const value = phpString(raw);
    if (value === undefined || value.replace(PHP_TRIM, '') === '') continue;
    pairs.push([key, value]);
  }
  // ksort on ASCII keys is plain byte order (not localeCompare)
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/**
 * V1 signature: lowercase hex md5 of the canonical string followed by the merchant key.
 * @example md5Sign({ pid: '1001', money: '50' }, KEY) // md5('money=50&pid=1001' + KEY)
 */
export function md5Sign(params: EpayParams, key: string, mode: Md5Mode = 'append'): string {
  const suffix = mode === 'append' ? key : `&key=${key}`;
  return createHash('md5').update(canonicalString(params) + suffix, 'utf8').digest('hex');
}

/** Constant-time-enough comparison for a hex MD5 (both sides are fixed length). */
export function md5Verify(params: EpayParams, key: string, sign: string, mode: Md5Mode = 'append'): boolean {
  const expected = md5Sign(params, key, mode);
  const given = String(sign).toLowerCase();
  if (given.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ given.charCodeAt(i);
  return diff === 0;
}

/** V2 request / answer signature: SHA256withRSA over the canonical string, base64. */
export function rsaSign(params: EpayParams, privateKey: string): Promise<string> {
  return signSha256WithRsa(privateKey, canonicalString(params));
}

export function rsaVerify(params: EpayParams, publicKey: string, sign: unknown): Promise<boolean> {
  if (typeof sign !== 'string') return Promise.resolve(false);
  return verifySha256WithRsa(publicKey, canonicalString(params), sign);
}

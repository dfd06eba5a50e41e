import { createHash } from 'node:crypto';

/**
 * Fulu's MD5 signature ("常见问题 3.签名计算规则说明"): take the JSON text, sort its single
 * characters in ordinal order, append the AppSecret, MD5, lowercase hex.
 *
 * Sorting characters makes the signature independent of key order but NOT of JSON escaping
 * (`\"`, `\/`, `\uXXXX` change the characters), so both sides must serialise the same way. We sort
 * UTF-16 code units, as the official Java/C# samples do with `char[]` (Array#sort's default
 * comparator is exactly that).
 * @example fuluSign('{"a":"1"}', secret) === fuluSign('"}{1:"a"', secret)
 */
export function fuluSign(jsonText: string, appSecret: string): string {
  // The same order as `split('').sort()` (UTF-16 code units, ordinal), sorted as numbers in a
  // typed array: the string sort of one-character strings was ~1 % of a customer check's CPU
  // (two signatures per supplier query).
  const units = new Uint16Array(jsonText.length);
  for (let i = 0; i < jsonText.length; i++) units[i] = jsonText.charCodeAt(i);
  units.sort();
  let sorted = '';
  for (let i = 0; i < units.length; i += 0x2000) sorted += String.fromCharCode(...units.subarray(i, i + 0x2000));
  return createHash('md5').update(sorted + appSecret, 'utf8').digest('hex');
}

/** Signs a request: the whole parameter object serialised without `sign`. */
export function signRequest(params: Record<string, unknown>, appSecret: string): string {
  const { sign: _ignored, ...rest } = params;
  return fuluSign(JSON.stringify(rest), appSecret);
}

/**
 * Checks a request the way the platform does: re-serialise the parsed body without `sign`.
 * Clients that escape differently from JSON.stringify (PHP's `\/`) would fail here, which is also
 * what the real gateway does to them.
 */
export function verifyRequestSign(body: Record<string, unknown>, appSecret: string): boolean {
  return typeof body.sign === 'string' && sameHex(body.sign, signRequest(body, appSecret));
}

/** A response is signed over its `result` string (an absent result counts as ""). */
export function signResult(result: string | null | undefined, appSecret: string): string {
  return fuluSign(result ?? '', appSecret);
}

export function verifyResultSign(result: string | null | undefined, sign: string, appSecret: string): boolean {
  return sameHex(sign, signResult(result, appSecret));
}

/** Case-insensitive, length-safe comparison that does not stop at the first differing character. */
function sameHex(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x.charCodeAt(i) || 0) ^ (y.charCodeAt(i) || 0);
  return diff === 0;
}

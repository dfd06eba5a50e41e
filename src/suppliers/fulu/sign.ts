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
  return createHash('md5').update(sortedUnits(jsonText) + appSecret, 'utf8').digest('hex');
}

/**
 * The text's UTF-16 code units in ordinal order: the same as `split('').sort()`. A counting sort for
 * ASCII (JSON text is nearly all ASCII) and a numeric sort for the rest, which all come after it:
 * the string sort of one-character strings was ~1 % of a customer check's CPU, a sort of the whole
 * text as numbers still ~0.5 % (two signatures per supplier query).
 */
function sortedUnits(text: string): string {
  const ascii = new Uint32Array(128);
  const rest: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    if (u < 128) ascii[u]!++;
    else rest.push(u);
  }
  let out = '';
  for (let u = 0; u < 128; u++) if (ascii[u]) out += String.fromCharCode(u).repeat(ascii[u]!);
  if (rest.length) {
    rest.sort((a, b) => a - b);
    for (let i = 0; i < rest.length; i += 0x2000) out += String.fromCharCode(...rest.slice(i, i + 0x2000));
  }
  return out;
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

/**
 * Alipay OpenAPI 2.0 wire rules shared by the adapter and the sandbox, so both sides canonicalise,
 * sign and verify the same way (../shared/reference/gateway-protocols.md section 2).
 */
import { signSha256WithRsa, verifySha256WithRsa } from '../rsa.ts';

export const QUERY_METHOD = 'alipay.trade.query';
export const QUERY_RESPONSE_KEY = 'alipay_trade_query_response';
export const ERROR_RESPONSE_KEY = 'error_response';

/** Common params the SDK sends in the query string; everything else (biz_content) goes in the body. */
export const URL_PARAMS = [
  'app_id', 'method', 'format', 'charset', 'sign_type', 'sign', 'timestamp', 'version',
  'notify_url', 'return_url', 'auth_token', 'app_auth_token', 'app_cert_sn', 'alipay_root_cert_sn',
] as const;

/**
 * The string RSA2 signs: every param but `sign` (sign_type IS included), empty values dropped,
 * keys in ASCII order, raw (not URL-encoded) values joined as k=v&k=v.
 * @example alipaySignContent({ method: 'alipay.trade.query', app_id: '1' }) // 'app_id=1&method=alipay.trade.query'
 */
export function alipaySignContent(params: Record<string, string | undefined>): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

export function signAlipayParams(params: Record<string, string | undefined>, privateKey: string): Promise<string> {
  return signSha256WithRsa(privateKey, alipaySignContent(params));
}

export function verifyAlipayParams(
  params: Record<string, string | undefined>,
  sign: string,
  publicKey: string,
): Promise<boolean> {
  return verifySha256WithRsa(publicKey, alipaySignContent(params), sign);
}

const BEIJING_OFFSET_MS = 8 * 3600_000;
const pad = (n: number) => String(n).padStart(2, '0');

/** `yyyy-MM-dd HH:mm:ss` in Beijing time (UTC+8, no DST): Alipay's timestamp and date format. */
export function beijingDateTime(d: Date): string {
  const b = new Date(d.getTime() + BEIJING_OFFSET_MS);
  return `${b.getUTCFullYear()}-${pad(b.getUTCMonth() + 1)}-${pad(b.getUTCDate())} ` +
    `${pad(b.getUTCHours())}:${pad(b.getUTCMinutes())}:${pad(b.getUTCSeconds())}`;
}

/** Alipay's `yyyy-MM-dd HH:mm:ss` (Beijing) -> ISO-8601 UTC; null when it is not that shape. */
export function parseBeijingDateTime(s: unknown): string | null {
  if (typeof s !== 'string') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s.trim());
  if (!m) return null;
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/**
 * The exact raw text Alipay signed: the JSON value of `responseKey`, cut out of the body the way
 * the official SDK's getSignStr does (after `"<key>"`, before the last `"sign"`, outer braces kept).
 * Re-serialising the parsed object would change escaping and key order and break verification.
 */
export function signedSubstring(raw: string, responseKey: string): string | null {
  const start = raw.indexOf(`"${responseKey}"`);
  if (start < 0) return null;
  const lastSign = raw.lastIndexOf('"sign"');
  let s = raw.slice(start + responseKey.length + 2, lastSign > start ? lastSign : raw.length);
  const open = s.indexOf('{');
  const close = s.lastIndexOf('}');
  if (open < 0 || close < open) return null;
  s = s.slice(open, close + 1);
  return s;
}

/**
 * Verifies a response signature over the raw substring; retries once with `/` escaped as `\/`
 * because Alipay may sign the escaped form while a proxy or PHP bridge unescaped it (aliyun 707521).
 */
export async function verifyAlipayResponse(
  raw: string,
  responseKey: string,
  sign: string,
  alipayPublicKey: string,
): Promise<boolean> {
  const content = signedSubstring(raw, responseKey);
  if (content === null) return false;
  if (await verifySha256WithRsa(alipayPublicKey, content, sign)) return true;
  if (!content.includes('/')) return false;
  return verifySha256WithRsa(alipayPublicKey, content.replace(/(?<!\\)\//g, '\\/'), sign);
}

/** Builds `{"<key>":<inner>,"sign":"..."}` by text so the signed substring is exactly `inner`. */
export async function signedAlipayBody(responseKey: string, inner: object, alipayPrivateKey: string): Promise<string> {
  const innerText = JSON.stringify(inner);
  const sign = await signSha256WithRsa(alipayPrivateKey, innerText);
  return `{"${responseKey}":${innerText},"sign":"${sign}"}`;
}

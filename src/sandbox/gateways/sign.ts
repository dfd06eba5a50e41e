/**
 * The sandbox gateways' own signing, written from the protocol documentation
 * (../shared/reference/gateway-protocols.md) on node:crypto, apart from the adapters' code
 * (src/gateways/rsa.ts, alipay/protocol.ts, wechatpay/protocol.ts, epay/sign.ts) on purpose: when
 * both sides of a test share one signer, a misreading of the rules signs and verifies the same
 * wrong bytes and cancels out. Each sandbox is held to the gateway's own SDK where one signs
 * (alipay-sdk, wechatpay-axios-plugin) and to the documentation's vectors for EPay
 * (test/gateways/sdk-interop.test.ts, test/sandbox/signing.test.ts).
 *
 * RSA goes through crypto.sign / crypto.verify with a callback, which runs on libuv's thread pool:
 * a sandbox serving a load test in-process must not block the event loop for every answer.
 */
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';

// -------------------------------------------------------------------------------------------------
// SHA256withRSA (RSASSA-PKCS1-v1_5 over SHA-256), base64: Alipay RSA2, WeChat Pay v3, EPay V2

const privateKeys = new Map<string, KeyObject>();
const publicKeys = new Map<string, KeyObject>();

function keyOf<T>(cache: Map<string, T>, pem: string, make: (pem: string) => T): T {
  let key = cache.get(pem);
  if (!key) {
    key = make(pem);
    cache.set(pem, key); // the sandbox has a handful of fixed keys
  }
  return key;
}

/** SHA256withRSA over the UTF-8 bytes of `text` with a PEM (PKCS#8) private key; base64. */
export function rsaSha256Sign(privateKeyPem: string, text: string): Promise<string> {
  const key = keyOf(privateKeys, privateKeyPem, (pem) => createPrivateKey(pem));
  return new Promise((resolve, reject) => {
    sign('sha256', Buffer.from(text, 'utf8'), key, (err, sig) => (err ? reject(err) : resolve(sig.toString('base64'))));
  });
}

/** Whether `signatureB64` is SHA256withRSA over `text` under a PEM (SPKI) public key; never throws. */
export function rsaSha256Verify(publicKeyPem: string, text: string, signatureB64: unknown): Promise<boolean> {
  if (typeof signatureB64 !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(signatureB64)) return Promise.resolve(false);
  let key: KeyObject;
  try {
    key = keyOf(publicKeys, publicKeyPem, (pem) => createPublicKey(pem));
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    verify('sha256', Buffer.from(text, 'utf8'), key, Buffer.from(signatureB64, 'base64'), (err, ok) => resolve(!err && ok));
  });
}

// -------------------------------------------------------------------------------------------------
// Alipay OpenAPI 2.0 (gateway-protocols.md 2.2, 2.3)

/**
 * What the merchant signed: every parameter except `sign` (sign_type stays), empty values left out,
 * names in ASCII order, `name=value` joined with `&`, values as sent (not URL-encoded).
 */
export function alipayRequestSignText(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .filter((name) => name !== 'sign' && params[name] !== '')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => `${name}=${params[name]}`)
    .join('&');
}

/**
 * An answer as Alipay writes it: `{"<method>_response":<inner>,"sign":"..."}`, the signature over
 * the inner JSON text exactly as it stands in the body.
 */
export async function alipaySignedBody(responseKey: string, inner: object, alipayPrivateKey: string): Promise<string> {
  const text = JSON.stringify(inner);
  return `{"${responseKey}":${text},"sign":"${await rsaSha256Sign(alipayPrivateKey, text)}"}`;
}

// -------------------------------------------------------------------------------------------------
// WeChat Pay API v3 (gateway-protocols.md 3.1, 3.2)

export const WECHATPAY_SCHEME = 'WECHATPAY2-SHA256-RSA2048';

/** The request's signed lines: method, path with query, timestamp, nonce, body; each ends in \n. */
export function wechatRequestSignText(method: string, url: string, timestamp: string, nonce: string, body: string): string {
  return [method, url, timestamp, nonce, body].map((line) => `${line}\n`).join('');
}

/** The answer's signed lines: Wechatpay-Timestamp, Wechatpay-Nonce, the body; each ends in \n. */
export function wechatResponseSignText(timestamp: string, nonce: string, body: string): string {
  return [timestamp, nonce, body].map((line) => `${line}\n`).join('');
}

export interface WechatAuthorization {
  mchid: string;
  serialNo: string;
  timestamp: string;
  nonce: string;
  signature: string;
}

/** `WECHATPAY2-SHA256-RSA2048 mchid="..",nonce_str="..",signature="..",timestamp="..",serial_no=".."`, any order. */
export function readWechatAuthorization(header: string | undefined): WechatAuthorization | null {
  if (!header) return null;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space) !== WECHATPAY_SCHEME) return null;
  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const m = /^\s*([a-z_]+)="([^"]*)"\s*$/.exec(part);
    if (m) fields.set(m[1]!, m[2]!);
  }
  const get = (name: string) => fields.get(name) || null;
  const mchid = get('mchid');
  const serialNo = get('serial_no');
  const timestamp = get('timestamp');
  const nonce = get('nonce_str');
  const signature = get('signature');
  if (!mchid || !serialNo || !timestamp || !nonce || !signature) return null;
  return { mchid, serialNo, timestamp, nonce, signature };
}

/** 32 random upper-case hex characters, as WeChat's own nonces look. */
export function wechatNonce(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

// -------------------------------------------------------------------------------------------------
// EPay (彩虹易支付) V1 MD5 and V2 RSA (gateway-protocols.md 1.3)

/** PHP's trim() set: space, \t, \n, \r, NUL, \x0B. */
const PHP_SPACE = ' \t\n\r\0\x0B';

function phpTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && PHP_SPACE.includes(s[start]!)) start++;
  while (end > start && PHP_SPACE.includes(s[end - 1]!)) end--;
  return s.slice(start, end);
}

/**
 * `Payment::getSignContent`: leave out `sign`, `sign_type`, arrays, and values that are null or
 * empty after trim(); ksort; `k=v` joined with `&`, raw values. The platform signs PHP values, so a
 * number is its decimal string (the sandbox only signs strings and integers).
 */
export function epaySignText(params: Readonly<Record<string, string | number | null | undefined>>): string {
  const kept: [string, string][] = [];
  for (const name of Object.keys(params)) {
    if (name === 'sign' || name === 'sign_type') continue;
    const raw = params[name];
    if (raw === null || raw === undefined) continue;
    const value = typeof raw === 'number' ? String(raw) : raw;
    if (phpTrim(value) === '') continue;
    kept.push([name, value]);
  }
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return kept.map(([name, value]) => `${name}=${value}`).join('&');
}

/** V1: md5(signText + KEY), lower-case hex, the key appended as is. */
export function epayMd5(params: Readonly<Record<string, string | number | null | undefined>>, key: string): string {
  return createHash('md5').update(`${epaySignText(params)}${key}`, 'utf8').digest('hex');
}

export function epayMd5Verifies(params: Readonly<Record<string, string | number | null | undefined>>, key: string, given: unknown): boolean {
  if (typeof given !== 'string' || !/^[0-9a-fA-F]{32}$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(epayMd5(params, key), 'hex'), Buffer.from(given, 'hex'));
}

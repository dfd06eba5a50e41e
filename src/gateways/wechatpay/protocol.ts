/**
 * WeChat Pay API v3 signing rules shared by the adapter and the sandbox
 * (gateway-protocols.md section 3): request Authorization and response signature strings.
 */
import { signSha256WithRsa } from '../rsa.ts';

export const AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048';
/** WeChat's deliberate probe signatures; they must never verify (gateway-protocols 3.2). */
export const SIGNTEST_PREFIX = 'WECHATPAY/SIGNTEST/';

/** Five lines, each ending in \n (the empty GET body keeps its line). */
export function requestSignString(method: string, pathWithQuery: string, timestamp: string, nonce: string, body = ''): string {
  return `${method}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${body}\n`;
}

/** What a response signature covers: `${ts}\n${nonce}\n${rawBody}\n`. */
export function responseSignString(timestamp: string, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

export interface AuthorizationParts {
  mchid: string;
  serialNo: string;
  timestamp: string;
  nonce: string;
  signature: string;
}

/**
 * The merchant's request Authorization header value.
 * @example await buildAuthorization({ method: 'GET', pathWithQuery: '/v3/pay/transactions/out-trade-no/K1?mchid=1230000109', ... })
 */
export async function buildAuthorization(input: {
  method: string;
  pathWithQuery: string;
  body?: string;
  mchid: string;
  serialNo: string;
  privateKey: string;
  timestamp: string;
  nonce: string;
}): Promise<string> {
  const signature = await signSha256WithRsa(
    input.privateKey,
    requestSignString(input.method, input.pathWithQuery, input.timestamp, input.nonce, input.body ?? ''),
  );
  return `${AUTH_SCHEME} mchid="${input.mchid}",nonce_str="${input.nonce}",timestamp="${input.timestamp}",` +
    `serial_no="${input.serialNo}",signature="${signature}"`;
}

/** Parses an Authorization header in any field order; null when it is not this scheme. */
export function parseAuthorization(header: string | undefined): AuthorizationParts | null {
  if (!header?.startsWith(`${AUTH_SCHEME} `)) return null;
  const fields: Record<string, string> = {};
  for (const m of header.slice(AUTH_SCHEME.length + 1).matchAll(/(\w+)="([^"]*)"/g)) {
    fields[m[1] as string] = m[2] as string;
  }
  const { mchid, serial_no: serialNo, timestamp, nonce_str: nonce, signature } = fields;
  if (!mchid || !serialNo || !timestamp || !nonce || !signature) return null;
  return { mchid, serialNo, timestamp, nonce, signature };
}

/** 32 upper-case hex characters, like the official SDKs' nonce_str. */
export function randomNonce(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}

/** Unix seconds. */
export function unixSeconds(d: Date): string {
  return String(Math.floor(d.getTime() / 1000));
}

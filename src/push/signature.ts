/**
 * Request signing between order-doctor and a shop with no connector, both ways: the shop signs its
 * pushes (PUT /api/v1/shop/orders/{orderNo}, POST /api/v1/shop/stock/{sku}), order-doctor signs
 * the webhooks it sends the shop. One scheme, in the manner of AWS SigV4 and Stripe's webhooks:
 *
 *   string to sign = "ORDER-DOCTOR-HMAC-SHA256\n" + timestamp + "\n" + METHOD + "\n" + path + "\n"
 *                    + hex(sha256(body bytes))
 *   Order-Doctor-Timestamp: <unix seconds>
 *   Order-Doctor-Signature: v1=<hex(hmac_sha256(secret, string to sign))>
 *
 * Why this shape: the method and path stop a signed order update from being replayed as a stock
 * push or onto another order; the timestamp bounds how long a captured request is worth anything
 * (WINDOW_SECONDS both ways, for clocks that are ahead as well as behind); hashing the body keeps
 * the signed string line-structured whatever bytes the body holds, and lets a shell client sign
 * with two `openssl dgst` calls. `path` is the request path exactly as sent (percent-encoding
 * included, no query string). `v1=` names the scheme so a later one can be offered beside it.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'order-doctor-timestamp';
export const SIGNATURE_HEADER = 'order-doctor-signature';
export const SIGNING_ALGORITHM = 'ORDER-DOCTOR-HMAC-SHA256';
/** how far a request's timestamp may be from our clock, either way */
export const WINDOW_SECONDS = 300;

export interface SignedParts {
  method: string;
  path: string;
  /** unix seconds */
  timestamp: number;
  body: Uint8Array | string;
}

export function stringToSign(p: SignedParts): string {
  const bodyHash = createHash('sha256').update(p.body).digest('hex');
  return [SIGNING_ALGORITHM, String(p.timestamp), p.method.toUpperCase(), p.path, bodyHash].join('\n');
}

/** The hex HMAC of a request. */
export function sign(secret: string, p: SignedParts): string {
  return createHmac('sha256', secret).update(stringToSign(p), 'utf8').digest('hex');
}

/**
 * The two headers of a signed request.
 *
 * @example
 * fetch(url, { method: 'POST', body, headers: { ...signedHeaders(secret, { method: 'POST', path, timestamp, body }) } })
 */
export function signedHeaders(secret: string, p: SignedParts): Record<string, string> {
  return { [TIMESTAMP_HEADER]: String(p.timestamp), [SIGNATURE_HEADER]: `v1=${sign(secret, p)}` };
}

export type VerifyFailure = 'missing' | 'malformed' | 'stale' | 'mismatch';
export type Verified = { ok: true; signature: string; timestamp: number } | { ok: false; reason: VerifyFailure };

/**
 * Checks a request's headers against its method, path and body: the timestamp within the window of
 * `nowMs`, then the signature, compared in constant time (how much of a guess matched is not told
 * by how long the answer took).
 */
export function verify(
  secret: string,
  req: { method: string; path: string; body: Uint8Array; timestampHeader: string | undefined; signatureHeader: string | undefined },
  nowMs: number,
): Verified {
  if (req.timestampHeader === undefined || req.signatureHeader === undefined) return { ok: false, reason: 'missing' };
  if (!/^\d{1,12}$/.test(req.timestampHeader)) return { ok: false, reason: 'malformed' };
  const given = /^v1=([0-9a-f]{64})$/i.exec(req.signatureHeader.trim())?.[1];
  if (!given) return { ok: false, reason: 'malformed' };
  const timestamp = Number(req.timestampHeader);
  if (Math.abs(nowMs / 1000 - timestamp) > WINDOW_SECONDS) return { ok: false, reason: 'stale' };
  const expected = sign(secret, { method: req.method, path: req.path, timestamp, body: req.body });
  const match = timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given.toLowerCase(), 'hex'));
  return match ? { ok: true, signature: expected, timestamp } : { ok: false, reason: 'mismatch' };
}

/** What a refused request is told: enough to fix a client, nothing that helps a forger. */
export const VERIFY_FAILURE_DETAIL: Record<VerifyFailure, string> = {
  missing: `sign the request: ${TIMESTAMP_HEADER} and ${SIGNATURE_HEADER} headers are required`,
  malformed: `${TIMESTAMP_HEADER} must be unix seconds and ${SIGNATURE_HEADER} v1=<64 hex digits>`,
  stale: `${TIMESTAMP_HEADER} is more than ${WINDOW_SECONDS} s from our clock: sign with the current time (and check the clock)`,
  mismatch: 'the signature does not match the request (method, path, timestamp and body, with the shared secret)',
};

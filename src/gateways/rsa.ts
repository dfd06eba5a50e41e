/**
 * RSA (PKCS#1 v1.5, SHA-256) sign/verify, shared by every gateway: Alipay RSA2, WeChat Pay v3 and
 * EPay V2 all use SHA256withRSA.
 *
 * node:crypto (available on Workers under nodejs_compat, like the MD5/HMAC signers next door) with
 * the parsed keys cached. A signature (private-key exponentiation, ~1 ms) is made on the thread
 * pool (the callback form), never on the main thread: done synchronously, the three gateway
 * queries of a check held the event loop for milliseconds and checks/s fell by a fifth on two
 * cores (profile of `npm run bench`). A verification (public exponent, tens of microseconds) is
 * cheaper inline than a thread-pool hop. Same bytes either way (PKCS#1 v1.5 is deterministic).
 */
import { createPrivateKey, createPublicKey, sign as rsaSign, verify as rsaVerify, type KeyObject } from 'node:crypto';

// parsing a key is ASN.1 work every call; gateways sign/verify with the same few keys all day.
// Bounded so a misconfiguration that mints keys dynamically cannot grow memory forever. Keyed by
// the key material exactly as the caller holds it (one map per use): that string is the same
// object call after call, so V8 hashes it once; a key built per call (PEM armour, a prefix) was
// hashed anew every time, ~20 us of a signature's 25 us on the main thread.
const MAX_CACHED_KEYS = 64;
const keyCaches = { sign: new Map<string, KeyObject>(), verify: new Map<string, KeyObject>() };

/**
 * Wraps bare base64 key material (how EPay/Alipay admin panels hand keys out) in PEM armour.
 * A value that already is PEM is returned unchanged.
 * @example pemFromBase64('MIIBIjANBg...', 'PUBLIC KEY')
 */
export function pemFromBase64(b64: string, kind: 'PRIVATE KEY' | 'PUBLIC KEY'): string {
  if (b64.includes('-----BEGIN')) return b64;
  const body = b64.replace(/\s+/g, '');
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${kind}-----\n${lines.join('\n')}\n-----END ${kind}-----\n`;
}

function derFromPem(pem: string): { der: Uint8Array; label: string } {
  const match = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
  if (!match) throw new Error('not a PEM block');
  const label = match[1] ?? '';
  return { der: base64ToBytes((match[2] ?? '').replace(/\s+/g, '')), label };
}

function importKey(material: string, usage: 'sign' | 'verify'): KeyObject {
  const cache = keyCaches[usage];
  const cached = cache.get(material);
  if (cached) return cached;
  const { der, label } = derFromPem(pemFromBase64(material, usage === 'sign' ? 'PRIVATE KEY' : 'PUBLIC KEY'));
  if (label === 'RSA PRIVATE KEY' || label === 'RSA PUBLIC KEY') {
    // PKCS#1 is what some admin panels export; we read PKCS#8 / SPKI only (as Web Crypto did).
    throw new Error(`${label} (PKCS#1) is not supported: convert to PKCS#8 / SPKI`);
  }
  const key = usage === 'sign'
    ? createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
    : createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  // an EC or RSA-PSS key would sign something else under the same call: only RSA, as before
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`not an RSA key (${key.asymmetricKeyType})`);
  // a failed import is not cached (the caller may fix the config and retry)
  if (cache.size >= MAX_CACHED_KEYS) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(material, key);
  return key;
}

/** SHA256withRSA over the UTF-8 bytes of `data`; returns standard base64. Accepts PEM or bare base64 PKCS#8. */
export async function signSha256WithRsa(privateKeyPem: string, data: string): Promise<string> {
  const key = importKey(privateKeyPem, 'sign');
  return new Promise((resolve, reject) => {
    rsaSign('sha256', Buffer.from(data, 'utf8'), key, (err, sig) => (err ? reject(err) : resolve(sig.toString('base64'))));
  });
}

/**
 * Verifies a base64 SHA256withRSA signature (PEM or bare base64 SPKI key). Never throws: a
 * malformed signature or an unusable key both mean "not verified", which callers already treat
 * as an untrusted answer rather than as unpaid.
 */
export async function verifySha256WithRsa(
  publicKeyPem: string,
  data: string,
  signatureB64: string,
): Promise<boolean> {
  if (typeof signatureB64 !== 'string' || signatureB64.length === 0) return false;
  let key: KeyObject;
  try {
    key = importKey(publicKeyPem, 'verify');
  } catch {
    return false;
  }
  const normalised = signatureB64.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(normalised)) return false;
  try {
    // the pattern above admits only base64, which Buffer decodes without a char-by-char copy
    return rsaVerify('sha256', Buffer.from(data, 'utf8'), key, Buffer.from(normalised, 'base64'));
  } catch {
    return false;
  }
}

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

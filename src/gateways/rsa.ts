/**
 * RSA (PKCS#1 v1.5, SHA-256) sign/verify over Web Crypto, shared by every gateway: Alipay RSA2,
 * WeChat Pay v3 and EPay V2 all use SHA256withRSA. Web Crypto keeps this portable to Workers.
 */

const subtle = globalThis.crypto.subtle;
const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

// importKey parses ASN.1 every call; gateways sign/verify with the same few keys all day.
// Bounded so a misconfiguration that mints keys dynamically cannot grow memory forever.
const MAX_CACHED_KEYS = 64;
const keyCache = new Map<string, Promise<CryptoKey>>();

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

function importKey(pem: string, usage: 'sign' | 'verify'): Promise<CryptoKey> {
  const cacheKey = `${usage}\n${pem}`;
  const cached = keyCache.get(cacheKey);
  if (cached) return cached;
  const pending = (async () => {
    const { der, label } = derFromPem(pem);
    if (label === 'RSA PRIVATE KEY' || label === 'RSA PUBLIC KEY') {
      // PKCS#1 is what some admin panels export; Web Crypto only reads PKCS#8 / SPKI.
      throw new Error(`${label} (PKCS#1) is not supported: convert to PKCS#8 / SPKI`);
    }
    const format = usage === 'sign' ? 'pkcs8' : 'spki';
    return subtle.importKey(format, der as BufferSource, ALGORITHM, false, [usage]);
  })();
  // A failed import must not poison the cache (the caller may fix the config and retry).
  pending.catch(() => keyCache.delete(cacheKey));
  if (keyCache.size >= MAX_CACHED_KEYS) {
    const oldest = keyCache.keys().next().value;
    if (oldest !== undefined) keyCache.delete(oldest);
  }
  keyCache.set(cacheKey, pending);
  return pending;
}

/** SHA256withRSA over the UTF-8 bytes of `data`; returns standard base64. Accepts PEM or bare base64 PKCS#8. */
export async function signSha256WithRsa(privateKeyPem: string, data: string): Promise<string> {
  const key = await importKey(pemFromBase64(privateKeyPem, 'PRIVATE KEY'), 'sign');
  const sig = await subtle.sign(ALGORITHM, key, new TextEncoder().encode(data));
  return bytesToBase64(new Uint8Array(sig));
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
  let key: CryptoKey;
  try {
    key = await importKey(pemFromBase64(publicKeyPem, 'PUBLIC KEY'), 'verify');
  } catch {
    return false;
  }
  const normalised = signatureB64.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(normalised)) return false;
  let sig: Uint8Array;
  try {
    sig = base64ToBytes(normalised);
  } catch {
    return false;
  }
  try {
    return await subtle.verify(ALGORITHM, key, sig as BufferSource, new TextEncoder().encode(data));
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

function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

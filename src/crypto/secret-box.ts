/**
 * Card-key secrets at rest: AES-256-GCM through Web Crypto (runs on Node and Workers alike).
 * One master key from configuration; sub-keys are derived with HKDF so that encryption and the
 * keyed hashes (used for uniqueness of card secrets and for query secrets) never share a key.
 */
const enc = new TextEncoder();
const dec = new TextDecoder();

export interface SecretBox {
  /** base64(iv || ciphertext+tag) */
  encrypt(plain: string): Promise<string>;
  decrypt(sealed: string): Promise<string>;
  /** keyed hash (HMAC-SHA256, hex) of a card secret: finds the same key anywhere without decrypting */
  keyHash(secret: string): Promise<string>;
  /** keyed hash of a buyer's query secret (查询密码), bound to the order number */
  querySecretHash(orderNo: string, secret: string): Promise<string>;
  /** keyed hash of an agent token */
  tokenHash(token: string): Promise<string>;
}

export async function createSecretBox(masterKeyB64: string): Promise<SecretBox> {
  const raw = Uint8Array.from(Buffer.from(masterKeyB64, 'base64'));
  if (raw.length !== 32) throw new Error('CARD_KEY_SECRET must be 32 bytes, base64-encoded');
  const subtle = globalThis.crypto.subtle;
  const master = await subtle.importKey('raw', raw, 'HKDF', false, ['deriveKey']);
  const derive = (info: string, alg: AesKeyGenParams | HmacImportParams, usages: KeyUsage[]) =>
    subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info: enc.encode(info) }, master, alg, false, usages);
  const aes = await derive('order-doctor/aes-gcm/v1', { name: 'AES-GCM', length: 256 }, ['encrypt', 'decrypt']);
  const hmac = await derive('order-doctor/hmac/v1', { name: 'HMAC', hash: 'SHA-256', length: 256 }, ['sign']);
  const mac = async (s: string) => Buffer.from(await subtle.sign('HMAC', hmac, enc.encode(s))).toString('hex');

  return {
    async encrypt(plain) {
      const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
      const ct = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv }, aes, enc.encode(plain)));
      const out = new Uint8Array(iv.length + ct.length);
      out.set(iv);
      out.set(ct, iv.length);
      return Buffer.from(out).toString('base64');
    },
    async decrypt(sealed) {
      const bytes = Uint8Array.from(Buffer.from(sealed, 'base64'));
      const pt = await subtle.decrypt({ name: 'AES-GCM', iv: bytes.subarray(0, 12) }, aes, bytes.subarray(12));
      return dec.decode(pt);
    },
    keyHash: (secret) => mac(`card-key:${secret}`),
    querySecretHash: (orderNo, secret) => mac(`query-secret:${orderNo}:${secret}`),
    tokenHash: (token) => mac(`agent-token:${token}`),
  };
}

/** Constant-time comparison of two hex digests (timing does not reveal how much matched). */
export function digestsEqual(a: string, b: string): boolean {
  const len = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < len; i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

export function newMasterKey(): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(32))).toString('base64');
}

/** Shows the shape of a card key without revealing it: `S100-****-**01`. */
export function maskSecret(secret: string): string {
  if (secret.length <= 4) return '*'.repeat(secret.length);
  const tail = secret.slice(-2);
  return secret.slice(0, Math.min(4, Math.floor(secret.length / 3))) + secret.slice(Math.min(4, Math.floor(secret.length / 3)), -2).replace(/[^-\s]/g, '*') + tail;
}

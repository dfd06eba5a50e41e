/**
 * Card-key secrets at rest: AES-256-GCM through Web Crypto (runs on Node and Workers alike).
 * Sub-keys are derived from each master key with HKDF, so that encryption, key ids and the keyed
 * hashes never share a key.
 *
 * Master keys rotate (`order-doctor keys rotate`, src/crypto/rotate.ts): the current key
 * (CARD_KEY_SECRET) seals every new value, older keys (CARD_KEY_SECRETS_OLD) still open theirs. A
 * sealed value names the key that sealed it, `v2:<key id>:<base64(iv || ciphertext+tag)>`; a value
 * from before key ids is the bare base64 and is opened by trying each configured key (GCM's tag
 * tells the right one). A key id is 8 hex of an HKDF output of its key: it names the key, never
 * reveals it.
 *
 * The keyed hashes (card secrets' uniqueness, buyers' query secrets, agent tokens, the page's
 * session key) are made with a key of their own that never changes (CARD_KEY_HASH_SECRET, by
 * default CARD_KEY_SECRET): stored hashes cannot be re-made on rotation, since the query secrets and
 * tokens behind them are never stored, so rotating the encryption key must leave them alone.
 */
import { createHmac, createSecretKey, hkdfSync } from 'node:crypto';

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface SecretBox {
  /** seals under the current key: `v2:<keyId>:` + base64(iv || ciphertext+tag) */
  encrypt(plain: string): Promise<string>;
  /** opens a value sealed under any configured key (with a key id, or from before key ids); throws UnopenableError */
  decrypt(sealed: string): Promise<string>;
  /** the key id new values are sealed under */
  readonly keyId: string;
  /** the key ids this box opens: the current one first */
  readonly keyIds: readonly string[];
  /** keyed hash (HMAC-SHA256, hex) of a card secret: finds the same key anywhere without decrypting */
  keyHash(secret: string): Promise<string>;
  /** keyed hash of a buyer's query secret (查询密码), bound to the order number */
  querySecretHash(orderNo: string, secret: string): Promise<string>;
  /** keyed hash of an agent token */
  tokenHash(token: string): Promise<string>;
}

/** The master keys, each base64 of 32 bytes. */
export interface MasterKeys {
  /** seals every new value (CARD_KEY_SECRET) */
  current: string;
  /** still opened, never used to seal (CARD_KEY_SECRETS_OLD) */
  old?: readonly string[];
  /** makes the keyed hashes and never changes (CARD_KEY_HASH_SECRET); default: `current` */
  hash?: string;
}

/** A sealed value no configured key opens (or not a sealed value at all). Never carries the value. */
export class UnopenableError extends Error {
  constructor(
    message: string,
    /** unknown_key: names a key id not configured; damaged: its key does not open it; no_key: from before key ids, no key opens it */
    readonly kind: 'unknown_key' | 'damaged' | 'no_key' | 'not_sealed',
    /** the key id the value names; null: from before key ids, or unreadable */
    readonly keyId: string | null,
  ) {
    super(message);
  }
}

const SEALED_V2 = /^v2:([0-9a-f]{8}):([A-Za-z0-9+/]+={0,2})$/;

/** The key id a sealed value names; null for a value sealed before key ids (bare base64). */
export function sealedKeyId(sealed: string): string | null {
  return SEALED_V2.exec(sealed)?.[1] ?? null;
}

/** The prefix of every value sealed under `keyId` (what `keys rotate` looks for in SQL). */
export function sealedPrefix(keyId: string): string {
  return `v2:${keyId}:`;
}

const subtle = () => globalThis.crypto.subtle;
const hkdf = (info: string) => ({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info: enc.encode(info) });

function rawKey(b64: string, name: string): Uint8Array<ArrayBuffer> {
  const raw = Uint8Array.from(Buffer.from(b64, 'base64'));
  if (raw.length !== 32) throw new Error(`${name} must be 32 bytes, base64-encoded`);
  return raw;
}

async function hkdfKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return subtle().importKey('raw', raw, 'HKDF', false, ['deriveKey', 'deriveBits']);
}

/** The key id of a master key (base64 of 32 bytes): 8 hex of its own HKDF output. */
export async function keyIdOf(masterKeyB64: string): Promise<string> {
  return keyIdFrom(await hkdfKey(rawKey(masterKeyB64, 'a card-key master key')));
}

async function keyIdFrom(master: CryptoKey): Promise<string> {
  return Buffer.from(await subtle().deriveBits(hkdf('order-doctor/key-id/v1'), master, 32)).toString('hex');
}

interface SealingKey { id: string; aes: CryptoKey }

async function sealingKey(raw: Uint8Array<ArrayBuffer>): Promise<SealingKey> {
  const master = await hkdfKey(raw);
  const aes = await subtle().deriveKey(hkdf('order-doctor/aes-gcm/v1'), master, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  return { id: await keyIdFrom(master), aes };
}

export async function createSecretBox(keys: string | MasterKeys): Promise<SecretBox> {
  const { current, old = [], hash }: MasterKeys = typeof keys === 'string' ? { current: keys } : keys;
  const sealing: SealingKey[] = [];
  const seen = new Map<string, string>();
  for (const [b64, name] of [[current, 'CARD_KEY_SECRET'], ...old.map((o) => [o, 'CARD_KEY_SECRETS_OLD: each key'] as const)] as const) {
    const raw = rawKey(b64, name);
    const key = await sealingKey(raw);
    const hex = Buffer.from(raw).toString('hex');
    const known = seen.get(key.id);
    // the same key listed twice (or the current one among the old): one entry
    if (known === hex) continue;
    // two keys whose ids collide (1 in 4 billion) could not be told apart by their values' key id
    if (known) throw new Error(`CARD_KEY_SECRETS_OLD: two different keys share key id ${key.id}; generate a new CARD_KEY_SECRET`);
    seen.set(key.id, hex);
    sealing.push(key);
  }
  const byId = new Map(sealing.map((k) => [k.id, k]));
  const now = sealing[0]!;

  // The keyed hashes run on every customer check (the query secret), so they use node:crypto's
  // synchronous HMAC rather than a Web Crypto job (~10x the CPU for a 100-byte input on Node 20).
  // The key is the same one Web Crypto's deriveKey(HKDF -> HMAC, 256 bits) gave: the first 32
  // bytes of HKDF-SHA256 with the same salt and info (test/crypto/secret-box.test.ts pins a digest).
  const hmacKey = createSecretKey(Buffer.from(hkdfSync('sha256', rawKey(hash ?? current, 'CARD_KEY_HASH_SECRET'), new Uint8Array(32), 'order-doctor/hmac/v1', 32)));
  const mac = async (s: string) => createHmac('sha256', hmacKey).update(s, 'utf8').digest('hex');

  const open = async (key: SealingKey, bytes: Uint8Array<ArrayBuffer>) =>
    dec.decode(await subtle().decrypt({ name: 'AES-GCM', iv: bytes.subarray(0, 12) }, key.aes, bytes.subarray(12)));

  return {
    keyId: now.id,
    keyIds: sealing.map((k) => k.id),
    async encrypt(plain) {
      const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
      const ct = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv }, now.aes, enc.encode(plain)));
      const out = new Uint8Array(iv.length + ct.length);
      out.set(iv);
      out.set(ct, iv.length);
      return sealedPrefix(now.id) + Buffer.from(out).toString('base64');
    },
    async decrypt(sealed) {
      const v2 = SEALED_V2.exec(sealed);
      if (v2) {
        const key = byId.get(v2[1]!);
        if (!key) throw new UnopenableError(`is sealed under key id ${v2[1]}, which is not configured`, 'unknown_key', v2[1]!);
        try {
          return await open(key, Buffer.from(v2[2]!, 'base64'));
        } catch {
          throw new UnopenableError(`does not open under its key id ${v2[1]} (damaged)`, 'damaged', v2[1]!);
        }
      }
      // before key ids: bare base64, under whichever key was configured then
      const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(sealed) ? Uint8Array.from(Buffer.from(sealed, 'base64')) : null;
      if (bytes && bytes.length > 12 + 16) {
        for (const key of sealing) {
          try {
            return await open(key, bytes);
          } catch {
            // the GCM tag says: not this key
          }
        }
      }
      if (!bytes) throw new UnopenableError('is not a sealed value', 'not_sealed', null);
      throw new UnopenableError('opens with none of the configured keys (sealed before key ids)', 'no_key', null);
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

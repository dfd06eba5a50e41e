import { createCipheriv, createDecipheriv } from 'node:crypto';

/**
 * Fulu card fields (`card_number`, `card_pwd`) are base64 of AES-256-ECB/PKCS#7 ciphertext keyed
 * with the 32 ASCII bytes of the AppSecret ("常见问题 4.卡密解密说明"). ECB is the supplier's
 * choice, not ours; the transport is what protects the card in transit.
 */

function keyOf(appSecret: string): Buffer {
  const key = Buffer.from(appSecret, 'utf8');
  if (key.length !== 32) throw new Error('Fulu AppSecret must be 32 ASCII characters (the AES-256 key)');
  return key;
}

/** Throws when the text is not a ciphertext under this AppSecret (bad padding / length). */
export function decryptCardField(base64: string, appSecret: string): string {
  const decipher = createDecipheriv('aes-256-ecb', keyOf(appSecret), null);
  const plain = Buffer.concat([decipher.update(Buffer.from(base64, 'base64')), decipher.final()]);
  // The official PHP sample trims the plaintext; some cards are padded with spaces upstream.
  return plain.toString('utf8').trim();
}

export function encryptCardField(plain: string, appSecret: string): string {
  const cipher = createCipheriv('aes-256-ecb', keyOf(appSecret), null);
  return Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]).toString('base64');
}

/** One card as it arrives, after PascalCase names (`CardPwd`) were folded to snake_case. */
export interface FuluCard {
  card_number?: string | null;
  card_pwd?: string | null;
  card_type?: number | string | null;
  card_deadline?: string | null;
}

/**
 * The secret a buyer needs is the card password. A card number alone is an identifier, but some
 * products (gift codes) ship only a number; then the number is the key. Throws when the card has
 * neither, or when it does not decrypt.
 */
export function cardSecret(card: FuluCard, appSecret: string): string {
  const field = card.card_pwd || card.card_number;
  if (!field) throw new Error('card has neither card_pwd nor card_number');
  return decryptCardField(field, appSecret);
}

/**
 * The keyed hashes' key must be the one the database's hashes were made with: with another, every
 * buyer's query secret and every agent token stops matching, and a card key already held would no
 * longer be recognised as such. The likely way there is a rotation that changed CARD_KEY_SECRET
 * without pinning CARD_KEY_HASH_SECRET to the first key, so services refuse to start then, naming
 * the setting, instead of failing every check afterwards.
 *
 * The proof is a card key of the database: its stored hash against the hash of its decrypted
 * secret. A database without one (new, or a connected shop's, whose keys live in the shop) or whose
 * sample no configured key opens (`keys rotate` names those) has nothing to prove it with, nor has
 * one that cannot be reached at start.
 */
import { ConfigError } from '../config.ts';
import type { Database } from '../db/client.ts';
import { issuedKeys, stockKeys } from '../db/schema.ts';
import { digestsEqual, type SecretBox } from './secret-box.ts';

export async function checkHashKey(database: Database, box: SecretBox, hashKeyNamed: boolean): Promise<void> {
  for (const t of [stockKeys, issuedKeys]) {
    // a database that cannot answer now proves nothing either way: the requests will say 503
    const rows = await database.db.select({ sealed: t.secretEnc, hash: t.secretHash }).from(t).limit(1).catch(() => null);
    if (rows === null) return;
    const [row] = rows;
    if (!row) continue;
    let secret: string;
    try {
      secret = await box.decrypt(row.sealed);
    } catch {
      return;
    }
    if (digestsEqual(await box.keyHash(secret), row.hash)) return;
    throw new ConfigError(
      `CARD_KEY_HASH_SECRET: the hashes in the database were made with another key than ${hashKeyNamed ? 'this one' : 'CARD_KEY_SECRET (CARD_KEY_HASH_SECRET is not set)'}; ` +
        'set it to the first CARD_KEY_SECRET, which made them (it never changes, whatever key encrypts)',
    );
  }
}

/**
 * The sealed-value format and the master keys: values name their key id, values from before key
 * ids (written by the previous implementation) still open, older keys open but never seal, and the
 * keyed hashes depend on the hash key alone, byte for byte what they were before key rotation.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { createSecretBox, keyIdOf, newMasterKey, sealedKeyId, UnopenableError } from '../../src/crypto/secret-box.ts';

/** Written by the implementation before key ids (git history: src/crypto/secret-box.ts), key = 32 bytes of 7. */
const BEFORE_KEY_IDS = {
  key: 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=',
  sealed: 'n7hCZNNtayX19bKRJ7IfIv8mJPYQ1yvsjWWP4dTjBaoJzX4BKGQIle8KjL4wEHM=',
  plain: 'S100-OLD1-7QJ2-PSDC',
  keyHash: '09f085b1ffc13a744030de540604685861b8d729fc4b72cdf009b84f5f29649c',
  querySecretHash: 'f839fca64c8432d4dce6026824ed1d0f8d3f5aee943a93d841a4a5398a7cf7c3', // K2026112200011 / 767866
  tokenHash: 'e2ed2536bf6784ee95e0c65473873dfe7144df001c2be51e9a00959ca8759750', // od_example
};

describe('sealed values', () => {
  it('name their key id: v2:<8 hex>:<base64>, the id derived from the key and not the key', async () => {
    const key = newMasterKey();
    const box = await createSecretBox(key);
    const sealed = await box.encrypt('S100-PA01-7QJ2-PSDC');
    expect(sealed).toMatch(/^v2:[0-9a-f]{8}:[A-Za-z0-9+/]+={0,2}$/);
    expect(sealedKeyId(sealed)).toBe(box.keyId);
    expect(box.keyId).toBe(await keyIdOf(key));
    expect(Buffer.from(key, 'base64').toString('hex')).not.toContain(box.keyId);
    expect(await box.decrypt(sealed)).toBe('S100-PA01-7QJ2-PSDC');
    // fresh IV each time
    expect(await box.encrypt('S100-PA01-7QJ2-PSDC')).not.toBe(sealed);
  });

  it('from before key ids still open, and hashes are byte for byte the previous ones', async () => {
    const box = await createSecretBox(BEFORE_KEY_IDS.key);
    expect(sealedKeyId(BEFORE_KEY_IDS.sealed)).toBeNull();
    expect(await box.decrypt(BEFORE_KEY_IDS.sealed)).toBe(BEFORE_KEY_IDS.plain);
    expect(await box.keyHash(BEFORE_KEY_IDS.plain)).toBe(BEFORE_KEY_IDS.keyHash);
    expect(await box.querySecretHash('K2026112200011', '767866')).toBe(BEFORE_KEY_IDS.querySecretHash);
    expect(await box.tokenHash('od_example')).toBe(BEFORE_KEY_IDS.tokenHash);
  });

  it('older keys open (with or without key id) but never seal; the hashes follow the hash key only', async () => {
    const a = BEFORE_KEY_IDS.key;
    const b = newMasterKey();
    const underA = await (await createSecretBox(a)).encrypt('S100-PA02-EJDX-CA96');
    const box = await createSecretBox({ current: b, old: [a], hash: a });
    expect(box.keyId).toBe(await keyIdOf(b));
    expect(box.keyIds).toEqual([await keyIdOf(b), await keyIdOf(a)]);
    expect(await box.decrypt(underA)).toBe('S100-PA02-EJDX-CA96');
    expect(await box.decrypt(BEFORE_KEY_IDS.sealed)).toBe(BEFORE_KEY_IDS.plain);
    expect(sealedKeyId(await box.encrypt('x'))).toBe(await keyIdOf(b));
    expect(await box.keyHash(BEFORE_KEY_IDS.plain)).toBe(BEFORE_KEY_IDS.keyHash);
    expect(await box.tokenHash('od_example')).toBe(BEFORE_KEY_IDS.tokenHash);
    // without the hash key named, the hashes are CARD_KEY_SECRET's: different ones
    expect(await (await createSecretBox({ current: b, old: [a] })).keyHash(BEFORE_KEY_IDS.plain)).not.toBe(BEFORE_KEY_IDS.keyHash);
  });

  it('the same key listed twice is one key', async () => {
    const a = newMasterKey();
    const box = await createSecretBox({ current: a, old: [a, a] });
    expect(box.keyIds).toEqual([box.keyId]);
  });

  it('a value under a key not configured, damaged, or not sealed at all: UnopenableError, never the value in it', async () => {
    const other = await createSecretBox(newMasterKey());
    const box = await createSecretBox(newMasterKey());
    const foreign = await other.encrypt('S100-SECRET-KEY');
    const cases: [string, UnopenableError['kind']][] = [
      [foreign, 'unknown_key'],
      [`v2:${box.keyId}:${foreign.slice(12)}`, 'damaged'],
      [foreign.slice(12), 'no_key'],
      ['not sealed at all', 'not_sealed'],
    ];
    for (const [sealed, kind] of cases) {
      const err = await box.decrypt(sealed).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(UnopenableError);
      expect((err as UnopenableError).kind).toBe(kind);
      expect((err as Error).message).not.toContain('S100');
      expect((err as Error).message).not.toContain(sealed.slice(12, 30));
    }
    expect(((await box.decrypt(foreign).catch((e: unknown) => e)) as UnopenableError).keyId).toBe(other.keyId);
  });
});

describe('configuration of the master keys', () => {
  const a = newMasterKey();
  const b = newMasterKey();

  it('CARD_KEY_SECRETS_OLD: comma-separated, blanks ignored; CARD_KEY_HASH_SECRET alongside', () => {
    const c = loadConfig({ CARD_KEY_SECRET: b, CARD_KEY_SECRETS_OLD: ` ${a}, ${newMasterKey()},`, CARD_KEY_HASH_SECRET: a });
    expect(c.cardKeySecretsOld).toHaveLength(2);
    expect(c.cardKeySecretsOld[0]).toBe(a);
    expect(c.cardKeyHashSecret).toBe(a);
    expect(loadConfig({ CARD_KEY_SECRET: b }).cardKeySecretsOld).toEqual([]);
  });

  it.each([
    [{ CARD_KEY_SECRET: b, CARD_KEY_SECRETS_OLD: `${a},short`, CARD_KEY_HASH_SECRET: a }, /^CARD_KEY_SECRETS_OLD: key 2: expected base64 of 32 bytes$/],
    [{ CARD_KEY_SECRET: b, CARD_KEY_SECRETS_OLD: a }, /^CARD_KEY_HASH_SECRET: required when CARD_KEY_SECRETS_OLD is set/],
    [{ CARD_KEY_SECRET: b, CARD_KEY_HASH_SECRET: 'c2hvcnQ=' }, /^CARD_KEY_HASH_SECRET: expected base64 of 32 bytes$/],
    [{ CARD_KEY_SECRETS_OLD: a, CARD_KEY_HASH_SECRET: a }, /^CARD_KEY_SECRET: required when CARD_KEY_SECRETS_OLD is set$/],
  ])('fails closed naming the variable: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});

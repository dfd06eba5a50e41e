/**
 * A Worker's bindings become the same configuration as Node's environment, and what a Worker
 * cannot do without (a database, the master key) or cannot run (the MySQL shops) stops it with
 * the setting's name, before anything opens.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { newMasterKey } from '../../src/crypto/secret-box.ts';
import { configEnv } from '../../src/worker/env.ts';

const HYPERDRIVE = { connectionString: 'postgres://user:pw@hyperdrive.local:5432/od' };
const CARD_KEY_SECRET = newMasterKey();

describe('worker env → config', () => {
  it('takes DATABASE_URL from the Hyperdrive binding and the string vars and secrets as they are', () => {
    const config = loadConfig(configEnv({ HYPERDRIVE, CARD_KEY_SECRET, SWEEP_RATE_LIMIT: '7', SOME_BINDING: { fetch() {} } }));
    expect(config.databaseUrl).toBe(HYPERDRIVE.connectionString);
    expect(config.cardKeySecret).toBe(CARD_KEY_SECRET);
    expect(config.sweepRateLimit).toBe(7);
  });

  it('takes a dujiao-next shop\'s database from its own Hyperdrive binding', () => {
    const SHOP_HYPERDRIVE = { connectionString: 'postgres://shop:pw@hyperdrive.local:5432/dujiao' };
    const config = loadConfig(configEnv({ HYPERDRIVE, SHOP_HYPERDRIVE, CARD_KEY_SECRET, SHOP: 'dujiao-next' }));
    expect(config.shop).toMatchObject({ kind: 'dujiao-next', databaseUrl: SHOP_HYPERDRIVE.connectionString });
  });

  it('refuses to start without the Hyperdrive binding or the master key (no disk to fall back to)', () => {
    expect(() => configEnv({ CARD_KEY_SECRET })).toThrow(new ConfigError('HYPERDRIVE: the Hyperdrive binding is missing (wrangler.toml [[hyperdrive]])'));
    expect(() => configEnv({ HYPERDRIVE })).toThrow(/^CARD_KEY_SECRET: required on Workers/);
  });

  it('refuses the MySQL shops, whose connector is Node only', () => {
    for (const SHOP of ['dujiaoka', 'acg-faka']) {
      expect(() => configEnv({ HYPERDRIVE, CARD_KEY_SECRET, SHOP, SHOP_DATABASE_URL: 'mysql://u:p@h:3306/shop' })).toThrow(`SHOP: ${SHOP} runs on Node only`);
    }
  });

  it('fails closed on a bad value, as on Node', () => {
    expect(() => loadConfig(configEnv({ HYPERDRIVE, CARD_KEY_SECRET, SWEEP_RATE_LIMIT: 'lots' }))).toThrow(ConfigError);
  });
});

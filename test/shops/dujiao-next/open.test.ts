/**
 * Opening a dujiao-next shop at start: a database that is not dujiao-next's, or one that cannot be
 * reached, stops start-up with one line that names what is wrong (never the URL's password); a
 * real one opens, with the server named in the start notes.
 */
import { describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { loadConfig } from '../../../src/config.ts';
import { createServices } from '../../../src/services.ts';
import { newMasterKey } from '../../../src/crypto/secret-box.ts';
import { openDatabase } from '../../../src/db/client.ts';
import { migrateDatabase } from '../../../src/db/migrate.ts';
import { POSTGRES_URL } from '../../support/requires.ts';
import { freshShop, PG } from './support.ts';

const config = (url: string) => loadConfig({ SHOP: 'dujiao-next', SHOP_DATABASE_URL: url, CARD_KEY_SECRET: newMasterKey(), SWEEP_INTERVAL: 'off' });

describe.skipIf(!PG)('dujiao-next: opening the shop', () => {
  it('a database without dujiao-next\'s tables: one line naming what is missing', async () => {
    const name = `od_dn_none_${Date.now().toString(36)}`;
    const admin = postgres(POSTGRES_URL!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const u = new URL(POSTGRES_URL!);
    u.pathname = `/${name}`;
    u.password = 'S3cretPw';
    const database = await openDatabase({});
    await migrateDatabase(database);
    try {
      const err = await createServices(config(u.toString()), { database, migrated: true }).then(() => null, (e: Error) => e);
      expect(err?.message).toMatch(new RegExp(`^the shop's database ${name} is not a dujiao-next database as expected: no table orders`));
      expect(err?.message).not.toContain('S3cretPw');
    } finally {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });

  it('an unreachable server: one line with host and port, no password', async () => {
    const database = await openDatabase({});
    await migrateDatabase(database);
    try {
      const err = await createServices(config('postgres://od:S3cretPw@127.0.0.1:1/shop'), { database, migrated: true }).then(() => null, (e: Error) => e);
      expect(err?.message).toMatch(/^cannot reach the shop's database at postgres:\/\/127\.0\.0\.1:1\/shop: /);
      expect(err?.message).not.toContain('S3cretPw');
    } finally {
      await database.close();
    }
  });

  it('a dujiao-next database opens, its server in the start notes', async () => {
    const shop = await freshShop();
    const database = await openDatabase({});
    await migrateDatabase(database);
    try {
      const svc = await createServices(config(shop.url), { database, migrated: true });
      expect(svc.shop.kind).toBe('dujiao-next');
      expect(svc.shop.notes).toEqual([expect.stringMatching(/^shop: dujiao-next on PostgreSQL \d+/)]);
      expect(await svc.shop.find('NO-SUCH-ORDER')).toBeUndefined();
      expect(await svc.shop.find('')).toBeUndefined();
      await svc.close();
    } finally {
      await database.close();
      await shop.drop();
    }
  });
});

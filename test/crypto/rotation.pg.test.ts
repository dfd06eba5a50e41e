/**
 * Key rotation next to other work on a real Postgres: two rotators (separate pools) share the rows
 * without re-sealing any twice, and rows another transaction holds are rotated around, waited for
 * only at the end, so nothing is left under the old key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { keyIdOf, newMasterKey } from '../../src/crypto/secret-box.ts';
import { rotateKeys } from '../../src/crypto/rotate.ts';
import { createServices, type Services } from '../../src/services.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { servicesWithWorld } from '../support/services.ts';
import { urlOf } from '../jobs/support.ts';

const PG = await requires('postgres');
const N = 300;

function world() {
  return {
    now: '2026-11-22T10:00:00+08:00',
    products: [{ sku: 'STEAM-100', title: 'Steam 100', priceCents: 10000, fulfilment: 'stock', deliveryWindowMinutes: 10 }],
    stock: [{ sku: 'STEAM-100', keys: Array.from({ length: N }, (_, i) => `S100-PG${String(i).padStart(4, '0')}`) }],
    orders: [],
    gateway: {},
  };
}

describe.skipIf(!PG)('key rotation on real Postgres', () => {
  let tdb: TestDatabase;
  let url: string;
  let second: Database;
  let loader: Services;
  const svcs: Services[] = [];
  let A = newMasterKey();
  let B = newMasterKey();
  /** the hashes' key: the first CARD_KEY_SECRET, whatever key encrypts later */
  const HASH = A;

  async function rotator(database: Database): Promise<Services> {
    const config = loadConfig({ CARD_KEY_SECRET: B, CARD_KEY_SECRETS_OLD: A, CARD_KEY_HASH_SECRET: HASH, RATE_LIMITS: 'off' });
    const svc = await createServices(config, { database, migrated: true });
    svcs.push(svc);
    return svc;
  }

  const underB = async () => {
    const [row] = await tdb.database.rows<{ n: string }>(sql`select count(*)::text as n from stock_keys where secret_enc like ${`v2:${await keyIdOf(B)}:%`}`);
    return Number(row!.n);
  };

  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 10);
    url = await urlOf(tdb.database, POSTGRES_URL!);
    second = await openDatabase({ url, maxConnections: 10 });
  });
  afterAll(async () => {
    for (const s of svcs) await s.close();
    await loader?.close();
    await second?.close();
    await tdb?.drop();
  });

  it('two rotators share the work: every row re-sealed exactly once, none left', async () => {
    loader = await servicesWithWorld(tdb.database, world(), { CARD_KEY_SECRET: A });
    const [a, b] = [await rotator(tdb.database), await rotator(second)];
    const [ra, rb] = await Promise.all([rotateKeys(a, { batchSize: 3 }), rotateKeys(b, { batchSize: 3 })]);
    expect(ra.byTable.stock_keys + rb.byTable.stock_keys).toBe(N);
    // both took a share (each ~half; neither waited for the other's rows)
    expect(Math.min(ra.byTable.stock_keys, rb.byTable.stock_keys)).toBeGreaterThan(N / 10);
    expect(ra.left).toBe(0);
    expect(rb.left).toBe(0);
    expect(await underB()).toBe(N);
  });

  it('rows another transaction holds are rotated around and waited for only at the end', async () => {
    // a second rotation, B to a new key
    A = B;
    B = newMasterKey();
    const svc = await rotator(tdb.database);
    const client = postgres(url, { max: 1, onnotice: () => {} });
    let release!: () => void;
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const held = client.begin(async (tx) => {
      await tx`select id from stock_keys order by id limit 5 for update`;
      locked();
      await new Promise<void>((r) => (release = r));
    });
    await isLocked;
    let done = false;
    const run = rotateKeys(svc, { batchSize: 10 }).then((s) => {
      done = true;
      return s;
    });
    // everything but the five held rows moves while they are held
    const deadline = Date.now() + 20_000;
    while ((await underB()) < N - 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await underB()).toBe(N - 5);
    await new Promise((r) => setTimeout(r, 200));
    expect(done).toBe(false);
    release();
    await held;
    const summary = await run;
    expect(summary).toMatchObject({ left: 0, byTable: { stock_keys: N } });
    expect(await underB()).toBe(N);
    await client.end();
  });
});

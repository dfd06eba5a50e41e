/**
 * Queries through the database handle are prepared once per connection (one round trip each after
 * that), inside transactions too, and JIT is off. Needs the real Postgres: PGlite has no
 * postgres.js underneath.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { products } from '../../src/db/schema.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';

const PG = await requires('postgres');

describe.skipIf(!PG)('prepared statements on postgres.js', () => {
  let tdb: TestDatabase;
  let one: Database; // one connection: every query below shares its session
  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!);
    one = await openDatabase({ url: tdb.url, maxConnections: 1 });
  });
  afterAll(async () => {
    await one?.close();
    await tdb?.drop();
  });

  const preparedCount = async () => {
    const [row] = await one.rows<{ n: number }>(sql`select count(*)::int as n from pg_prepared_statements where statement like '%"products"%'`);
    return Number(row!.n);
  };

  it('a query builder query is prepared once and reused', async () => {
    const before = await preparedCount();
    for (const sku of ['A', 'B', 'C']) await one.db.select().from(products).where(eq(products.sku, sku));
    expect(await preparedCount()).toBe(before + 1);
  });

  it('queries inside a transaction are prepared too', async () => {
    const before = await preparedCount();
    await one.db.transaction(async (tx) => {
      await tx.select({ n: sql<number>`count(*)` }).from(products).where(eq(products.fulfilment, 'stock'));
    });
    expect(await preparedCount()).toBe(before + 1);
  });

  it('runs with JIT off (it cost more CPU compiling our short queries than running them)', async () => {
    const [row] = await one.rows<{ jit: string }>(sql`show jit`);
    expect(row!.jit).toBe('off');
  });
});

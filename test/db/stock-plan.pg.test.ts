/**
 * The stock claim must stay on the available-stock index however much stock has been issued: a plan
 * that walks the primary key (or the heap) from the start reads every issued key on every claim,
 * and a sweep slows down quadratically (seen in the 100k benchmark before this index existed).
 * Planner choices depend on real statistics, so this runs on the real Postgres.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { claimStockQuery } from '../../src/shops/builtin/deliver.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';

const PG = await requires('postgres');

describe.skipIf(!PG)('the stock claim query plan', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 2);
    const { database } = tdb;
    await database.rows(sql`insert into products (sku, title, price_cents, fulfilment, delivery_window_minutes) values ('STEAM-100', 'Steam 100', 10000, 'stock', 10)`);
    // 20 000 keys, the oldest 15 000 already issued: the shape of a shop late in a busy day
    await database.rows(sql`
      insert into stock_keys (sku, secret_enc, secret_hash, status, added_at)
      select 'STEAM-100', 'enc' || i, 'hash' || i, case when i <= 15000 then 'issued' else 'available' end,
             timestamptz '2026-11-22 00:00:00+08' + i * interval '1 second'
        from generate_series(1, 20000) i`);
    await database.rows(sql`vacuum analyze stock_keys`);
  }, 60_000);
  afterAll(async () => tdb?.drop());

  it('claims through the available-stock index, reading a handful of buffers, not the issued keys', async () => {
    const { database } = tdb;
    await database.db.transaction(async (tx) => {
      const plan = await database.rows<{ 'QUERY PLAN': unknown }>(sql`explain (analyze, buffers, format json) ${claimStockQuery('STEAM-100', 2)}`, tx);
      const text = JSON.stringify(plan);
      expect(text).toContain('stock_keys_available_fifo_idx');
      const hits = [...text.matchAll(/"Shared Hit Blocks":(\d+)/g)].map((m) => Number(m[1]));
      expect(Math.max(...hits)).toBeLessThan(100); // walking 15 000 issued keys costs thousands
      tx.rollback();
    }).catch((e: unknown) => {
      if (!(e instanceof Error && /rollback/i.test(e.message))) throw e;
    });
  });
});

/**
 * Test databases: a fresh Postgres database per test file when DATABASE_URL (or TEST_DATABASE_URL)
 * is set, an in-memory PGlite otherwise. Either way migrations are applied once per file.
 */
import postgres from 'postgres';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { POSTGRES_URL } from './requires.ts';

export { POSTGRES_URL };

export interface TestDatabase {
  database: Database;
  /** the database's own URL (real Postgres only) */
  url?: string;
  drop(): Promise<void>;
}

/** A fresh database of its own on the real Postgres server, migrated unless `migrate: false` (what a first deploy meets). */
export async function freshPostgres(url: string, maxConnections = 20, opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `od_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  const database = await openDatabase({ url: u.toString(), maxConnections });
  if (opts.migrate !== false) await migrateDatabase(database);
  return {
    database,
    url: u.toString(),
    async drop() {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** The database for ordinary tests: real Postgres when configured, else embedded PGlite. */
export async function testDatabase(): Promise<TestDatabase> {
  if (POSTGRES_URL) return freshPostgres(POSTGRES_URL);
  const database = await openDatabase({});
  await migrateDatabase(database);
  return { database, drop: () => database.close() };
}

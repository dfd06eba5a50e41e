import { sql } from 'drizzle-orm';
import { fileURLToPath } from 'node:url';
import type { Database } from './client.ts';

// '' on Workers, where a bundled module has no import.meta.url: a Worker never migrates (the
// deploy runs `order-doctor migrate` first), so it needs no folder, only to load this module
export const MIGRATIONS_FOLDER = import.meta.url ? fileURLToPath(new URL('../../migrations', import.meta.url)) : '';

/**
 * Applies migrations/ (drizzle-kit SQL) to the database. On Postgres an advisory lock makes
 * concurrent starters (several sweepers, serve + sweep) wait for each other instead of racing.
 */
export async function migrateDatabase(database: Database): Promise<void> {
  const config = { migrationsFolder: MIGRATIONS_FOLDER };
  if (database.kind === 'pglite') {
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    await migrate(database.db as never, config);
    return;
  }
  const { migrate } = await import('drizzle-orm/postgres-js/migrator');
  await database.exclusive(727001, () => migrate(database.db as never, config));
}

/** Empties every table: a fresh world for the next scenario file, without a new database. */
export async function truncateAll(database: Database): Promise<void> {
  await database.db.execute(sql`
    truncate table issued_keys, stock_keys, orders, products, legacy_orders, migration_ledger, shop_deliveries, mail_outbox,
      diagnoses, ticket_messages, tickets, audit_log, agents, console_sessions, console_applies, sweep_queue, sweep_runs, rate_limits, sandbox_answers, settings,
      push_signatures, webhook_outbox, buyer_limits
    restart identity cascade`);
}

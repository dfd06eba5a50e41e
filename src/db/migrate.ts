import { is, sql } from 'drizzle-orm';
import { PgTransaction, type PgDialect, type PgSession } from 'drizzle-orm/pg-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { queryRows, type Database, type Db, type Tx } from './client.ts';
import { migrationMetas, type MigrationJournal, type MigrationMeta } from './migrations-meta.ts';

// '' on Workers, where a bundled module has no import.meta.url: a Worker applies the migrations
// bundled into it (worker/migrations.ts), never a folder
export const MIGRATIONS_FOLDER = import.meta.url ? fileURLToPath(new URL('../../migrations', import.meta.url)) : '';

/**
 * The one advisory lock every migrator takes, whichever its kind: Node's session lock (below) and a
 * Worker's transaction lock (migrateInLockedTransaction) share Postgres's lock space, so a deploy's
 * `order-doctor migrate` and a Worker's first request never migrate at once either.
 */
export const MIGRATION_LOCK_ID = 727001;

/** A migration that could not be applied: the database is not ready for this code (a Worker answers 503). */
export class MigrationFailed extends Error {
  constructor(cause: unknown) {
    super('the database could not be migrated', { cause });
    this.name = 'MigrationFailed';
  }
}

/** migrations/ (drizzle-kit SQL and its journal) read from disk: Node's source of the migrations. */
export async function folderMigrations(folder = MIGRATIONS_FOLDER): Promise<MigrationMeta[]> {
  const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as MigrationJournal;
  return migrationMetas(journal, (tag) => readFileSync(join(folder, `${tag}.sql`), 'utf8'));
}

/**
 * Applies migrations/ (drizzle-kit SQL) to the database. On Postgres an advisory lock makes
 * concurrent starters (several sweepers, serve + sweep) wait for each other instead of racing.
 */
export async function migrateDatabase(database: Database): Promise<void> {
  const metas = await folderMigrations();
  if (database.kind === 'pglite') {
    await applyMigrations(database.db, metas);
    return;
  }
  await database.exclusive(MIGRATION_LOCK_ID, () => applyMigrations(database.db, metas));
}

/**
 * Applies what `metas` has beyond the database's last migration in ONE transaction that holds the
 * migration lock as a transaction lock (`pg_advisory_xact_lock`), deciding again under the lock:
 * of several isolates starting at once, the first applies each migration and the others find
 * nothing left. A session lock would be unsafe behind a transaction-mode pooler (Hyperdrive): the
 * server session holding it is not ours between statements. Returns how many were applied.
 */
export async function migrateInLockedTransaction(database: Database, metas: MigrationMeta[]): Promise<number> {
  return database.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`);
    const applied = await lastAppliedMillis(tx);
    const pending = metas.filter((m) => m.folderMillis > applied).length;
    if (pending > 0) await applyMigrations(tx, metas);
    return pending;
  });
}

/** The newest applied migration's `created_at` (its journal `when`), 0 for a database never migrated. */
export async function lastAppliedMillis(on: Db | Tx): Promise<number> {
  const [table] = await queryRows<{ present: boolean }>(on, sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`);
  if (!table?.present) return 0;
  const [row] = await queryRows<{ last: string | number | null }>(on, sql`select max(created_at) as last from drizzle.__drizzle_migrations`);
  return Number(row?.last ?? 0);
}

/**
 * drizzle's own migration step, what its `migrate` calls after reading the folder: the dialect
 * applies the metas newer than the last `__drizzle_migrations` row and records each. On a
 * transaction, the dialect's own transaction becomes a savepoint in it.
 */
async function applyMigrations(on: Db | Tx, metas: MigrationMeta[]): Promise<void> {
  const { dialect, session } = on as unknown as { dialect: PgDialect; session: PgSession };
  const within = is(on, PgTransaction)
    ? Object.assign(Object.create(session) as PgSession, { transaction: (fn: (tx: Tx) => Promise<unknown>) => (on as Tx).transaction(fn) })
    : session;
  await dialect.migrate(metas, within, { migrationsFolder: '' });
}

/** Empties every table: a fresh world for the next scenario file, without a new database. */
export async function truncateAll(database: Database): Promise<void> {
  await database.db.execute(sql`
    truncate table issued_keys, stock_keys, orders, products, legacy_orders, migration_ledger, shop_deliveries, mail_outbox,
      diagnoses, ticket_messages, tickets, audit_log, agents, console_sessions, console_applies, sweep_queue, sweep_runs, rate_limits, sandbox_answers, settings,
      push_signatures, webhook_outbox, buyer_limits
    restart identity cascade`);
}

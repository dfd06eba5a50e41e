/**
 * The Worker brings its own database up to date, from the migrations bundled into it: the journal
 * as a JSON module, every migrations/*.sql as a text module (worker/migration-files.ts). Applied by
 * the same code as Node's (db/migrate.ts, db/migrations-meta.ts), so the `__drizzle_migrations`
 * rows are the same whichever runtime wrote them, and each sees the other's work as done.
 */
import journal from '../../migrations/meta/_journal.json' with { type: 'json' };
import type { Database } from '../db/client.ts';
import { isDatabaseFault } from '../db/faults.ts';
import { lastAppliedMillis, migrateInLockedTransaction, MigrationFailed } from '../db/migrate.ts';
import { migrationMetas, type MigrationMeta } from '../db/migrations-meta.ts';
import type { Logger } from '../observability/logger.ts';

/** The newest bundled migration: a database whose last applied one is this (or newer) is up to date. */
const BUNDLED_LAST = Math.max(...journal.entries.map((e) => e.when));

/**
 * Whether this isolate already saw the database up to date. A plain flag rather than a shared
 * promise: a promise would tie every request of the isolate to the I/O of the first one; two
 * requests that both find it false both take the migration lock, and the second finds nothing left.
 */
let upToDate = false;

/**
 * The bundled migrations as drizzle's metas; a journal entry without its SQL stops here, before
 * anything is applied. The SQL modules are imported only when there is something to apply (and so
 * the Worker's code loads in Node too, whose loader has no rule for .sql: test/worker/unavailable.test.ts).
 */
export async function bundledMigrations(): Promise<MigrationMeta[]> {
  const { MIGRATION_SQL } = await import('./migration-files.ts');
  return migrationMetas(journal, (tag) => {
    const text = MIGRATION_SQL[tag];
    if (text === undefined) throw new Error(`migration ${tag}: in the journal but not bundled (src/worker/migration-files.ts)`);
    return text;
  });
}

/**
 * Once per isolate, before the first request or scheduled run uses the database: if its last
 * applied migration is older than the bundle's last, migrate (one transaction under the migration
 * lock). A failure throws MigrationFailed (worker/unavailable.ts: 503; a database that does not
 * answer, its own error: 503 too) and the next request tries again.
 */
export async function ensureMigrated(database: Database, logger: Logger): Promise<void> {
  if (upToDate) return;
  try {
    if ((await lastAppliedMillis(database.db)) < BUNDLED_LAST) {
      const applied = await migrateInLockedTransaction(database, await bundledMigrations());
      if (applied > 0) logger.info({ applied }, 'migrated the database from the bundled migrations');
    }
  } catch (err) {
    // a database that does not answer is that (a 503 the app's onError explains), not a failed migration
    throw isDatabaseFault(err) ? err : new MigrationFailed(err);
  }
  upToDate = true;
}

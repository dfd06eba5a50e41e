/**
 * drizzle's list of migrations (`MigrationMeta[]`) built from the journal and the SQL texts, however
 * they were obtained: Node reads migrations/ from disk (db/migrate.ts), a Worker has them bundled
 * (worker/migrations.ts). Built exactly as drizzle-orm's own `readMigrationFiles` builds it, so the
 * `__drizzle_migrations` rows (hash, created_at) are the same whichever runtime applied them, and
 * either one sees the other's work as done. No node:fs or node:crypto: Web Crypto hashes.
 *
 * @example
 * const metas = await migrationMetas(journal, (tag) => readFileSync(`migrations/${tag}.sql`, 'utf8'));
 */
import type { MigrationMeta } from 'drizzle-orm/migrator';

export type { MigrationMeta };

/** migrations/meta/_journal.json, the part drizzle reads. */
export interface MigrationJournal {
  entries: Array<{ idx: number; when: number; tag: string; breakpoints: boolean }>;
}

/** What drizzle-kit writes between the statements of one migration file. */
const BREAKPOINT = '--> statement-breakpoint';

/** One MigrationMeta per journal entry, in the journal's order; `sqlOf(tag)` is the whole text of `<tag>.sql`. */
export async function migrationMetas(journal: MigrationJournal, sqlOf: (tag: string) => string | Promise<string>): Promise<MigrationMeta[]> {
  return Promise.all(journal.entries.map(async (entry) => {
    const text = await sqlOf(entry.tag);
    return { sql: text.split(BREAKPOINT), bps: entry.breakpoints, folderMillis: entry.when, hash: await sha256Hex(text) };
  }));
}

/** The newest migration's `created_at` (drizzle compares these, not hashes, to decide what is applied). */
export function lastMillis(metas: MigrationMeta[]): number {
  return Math.max(0, ...metas.map((m) => m.folderMillis));
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

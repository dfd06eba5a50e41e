/**
 * The migration list order-doctor builds (db/migrations-meta.ts, shared by Node and the Worker) is
 * exactly what drizzle-orm's own `readMigrationFiles` reads from migrations/: the same statements,
 * breakpoints, timestamps and sha256 hashes, so `__drizzle_migrations` rows cannot tell which
 * runtime wrote them; and on a text of its own, the split and the hash are drizzle's.
 */
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { describe, expect, it } from 'vitest';
import { folderMigrations, MIGRATIONS_FOLDER } from '../../src/db/migrate.ts';
import { lastMillis, migrationMetas } from '../../src/db/migrations-meta.ts';

describe('migration metas', () => {
  it('equal drizzle\'s readMigrationFiles for migrations/, entry by entry', async () => {
    const ours = await folderMigrations();
    const drizzles = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
    expect(ours.length).toBeGreaterThan(10);
    expect(ours).toEqual(drizzles);
    expect(lastMillis(ours)).toBe(Math.max(...drizzles.map((m) => m.folderMillis)));
  });

  it('split on the breakpoints and hash the whole text (sha256 hex)', async () => {
    const text = 'create table a (id int);\n--> statement-breakpoint\ncreate index a_id on a (id);\n';
    const [meta] = await migrationMetas({ entries: [{ idx: 0, when: 42, tag: '0000_a', breakpoints: true }] }, () => text);
    expect(meta).toEqual({
      sql: ['create table a (id int);\n', '\ncreate index a_id on a (id);\n'],
      bps: true,
      folderMillis: 42,
      // node:crypto createHash('sha256') over the text, as drizzle hashes it
      hash: '6218de9a4ca49ef72e4a881b05e6049c0cff245820250cac37e874ba85a834fd',
    });
  });
});

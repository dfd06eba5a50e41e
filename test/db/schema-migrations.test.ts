/**
 * src/db/schema.ts and migrations/ agree: drizzle-kit, asked to generate a migration from the schema
 * into a copy of migrations/, finds nothing to generate. A column or index added to the schema
 * without its migration (or a migration edited by hand away from its snapshot) fails here, not in
 * production. The probe is shown to see a difference too: with the slot-uniqueness index taken out
 * of the latest snapshot, it generates exactly that index.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MIGRATIONS = join(ROOT, 'migrations');
// the package exports neither its bin nor its package.json: the file npx would run
const DRIZZLE_KIT = join(ROOT, 'node_modules', 'drizzle-kit', 'bin.cjs');

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A copy of migrations/ in a temp directory. */
function copyOfMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), 'od-migrations-'));
  made.push(dir);
  cpSync(MIGRATIONS, dir, { recursive: true });
  return dir;
}

/**
 * `drizzle-kit generate` from src/db/schema.ts into `out`; the files it added. (It prefixes `out`
 * with './', so the path is given relative to the project; and it exits 0 even when it fails, so
 * its output is checked for the one line that says it compared and found nothing.)
 */
async function generate(out: string): Promise<{ added: string[]; stdout: string }> {
  const before = new Set(readdirSync(out));
  const { stdout, stderr } = await run(process.execPath, [
    DRIZZLE_KIT, 'generate', '--dialect', 'postgresql', '--schema', './src/db/schema.ts', '--out', relative(ROOT, out), '--name', 'probe',
  ], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' }, timeout: 60_000 });
  expect(stderr).not.toMatch(/error/i);
  return { added: readdirSync(out).filter((f) => !before.has(f)), stdout };
}

function latestSnapshot(dir: string): string {
  const journal = JSON.parse(readFileSync(join(dir, 'meta', '_journal.json'), 'utf8')) as { entries: { idx: number }[] };
  const last = journal.entries.at(-1)!;
  return join(dir, 'meta', `${String(last.idx).padStart(4, '0')}_snapshot.json`);
}

describe('schema.ts and migrations/', () => {
  it('agree: drizzle-kit finds nothing to generate', async () => {
    const out = copyOfMigrations();
    const { added, stdout } = await generate(out);
    expect(stdout).toContain('No schema changes, nothing to migrate');
    expect(added).toEqual([]);
  });

  it('the probe sees a difference: an index missing from the snapshot is generated', async () => {
    const out = copyOfMigrations();
    const file = latestSnapshot(out);
    const snapshot = JSON.parse(readFileSync(file, 'utf8'));
    const issued = snapshot.tables['public.issued_keys'];
    expect(issued.indexes).toHaveProperty('issued_keys_valid_slot_uq');
    delete issued.indexes.issued_keys_valid_slot_uq;
    writeFileSync(file, JSON.stringify(snapshot, null, 2));
    const { added } = await generate(out);
    const sqlFile = added.find((f) => f.endsWith('_probe.sql'));
    expect(sqlFile).toBeDefined();
    const generated = readFileSync(join(out, sqlFile!), 'utf8');
    expect(generated).toMatch(/CREATE UNIQUE INDEX "issued_keys_valid_slot_uq"/);
    expect(generated.split('--> statement-breakpoint')).toHaveLength(1);
  });
});

/**
 * The Worker migrates its own database from the migrations bundled into it, in its real runtime
 * (`wrangler dev`, local workerd) on fresh, empty Postgres databases: the first request brings the
 * database up to date and is answered as usual; the `__drizzle_migrations` rows are exactly the
 * ones Node's `order-doctor migrate` writes (hashes and timestamps), so that command finds nothing
 * left to do; a cron run does the same before its sweep; and requests racing on a new isolate
 * apply each migration once (one transaction under pg_advisory_xact_lock, decided again under the lock).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newMasterKey } from '../../src/crypto/secret-box.ts';
import type { Database } from '../../src/db/client.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { loadDemoWorld } from './demo-world.ts';
import { checkOrder, startWranglerDev, wranglerInstalled, type WranglerDev } from './wrangler-dev.ts';

const PG = await requires('postgres');
const WRANGLER = wranglerInstalled();
if (!WRANGLER) {
  if (process.env.CI === 'true') throw new Error('wrangler is not installed (npm ci installs it with its workerd)');
  console.warn('skipped test/worker/migrations.pg.test.ts: wrangler is not installed (npm ci)');
}

type MigrationRow = { id: number; hash: string; created_at: string };

/** A new database with nothing in it, not even drizzle's schema: what a first deploy meets. */
const emptyPostgres = (): Promise<TestDatabase> => freshPostgres(POSTGRES_URL!, 2, { migrate: false });

/**
 * Inside a describe block: a new empty database and the Worker started on it, for the block's
 * tests (read `on.tdb` and `on.worker` in them), stopped and dropped after.
 */
function workerOnEmptyDatabase(secret = newMasterKey()): { tdb: TestDatabase; worker: WranglerDev } {
  const on = {} as { tdb: TestDatabase; worker: WranglerDev };
  beforeAll(async () => {
    on.tdb = await emptyPostgres();
    on.worker = await startWranglerDev({ databaseUrl: on.tdb.url!, vars: { CARD_KEY_SECRET: secret } });
  }, 120_000);
  afterAll(async () => {
    await on.worker?.stop();
    await on.tdb?.drop();
  });
  return on;
}

async function migrationRows(database: Database): Promise<MigrationRow[]> {
  const present = await database.rows<{ ok: boolean }>(sql`select to_regclass('drizzle.__drizzle_migrations') is not null as ok`);
  if (!present[0]?.ok) return [];
  return database.rows<MigrationRow>(sql`select id, hash, created_at::text from drizzle.__drizzle_migrations order by id`);
}

/** How often the Worker logged that it applied migrations (the second of two racers applies none and says nothing). */
const migratedLines = (worker: WranglerDev) => worker.output().split('\n').filter((l) => l.includes('migrated the database from the bundled migrations'));

describe.skipIf(!PG || !WRANGLER)('the Worker migrating its own database (wrangler dev)', () => {
  let reference: TestDatabase; // migrated by Node, as `order-doctor migrate` does
  let nodeRows: MigrationRow[];
  beforeAll(async () => {
    reference = await freshPostgres(POSTGRES_URL!, 2);
    nodeRows = await migrationRows(reference.database);
  }, 60_000);
  afterAll(async () => {
    await reference?.drop();
  });

  describe('a first request on an empty database', () => {
    const secret = newMasterKey();
    const on = workerOnEmptyDatabase(secret);

    it('migrates, then answers as usual (an unknown order: 404, not 503)', async () => {
      expect(await migrationRows(on.tdb.database)).toEqual([]);
      const res = await checkOrder(on.worker, 'K2026112210001', '4821');
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(migratedLines(on.worker)).toHaveLength(1);
      expect(migratedLines(on.worker)[0]).toContain(`"applied":${nodeRows.length}`);
    });

    it('wrote the very rows Node writes: same hashes, same timestamps, same order', async () => {
      expect(nodeRows.length).toBeGreaterThan(10);
      expect(await migrationRows(on.tdb.database)).toEqual(nodeRows);
    });

    it('leaves `order-doctor migrate` nothing to do', async () => {
      const { stdout } = await promisify(execFile)(process.execPath, ['bin/order-doctor.js', 'migrate'], {
        env: { ...process.env, DATABASE_URL: on.tdb.url! }, timeout: 60_000,
      });
      expect(stdout).toContain('migrations applied (postgres)');
      expect(await migrationRows(on.tdb.database)).toEqual(nodeRows);
    });

    it('serves a customer check on the schema it made (the demo world loaded by Node)', async () => {
      await loadDemoWorld(on.tdb, secret);
      const res = await checkOrder(on.worker, 'K2026112210001', '4821');
      expect(res.status).toBe(200);
      const body = await res.json() as { verdict: string; keys: { secret: string }[] };
      expect(body.verdict).toBe('DELIVERED');
      expect(body.keys.map((k) => k.secret)).toEqual(['S100-DM01-7C3L-7ZD8']);
      expect(migratedLines(on.worker)).toHaveLength(1); // the isolate checked once
    });
  });

  describe('a cron run first, on an empty database', () => {
    const on = workerOnEmptyDatabase();

    it('migrates before its sweep batch, which then leaves its run record', async () => {
      const res = await fetch(`${on.worker.url}/__scheduled?cron=${encodeURIComponent('* * * * *')}`);
      expect(res.status).toBe(200);
      expect(await migrationRows(on.tdb.database)).toEqual(nodeRows);
      const runs = await on.tdb.database.rows<{ status: string }>(sql`select status from sweep_runs`);
      expect(runs).toEqual([{ status: 'finished' }]);
    });
  });

  describe('first requests racing on an empty database', () => {
    const on = workerOnEmptyDatabase();

    it('apply each migration once, and every request is answered', async () => {
      const answers = await Promise.all(Array.from({ length: 4 }, (_, i) => checkOrder(on.worker, `K20261122100${10 + i}`, '1234')));
      expect(answers.map((r) => r.status)).toEqual([404, 404, 404, 404]);
      expect(await migrationRows(on.tdb.database)).toEqual(nodeRows);
      expect(migratedLines(on.worker)).toHaveLength(1);
    });
  });
});

/**
 * The demo world (fixtures/demo-world.json, times shifted to now) in a Postgres database a Worker
 * test then starts `wrangler dev` on, loaded by Node's own code, with a supervisor to call the
 * agents' API as.
 */
import { readFileSync } from 'node:fs';
import { createAgentAccount } from '../../src/agents/accounts.ts';
import { loadConfig } from '../../src/config.ts';
import { createServices } from '../../src/services.ts';
import { loadWorld } from '../../src/world/load.ts';
import { parseScenario } from '../../src/world/schema.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';

/** Loads the demo world into `tdb` (migrated, empty) sealed with `secret`; returns a supervisor's token. */
export async function loadDemoWorld(tdb: TestDatabase, secret: string): Promise<string> {
  const parsed = parseScenario(JSON.parse(readFileSync('fixtures/demo-world.json', 'utf8')));
  if (!parsed.ok) throw new Error(parsed.error);
  const svc = await createServices(loadConfig({ DATABASE_URL: tdb.url!, CARD_KEY_SECRET: secret }), { database: tdb.database, migrated: true, sandbox: false });
  try {
    await loadWorld(svc, parsed.scenario, { shiftMs: Date.now() - Date.parse(parsed.scenario.now), requireEmpty: true });
    return (await createAgentAccount(svc, { name: 'worker-test', role: 'supervisor', by: { kind: 'system', id: 'test' } })).token;
  } finally {
    await svc.close();
  }
}

/** A fresh migrated Postgres database with the demo world loaded, and a supervisor's token. */
export async function demoWorldDatabase(secret: string): Promise<{ tdb: TestDatabase; agentToken: string }> {
  const tdb = await freshPostgres(POSTGRES_URL!, 4);
  return { tdb, agentToken: await loadDemoWorld(tdb, secret) };
}

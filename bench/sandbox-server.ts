/**
 * The sandbox upstreams in a process of their own, for benchmarks: `node bin/run-ts.js
 * bench/sandbox-server.ts [--world FILE]`. With DATABASE_URL it plays the world already loaded in
 * that database; otherwise it loads FILE into an in-memory PGlite of its own. Prints one line
 * `sandbox http://127.0.0.1:PORT` when ready; SANDBOX_LATENCY_MS applies as usual.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { newMasterKey, createSecretBox } from '../src/crypto/secret-box.ts';
import { openDatabase } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { createDbSandboxWorld } from '../src/sandbox/db-world.ts';
import { listenSandbox } from '../src/sandbox/listener.ts';
import { loadWorld } from '../src/world/load.ts';
import { parseScenario } from '../src/world/schema.ts';

const { values } = parseArgs({ options: { world: { type: 'string' }, now: { type: 'string' } } });
const url = process.env.DATABASE_URL;
const database = await openDatabase({ url, maxConnections: 8 });
if (!url) {
  if (!values.world) throw new Error('--world FILE is needed without DATABASE_URL');
  const parsed = parseScenario(JSON.parse(readFileSync(values.world, 'utf8')));
  if (!parsed.ok) throw new Error(parsed.error);
  await migrateDatabase(database);
  await loadWorld({ database, box: await createSecretBox(newMasterKey()) }, parsed.scenario);
}
const fixed = values.now ? new Date(values.now) : null;
const sandbox = await listenSandbox({
  world: createDbSandboxWorld(database.db),
  now: () => (fixed ? new Date(fixed) : new Date()),
  latencyMs: Number(process.env.SANDBOX_LATENCY_MS ?? 0),
});
console.log(`sandbox ${sandbox.baseUrl}`);
const stop = async () => {
  await sandbox.close();
  await database.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

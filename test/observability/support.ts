/**
 * Services on a test world, as test/support/services.ts builds them, with the logger the test
 * gives (an in-memory one that keeps every finished line).
 */
import { loadConfig, type Env } from '../../src/config.ts';
import { newMasterKey } from '../../src/crypto/secret-box.ts';
import type { Database } from '../../src/db/client.ts';
import { truncateAll } from '../../src/db/migrate.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { createServices, type Services } from '../../src/services.ts';
import { loadWorld } from '../../src/world/load.ts';
import { parseScenario } from '../../src/world/schema.ts';

export async function servicesLogging(database: Database, world: unknown, logger: Logger, env: Env = {}): Promise<Services> {
  const parsed = parseScenario({ name: 'test', checks: [], ...(world as object) });
  if (!parsed.ok) throw new Error(`bad test world: ${parsed.error}`);
  await truncateAll(database);
  const config = loadConfig({ CARD_KEY_SECRET: newMasterKey(), CHECKER_TIMEOUT_MS: '2000', RATE_LIMITS: 'off', SANDBOX: 'on', ...env });
  const fixed = new Date(parsed.scenario.now);
  const svc = await createServices(config, { database, migrated: true, now: () => new Date(fixed), logger });
  await loadWorld(svc, parsed.scenario);
  return svc;
}

export const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
});

/**
 * Builds everything the verbs need, once, from the configuration: used alike by the HTTP server,
 * the CLI, the sweep and the scenario runner. No module reads process.env.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/client.ts';
import { migrateDatabase } from './db/migrate.ts';
import { createSecretBox, newMasterKey, type SecretBox } from './crypto/secret-box.ts';
import type { Channel } from './domain/verdicts.ts';
import type { PaymentGateway } from './gateways/types.ts';
import type { SupplierClient } from './suppliers/types.ts';
import { createUpstreams, type Upstreams } from './gateways/index.ts';
import { createDbSandboxWorld } from './sandbox/db-world.ts';
import { listenSandbox, type SandboxListener } from './sandbox/listener.ts';
import type { SandboxContext } from './sandbox/types.ts';

export interface Services {
  config: Config;
  database: Database;
  box: SecretBox;
  now: () => Date;
  gateways: Record<Channel, PaymentGateway>;
  supplier: SupplierClient;
  /** present when at least one upstream is the in-process sandbox */
  sandbox: SandboxContext | null;
  /** where the sandbox listens (its own loopback port) */
  sandboxUrl: string | null;
  /** true when the card-key master secret was generated for the demo */
  demoSecret: boolean;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** fixed clock (scenarios, tests); default: the real one */
  now?: () => Date;
  /** an already open database (tests share one per file) */
  database?: Database;
  /** skip migrations (the caller already applied them) */
  migrated?: boolean;
}

export async function createServices(config: Config, opts: ServiceOptions = {}): Promise<Services> {
  const database = opts.database ?? (await openConfiguredDatabase(config));
  if (!opts.migrated) await migrateDatabase(database);
  const { secret, generated } = masterSecret(config);
  const box = await createSecretBox(secret);
  const now = opts.now ?? (() => new Date());

  const needsSandbox = Object.values(config.gateways).some((g) => g === null);
  const sandbox: SandboxContext | null = needsSandbox
    ? { world: createDbSandboxWorld(database.db), now, latencyMs: config.sandboxLatencyMs }
    : null;
  let listener: SandboxListener | null = null;
  if (sandbox) listener = await listenSandbox(sandbox);
  const upstreams: Upstreams = createUpstreams(config, { now, sandboxUrl: listener?.baseUrl ?? null });

  return {
    config,
    database,
    box,
    now,
    gateways: upstreams.gateways,
    supplier: upstreams.supplier,
    sandbox,
    sandboxUrl: listener?.baseUrl ?? null,
    demoSecret: generated,
    async close() {
      await upstreams.close();
      await listener?.close();
      if (!opts.database) await database.close();
    },
  };
}

/** The configured database: Postgres at DATABASE_URL, else the embedded PGlite in DATA_DIR/pg. */
export function openConfiguredDatabase(config: Config): Promise<Database> {
  return openDatabase({ url: config.databaseUrl, dataDir: config.databaseUrl ? undefined : join(config.dataDir, 'pg') });
}

/** CARD_KEY_SECRET, or for the demo a key generated once into DATA_DIR (never logged). */
function masterSecret(config: Config): { secret: string; generated: boolean } {
  if (config.cardKeySecret) return { secret: config.cardKeySecret, generated: false };
  const file = join(config.dataDir, 'card-key.secret');
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, newMasterKey() + '\n', { mode: 0o600 });
  }
  return { secret: readFileSync(file, 'utf8').trim(), generated: true };
}

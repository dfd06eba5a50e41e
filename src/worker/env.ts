/**
 * What a Worker is given instead of process.env: its vars and secrets (strings) and the Hyperdrive
 * bindings, turned into the same environment record config.ts parses for Node, so both runtimes go
 * through one schema and fail closed the same way.
 */
import { ConfigError, type Env } from '../config.ts';

/** The Hyperdrive binding's part we use: a postgres:// URL to Hyperdrive's pool (in `wrangler dev`, to the local database). */
export interface HyperdriveBinding {
  connectionString: string;
}

export type WorkerEnv = Record<string, unknown> & {
  /** order-doctor's own database */
  HYPERDRIVE?: HyperdriveBinding;
  /** a dujiao-next shop's Postgres (SHOP=dujiao-next), through a Hyperdrive config of its own */
  SHOP_HYPERDRIVE?: HyperdriveBinding;
};

/** The shops whose connector runs on Workers: the built-in store and the Postgres shop. */
const WORKER_SHOPS = new Set(['builtin', 'dujiao-next']);

/**
 * The string vars and secrets as they are, DATABASE_URL (and SHOP_DATABASE_URL) from the Hyperdrive
 * bindings. A Worker has no disk, so both the database and the card-key master key are required
 * here rather than falling back to DATA_DIR.
 */
export function configEnv(env: WorkerEnv): Env {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string') out[name] = value;
  if (!env.HYPERDRIVE) throw new ConfigError('HYPERDRIVE: the Hyperdrive binding is missing (wrangler.toml [[hyperdrive]])');
  out.DATABASE_URL = env.HYPERDRIVE.connectionString;
  if (env.SHOP_HYPERDRIVE) out.SHOP_DATABASE_URL = env.SHOP_HYPERDRIVE.connectionString;
  if (!out.CARD_KEY_SECRET) throw new ConfigError('CARD_KEY_SECRET: required on Workers (wrangler secret put CARD_KEY_SECRET)');
  // the MySQL connector's driver needs code generation, which Workers forbid, and is not bundled
  if (out.SHOP && !WORKER_SHOPS.has(out.SHOP)) throw new ConfigError(`SHOP: ${out.SHOP} runs on Node only (its MySQL connector is not bundled for Workers)`);
  return out as Env;
}

/**
 * Services for one Worker invocation. Cloudflare's guidance for postgres.js over Hyperdrive: a
 * client per request or scheduled run, never at global scope (an isolate's sockets belong to the
 * request that opened them), at most 5 connections, prepared statements kept on (they are: the
 * driver's default, and db/prepared.ts).
 */
import postgres from 'postgres';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import { createServices, type Services } from '../services.ts';
import { createLogger } from '../observability/logger.ts';
import { serveSandboxInProcess } from '../sandbox/in-process.ts';
import { configEnv, type WorkerEnv } from './env.ts';
import { ensureMigrated } from './migrations.ts';

/** postgres.js pool size per invocation (Cloudflare: at most 5 with Hyperdrive). */
export const WORKER_MAX_CONNECTIONS = 5;

/**
 * With a shop's database behind a second Hyperdrive binding: order-doctor's own pool gets 3 and the
 * shop's 2 (shops/dujiao-next/index.ts), 5 in all, since an invocation holds at most 6 connections
 * open at once, its outgoing fetches (the gateway queries) included.
 */
export const WORKER_MAX_OWN_CONNECTIONS_WITH_SHOP = 3;

/** JSON log lines through console.log: what Workers Logs and `wrangler tail` collect (there is no stdout to write to). */
const consoleLines = { write: (line: string) => console.log(line.trimEnd()) };

/**
 * The configuration, the database through Hyperdrive (brought up to date from the bundled
 * migrations by the isolate's first invocation: worker/migrations.ts) and the services.
 * postgres.js itself rather than the guarded build: its workerd build speaks cloudflare:sockets, and
 * the invocation's own limits end a hung query.
 *
 * The sandbox upstreams play unconfigured channels only with SANDBOX=on set in the Worker's vars
 * (not merely because a world was loaded into the database, as on Node: a deployed Worker turns to
 * fake gateways only when told to), answered in-process (sandbox/in-process.ts): no port to listen on.
 */
export async function workerServices(env: WorkerEnv): Promise<Services> {
  const config = loadConfig(configEnv(env));
  // no startup settings: Hyperdrive may drop or refuse them; the role's defaults carry the deadline (db/client.ts)
  const database = await openDatabase({ url: config.databaseUrl, maxConnections: env.SHOP_HYPERDRIVE ? WORKER_MAX_OWN_CONNECTIONS_WITH_SHOP : WORKER_MAX_CONNECTIONS, postgres, startupSettings: false });
  try {
    const logger = createLogger({ format: 'json', destination: consoleLines });
    await ensureMigrated(database, logger);
    const svc = await createServices(config, {
      database, migrated: true, logger,
      // upstream calls through the runtime's fetch: its node:http is a layer over it (net/transports.ts)
      upstreamFetch: (input, init) => fetch(input, init),
      // the shop's Hyperdrive too: the workerd build (the guarded one compiles Node sources from disk)
      shopPostgres: postgres,
      // /metrics serves what the database knows; an isolate's own counts are not worth a series (observability/metrics.ts)
      perProcessMetrics: false,
      ...(config.sandbox ? { serveSandbox: serveSandboxInProcess } : { sandbox: false as const }),
    });
    // services given a database leave it open on close (tests share one); this one is the invocation's own
    return { ...svc, close: () => svc.close().finally(() => database.close()) };
  } catch (err) {
    await database.close();
    throw err;
  }
}

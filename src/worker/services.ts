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
import { configEnv, type WorkerEnv } from './env.ts';

/** postgres.js pool size per invocation (Cloudflare: at most 5 with Hyperdrive). */
export const WORKER_MAX_CONNECTIONS = 5;

/** JSON log lines through console.log: what Workers Logs and `wrangler tail` collect (there is no stdout to write to). */
const consoleLines = { write: (line: string) => console.log(line.trimEnd()) };

/**
 * The configuration, the database through Hyperdrive (migrated beforehand by `order-doctor
 * migrate`: a Worker does not change the schema under requests in flight) and the services.
 * postgres.js itself rather than the guarded build: its workerd build speaks cloudflare:sockets, and
 * the invocation's own limits end a hung query. No sandbox: it answers loopback clients on a port
 * of its own, and a Worker has neither.
 */
export async function workerServices(env: WorkerEnv): Promise<Services> {
  const config = loadConfig(configEnv(env));
  const database = await openDatabase({ url: config.databaseUrl, maxConnections: WORKER_MAX_CONNECTIONS, postgres });
  try {
    const logger = createLogger({ format: 'json', destination: consoleLines });
    return await createServices(config, { database, migrated: true, sandbox: false, logger });
  } catch (err) {
    await database.close();
    throw err;
  }
}

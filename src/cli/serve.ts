/**
 * `order-doctor serve`: the HTTP server, the sweep and the mail dispatcher in one process.
 *
 * Output: a few plain start-up lines (the shop's notes, sandbox mode, the demo's agent token, the
 * address it listens on), then only JSON log lines on stdout (observability/logger.ts).
 *
 * Shutdown (SIGTERM or SIGINT): stop accepting connections; let the requests in flight finish
 * (at most SHUTDOWN_GRACE_MS, then their connections are cut); at the same time stop the sweep and
 * the mail and webhook loops, a running sweep finishing the orders it is diagnosing, releasing them and letting
 * go of the ones it claimed but had not started, each dispatcher finishing the email or webhook it is sending;
 * then close the gateway pools, the sandbox, the shop's and our own database (releasing DATA_DIR);
 * exit 0. A second signal exits at once (128 + its number); a shutdown that takes longer than
 * SHUTDOWN_LIMIT_MS exits 1.
 */
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { eq, sql } from 'drizzle-orm';
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { createServices, openConfiguredDatabase, type Services } from '../services.ts';
import { createApp } from '../http/app.ts';
import { createAgentAccount } from '../agents/accounts.ts';
import { loadWorld, WorldNotEmptyError } from '../world/load.ts';
import { parseScenario, type World } from '../world/schema.ts';
import { readWorldFile } from '../world/file.ts';
import { orders, settings } from '../db/schema.ts';
import { extendApp } from '../http/extensions.ts';
import { parse, UsageError } from './args.ts';
import { startSweepLoop } from '../jobs/schedule-loop.ts';
import { sweepHealth } from '../jobs/run-record.ts';
import { startMailLoop } from '../jobs/mail.ts';
import { startWebhookLoop } from '../jobs/webhooks.ts';
import { recoverDeliveries } from '../engine/recover.ts';
import { createLogger, lineLogger, type Logger } from '../observability/logger.ts';

/** How often `serve` sends the buyer emails waiting in the outbox. */
const MAIL_INTERVAL_MS = 5_000;
/** How often `serve` sends the shop's webhooks waiting in their outbox. */
const WEBHOOK_INTERVAL_MS = 5_000;
/** How long requests in flight get to finish after a shutdown signal before their connections are cut. */
export const SHUTDOWN_GRACE_MS = 10_000;
/** A shutdown still not done after this exits 1 (a database that hangs under the sweep). */
const SHUTDOWN_LIMIT_MS = 30_000;

const DEMO_WORLD = fileURLToPath(new URL('../../fixtures/demo-world.json', import.meta.url));

export async function serveCommand(args: string[], config: () => Config): Promise<number> {
  const { values, positionals } = parse(args, { world: { type: 'string' } });
  if (positionals.length) throw new UsageError(`serve: unexpected argument '${positionals[0]}'`);
  const worldFile = values.world as string | undefined;
  const world = worldFile ? readWorld(worldFile) : undefined; // a bad file stops before anything is written
  const cfg = config();
  const logger = createLogger({ format: 'json' });
  const database = await openConfiguredDatabase(cfg);
  let svc: Services;
  try {
    await migrateDatabase(database);
    // sandbox mode: SANDBOX=on, a world to serve, or the demo (../shared/spec/interfaces.md)
    const sandbox = cfg.sandbox || world !== undefined || (await servesAWorld(database, cfg));
    svc = await createServices({ ...cfg, sandbox }, { database, migrated: true, logger, processMetrics: true });
  } catch (err) {
    await database.close();
    throw err;
  }
  const closeAll = async () => {
    await svc.close();
    await database.close();
  };
  try {
    await seed(svc, world);
  } catch (err) {
    await closeAll();
    if (err instanceof WorldNotEmptyError) throw new UsageError(err.message);
    throw err;
  }
  const app = createApp(svc, { extend: (a) => extendApp(a, svc), healthExtras: () => sweepHealth(svc.database) });
  for (const note of svc.shop.notes) console.log(note);
  if (svc.config.sandbox) console.log(sandboxNote(svc));
  // a crash between a shop's commit and ours left deliveries half-recorded: finish them first
  if (svc.shop.separate) await recoverDeliveries(svc, { log: lineLogger(logger, { component: 'recover' }) });
  const server = serve({ fetch: app.fetch, port: cfg.port, hostname: cfg.host });
  // the port first: one taken by another process is a one-line error and exit 1 (after closing
  // what was opened), not an unhandled 'error' event's stack, and no loop has started yet
  const port = await listening(server).catch(async (err: NodeJS.ErrnoException) => {
    await closeAll();
    throw new Error(`cannot listen on ${cfg.host ?? '0.0.0.0'}:${cfg.port}: ${err.code === 'EADDRINUSE' ? 'the port is in use (another order-doctor?)' : err.message}`);
  });
  console.log(`order-doctor listening on http://localhost:${port} (${svc.database.kind}, shop: ${svc.shop.kind}${svc.sandbox ? ', sandbox upstreams' : ''}${svc.config.mail ? ', buyer emails on' : ''}${svc.config.push ? `, shop push API on${svc.config.push.webhookUrl ? ' with webhooks' : ''}` : ''})`);
  const sweeps = cfg.sweepIntervalMs === null ? null : startSweepLoop(svc, cfg.sweepIntervalMs);
  const mails = svc.config.mail ? startMailLoop(svc, MAIL_INTERVAL_MS) : null;
  const hooks = svc.config.push?.webhookUrl ? startWebhookLoop(svc, WEBHOOK_INTERVAL_MS) : null;
  const signal = await firstSignal(logger);
  const started = performance.now();
  logger.info({ signal }, 'shutting down: no new connections; finishing requests in flight, the sweep, the mail and the webhooks in progress');
  const limit = setTimeout(() => {
    logger.error({ limitMs: SHUTDOWN_LIMIT_MS }, 'shutdown did not finish in time: exiting now');
    process.exit(1);
  }, SHUTDOWN_LIMIT_MS);
  limit.unref();
  const [drained] = await Promise.all([drain(server, SHUTDOWN_GRACE_MS), sweeps?.stop(), mails?.stop(), hooks?.stop()]);
  if (!drained) logger.warn({ graceMs: SHUTDOWN_GRACE_MS }, 'requests still in flight after the grace period were cut off');
  await closeAll(); // the pools, the shop, the database: releases DATA_DIR for the next process
  clearTimeout(limit);
  logger.info({ ms: Math.round(performance.now() - started) }, 'stopped');
  return 0;
}

/** The port the server listens on once it does; rejects with the listen error (EADDRINUSE, EACCES). */
function listening(server: ServerType): Promise<number> {
  const http = server as Server;
  return new Promise((resolve, reject) => {
    const ok = () => {
      http.off('error', failed);
      resolve((http.address() as AddressInfo).port);
    };
    const failed = (err: Error) => {
      http.off('listening', ok);
      reject(err);
    };
    if (http.listening) return ok();
    http.once('listening', ok);
    http.once('error', failed);
  });
}

/**
 * Resolves with the first SIGINT or SIGTERM; a second one (an impatient operator, a supervisor's
 * second word) exits at once, with 128 + its number as a shell would report it.
 */
function firstSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const on = (signal: NodeJS.Signals) => {
      if (!received) {
        received = true;
        resolve(signal);
        return;
      }
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/**
 * Stops accepting connections and resolves once every request in flight has been answered (true),
 * or after `graceMs` with the connections still open cut (false). Keep-alive connections are closed
 * as soon as they fall idle, so a client's open connection does not hold the shutdown up.
 */
function drain(server: ServerType, graceMs: number): Promise<boolean> {
  const http = server as Server;
  return new Promise((resolve) => {
    let cut = false;
    const idle = setInterval(() => http.closeIdleConnections?.(), 100);
    const grace = setTimeout(() => {
      cut = true;
      http.closeAllConnections?.();
    }, graceMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(grace);
      resolve(!cut);
    });
    http.closeIdleConnections?.();
  });
}

/**
 * The demo (`npm start`): the built-in store on an empty embedded database, about to be seeded, or
 * a database a world was loaded into before (the demo's, or serve --world's), served again.
 */
async function servesAWorld(database: Database, cfg: Config): Promise<boolean> {
  if (cfg.shop.kind !== 'builtin') return false;
  const [loaded] = await database.db.select({ key: settings.key }).from(settings).where(eq(settings.key, 'world')).limit(1);
  if (loaded) return true;
  if (database.kind !== 'pglite') return false;
  const [row] = await database.db.select({ n: sql<number>`count(*)::int` }).from(orders);
  return Number(row?.n) === 0;
}

/** The start-up line that says the sandbox is in play, where, and who may reach it. */
function sandboxNote(svc: Services): string {
  if (!svc.sandboxUrl) {
    return svc.shop.kind === 'builtin'
      ? 'sandbox mode: every upstream has a gateway configured, so the sandbox plays none of them'
      : `sandbox mode: the sandbox plays only the built-in store; the ${svc.shop.kind} shop's channels without a gateway stay unverifiable`;
  }
  const g = svc.config.gateways;
  const played = [g.alipay ? null : 'alipay', g.wechat ? null : 'wechat', g.epay ? null : 'epay', g.supplier ? null : 'supplier']
    .filter((c) => c !== null);
  return `sandbox mode: unconfigured upstreams (${played.join(', ')}) are played by the sandbox at ${svc.sandboxUrl} ` +
    '(loopback only; /sandbox/ on this server answers loopback clients only)';
}

function readWorld(file: string): World {
  let json: unknown;
  try {
    json = JSON.parse(readWorldFile(file));
  } catch (err) {
    throw new UsageError(`--world ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = parseScenario(json);
  if (!parsed.ok) throw new UsageError(`--world ${file}: ${parsed.error}`);
  return parsed.scenario;
}

/**
 * --world: load that world into the (empty) database. Otherwise, on an empty embedded database,
 * the demo world. Times are shifted so the world's `now` is this moment. A demo agent token is
 * printed once, when the world is loaded.
 */
async function seed(svc: Services, world: World | undefined) {
  let toLoad = world;
  if (!toLoad) {
    const [row] = await svc.database.db.select({ n: sql<number>`count(*)::int` }).from(orders);
    if (Number(row?.n) > 0 || svc.database.kind !== 'pglite' || svc.shop.kind !== 'builtin') return;
    toLoad = readWorld(DEMO_WORLD);
  }
  const shiftMs = svc.now().getTime() - Date.parse(toLoad.now);
  await loadWorld(svc, toLoad, { shiftMs, requireEmpty: true });
  // the demo's one agent may do everything the console offers, managing agents included
  const agent = await createAgentAccount(svc, { name: world ? 'world' : 'demo', role: 'supervisor', by: { kind: 'system', id: 'serve' } });
  console.log(world ? `loaded world: ${toLoad.orders.length} orders` : `loaded the demo world: ${toLoad.orders.length} orders (order numbers and secrets: docs/demo-orders.md)`);
  console.log(`agent token: ${agent.token}`);
  console.log('(a supervisor: sign in to the agents\' console at /agent with it)');
}

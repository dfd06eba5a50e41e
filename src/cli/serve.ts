import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { sql } from 'drizzle-orm';
import type { Config } from '../config.ts';
import { createServices, type Services } from '../services.ts';
import { createApp } from '../http/app.ts';
import { createAgent } from '../engine/agents.ts';
import { loadWorld, WorldNotEmptyError } from '../world/load.ts';
import { parseScenario, type World } from '../world/schema.ts';
import { orders } from '../db/schema.ts';
import { extendApp } from '../http/extensions.ts';
import { parse, UsageError } from './args.ts';
import { startSweepLoop } from '../jobs/schedule-loop.ts';
import { sweepHealth } from '../jobs/run-record.ts';
import { startMailLoop } from '../jobs/mail.ts';
import { recoverDeliveries } from '../engine/recover.ts';

/** How often `serve` sends the buyer emails waiting in the outbox. */
const MAIL_INTERVAL_MS = 5_000;

const DEMO_WORLD = fileURLToPath(new URL('../../fixtures/demo-world.json', import.meta.url));

export async function serveCommand(args: string[], config: () => Config): Promise<number> {
  const { values, positionals } = parse(args, { world: { type: 'string' } });
  if (positionals.length) throw new UsageError(`serve: unexpected argument '${positionals[0]}'`);
  const worldFile = values.world as string | undefined;
  const world = worldFile ? readWorld(worldFile) : undefined; // a bad file stops before anything is written
  const cfg = config();
  const svc = await createServices(cfg);
  try {
    await seed(svc, world);
  } catch (err) {
    await svc.close();
    if (err instanceof WorldNotEmptyError) throw new UsageError(err.message);
    throw err;
  }
  const app = createApp(svc, { extend: (a) => extendApp(a, svc), healthExtras: () => sweepHealth(svc.database) });
  for (const note of svc.shop.notes) console.log(note);
  // a crash between a shop's commit and ours left deliveries half-recorded: finish them first
  if (svc.shop.separate) await recoverDeliveries(svc, { log: console.error });
  const sweeps = cfg.sweepIntervalMs === null ? null : startSweepLoop(svc, cfg.sweepIntervalMs);
  const mails = svc.config.mail ? startMailLoop(svc, MAIL_INTERVAL_MS) : null;
  const server = serve({ fetch: app.fetch, port: cfg.port, hostname: cfg.host }, (info) => {
    console.log(`order-doctor listening on http://localhost:${info.port} (${svc.database.kind}, shop: ${svc.shop.kind}${svc.sandbox ? ', sandbox upstreams' : ''}${svc.config.mail ? ', buyer emails on' : ''})`);
  });
  await new Promise<void>((resolve) => {
    const stop = () => {
      console.log('shutting down');
      server.close(() => resolve());
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await sweeps?.stop();
  await mails?.stop();
  await svc.close();
  return 0;
}

function readWorld(file: string): World {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
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
  const agent = await createAgent(svc, world ? 'world' : 'demo');
  console.log(world ? `loaded world: ${toLoad.orders.length} orders` : `loaded the demo world: ${toLoad.orders.length} orders (order numbers and secrets: docs/demo-orders.md)`);
  console.log(`agent token: ${agent.token}`);
}

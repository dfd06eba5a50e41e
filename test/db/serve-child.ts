/**
 * The real HTTP app in a process of its own, for tests where the server might die (a crash must
 * show up as this child exiting, not take the test runner down): createServices over the Postgres
 * database DATABASE_URL (already migrated and loaded), createApp, served on a free loopback port,
 * announced on stdout as one JSON line `{"port":N}`.
 *
 * Environment: DATABASE_URL, CARD_KEY_SECRET (the one the world's keys were sealed with),
 * FIXED_NOW (the world's `now`), MAX_CONNECTIONS (default 10).
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/client.ts';
import { createApp } from '../../src/http/app.ts';
import { onAppError } from '../../src/http/errors.ts';
import { createServices } from '../../src/services.ts';

const env = process.env;
const database = await openDatabase({ url: env.DATABASE_URL!, maxConnections: Number(env.MAX_CONNECTIONS ?? 10) });
const config = loadConfig({ CARD_KEY_SECRET: env.CARD_KEY_SECRET!, CHECKER_TIMEOUT_MS: '4000', RATE_LIMITS: 'off', SANDBOX: 'on' });
const fixed = new Date(env.FIXED_NOW!);
const svc = await createServices(config, { database, migrated: true, now: () => new Date(fixed) });
const app = createApp(svc);
// the handler app.ts installs (issue 10): set here too, so this child behaves the same either way
app.onError(onAppError);
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
  console.log(JSON.stringify({ port: info.port }));
});
process.once('SIGTERM', () => {
  server.close();
  void svc.close().then(() => database.close()).finally(() => process.exit(0));
});

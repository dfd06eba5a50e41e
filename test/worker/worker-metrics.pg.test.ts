/**
 * /metrics on the Worker, in its real runtime (`wrangler dev`, local workerd): the database's gauges
 * (sweep queue, outboxes, whether the database answered), read through the Hyperdrive binding, and
 * none of the per-process series: an isolate lives for a request or so here, and counters that
 * start from zero on every scrape would tell an operator the shop is idle.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { newMasterKey } from '../../src/crypto/secret-box.ts';
import { createServices } from '../../src/services.ts';
import { createAgentAccount } from '../../src/agents/accounts.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { startWranglerDev, wranglerInstalled, type WranglerDev } from './wrangler-dev.ts';

const PG = await requires('postgres');
const WRANGLER = wranglerInstalled();
if (!WRANGLER && process.env.CI === 'true') throw new Error('wrangler is not installed (npm ci installs it with its workerd)');

/** Series a long-lived process counts itself; meaningless per isolate. */
const PER_PROCESS = ['http_requests_total', 'http_request_duration_seconds', 'upstream_request_duration_seconds', 'diagnoses_total', 'circuit_breaker_open', 'process_', 'nodejs_'];

describe.skipIf(!PG || !WRANGLER)('/metrics on the Worker (local workerd)', () => {
  let tdb: TestDatabase;
  let worker: WranglerDev;
  let token: string;

  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 4);
    const secret = newMasterKey();
    const svc = await createServices(loadConfig({ DATABASE_URL: tdb.url, CARD_KEY_SECRET: secret }), { database: tdb.database, migrated: true, sandbox: false });
    token = (await createAgentAccount(svc, { name: 'scraper', role: 'agent', by: { kind: 'system', id: 'test' } })).token;
    await svc.close();
    // two buyer emails waiting and one given up on: what the gauges must show, read from the database
    const now = new Date().toISOString();
    for (const [i, status] of (['pending', 'pending', 'failed'] as const).entries()) {
      await tdb.database.rows(sql`
        insert into mail_outbox (delivery_key, kind, order_no, to_address, payload, status, next_at, created_at)
        values (${`metrics-${i}`}, 'keys_delivered', 'K2026112210001', 'buyer@example.com', '{}'::jsonb, ${status}, ${now}::timestamptz, ${now}::timestamptz)`);
    }
    worker = await startWranglerDev({ databaseUrl: tdb.url!, vars: { CARD_KEY_SECRET: secret } });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await tdb?.drop();
  });

  const scrape = (headers: Record<string, string> = {}) => fetch(`${worker.url}/metrics`, { headers });

  it('is not for the public: no agent token, 401', async () => {
    const res = await scrape();
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('serves the database\'s gauges, and no per-isolate counters however many requests came before', async () => {
    for (let i = 0; i < 3; i++) expect((await fetch(`${worker.url}/healthz`)).status).toBeLessThan(600);
    const res = await scrape({ authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/^metrics_database_ok 1$/m);
    expect(text).toMatch(/^mail_outbox_depth\{status="pending"\} 2$/m);
    expect(text).toMatch(/^mail_outbox_depth\{status="failed"\} 1$/m);
    expect(text).toMatch(/^sweep_queue_depth\{state="due"\} 0$/m);
    expect(text).toMatch(/^sweep_lag_seconds 0$/m);
    expect(text).toMatch(/^webhook_outbox_depth\{status="pending"\} 0$/m);
    for (const name of PER_PROCESS) expect(text, name).not.toContain(name);
  });
});

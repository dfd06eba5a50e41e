/**
 * The console's sign-in limits held in the database (buyer_limits, kind `signin_failures`), so
 * processes and Worker isolates on one Postgres share them: failures through one Services (its own
 * connection pool, as another process would have) make another Services' console wait, on real
 * Postgres. The rule itself (five free, then 2^(n-5) s) is security.test.ts's, in memory.
 */
import { like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { newMasterKey } from '../../src/crypto/secret-box.ts';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { buyerLimits } from '../../src/db/schema.ts';
import { createApp } from '../../src/http/app.ts';
import { extendApp } from '../../src/http/extensions.ts';
import { createBuyerLimits } from '../../src/http/rate-limits.ts';
import { signInLimitsFor } from '../../src/http/console/limits.ts';
import { createAgentAccount } from '../../src/agents/accounts.ts';
import { createServices, type Services } from '../../src/services.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { Browser } from '../pages/support.ts';

const PG = await requires('postgres');

describe.skipIf(!PG)('console sign-in limits shared through Postgres', { timeout: 60_000 }, () => {
  let tdb: TestDatabase;
  let second: Database;
  let a: Services;
  let b: Services;
  let token: string;

  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 4);
    second = await openDatabase({ url: tdb.url!, maxConnections: 4 });
    const config = loadConfig({ DATABASE_URL: tdb.url, CARD_KEY_SECRET: newMasterKey() });
    expect(config.rateLimits).toBe(true);
    a = await createServices(config, { database: tdb.database, migrated: true, sandbox: false });
    b = await createServices(config, { database: second, migrated: true, sandbox: false });
    token = (await createAgentAccount(a, { name: 'limits', role: 'agent', by: { kind: 'system', id: 'test' } })).token;
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await second?.close();
    await tdb?.drop();
  });

  /** The app as `serve` (or a Worker) builds it for these services: default sign-in limits. */
  const appOf = (svc: Services) => createApp(svc, { limits: createBuyerLimits(false), extend: (x) => extendApp(x, svc) });

  async function signIn(svc: Services, ip: string, tok: string): Promise<Response> {
    // app.request has no socket: the address comes as Cloudflare's header (client-ip.ts)
    const br = new Browser(appOf(svc));
    const h = { 'cf-connecting-ip': ip };
    await br.get('/agent', h);
    return br.post('/agent/sign-in', { csrf: br.cookies.get('od_csrf')!, token: tok }, h);
  }

  it('six failures through one process make the next sign-in through another wait, even with the right token', async () => {
    const ip = '198.51.100.7';
    for (let i = 0; i < 6; i++) expect((await signIn(a, ip, `od_${'x'.repeat(32)}`)).status).toBe(401);
    const limited = await signIn(b, ip, token);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // another source is not held up by it, through either process
    expect((await signIn(b, '198.51.100.8', token)).status).toBe(303);
  });

  it('keeps the count in buyer_limits under its own kind, one row per source (an IPv6 /64 is one source)', async () => {
    const limits = signInLimitsFor(b);
    await limits.failed('2001:db8:1:2::10');
    await limits.failed('2001:db8:1:2::99');
    const rows = await tdb.database.db.select().from(buyerLimits).where(like(buyerLimits.key, 'signin_failures:%'));
    expect(rows.map((r) => r.key).sort()).toEqual(['signin_failures:198.51.100.7', 'signin_failures:2001:db8:1:2::/64']);
    expect(Number(rows.find((r) => r.key.endsWith('/64'))!.value)).toBeCloseTo(2, 3);
    // two failures are within the free five, seen alike from the other process
    expect(await signInLimitsFor(a).wait('2001:db8:1:2::abcd')).toBe(0);
    expect(await signInLimitsFor(a).wait('198.51.100.7')).toBeGreaterThan(0);
  });
});

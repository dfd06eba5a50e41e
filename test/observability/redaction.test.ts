/**
 * No key, query secret or agent token in the logs (issue 10, item 9): a test run that reveals keys
 * (the buyer's API, the page, an agent's diagnosis, the sweep, failed guesses, an error) is logged
 * at the most verbose level, and every line it wrote is searched for every key it revealed, every
 * secret typed and every token used, as the code wrote them (before the logger's last-line scrub,
 * which would hide a card key or a token the code leaked). Then the logger's defences, one by one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '../../src/engine/agents.ts';
import { createApp } from '../../src/http/app.ts';
import { extendApp } from '../../src/http/extensions.ts';
import { Browser } from '../pages/support.ts';
import { runSweep } from '../../src/jobs/sweep.ts';
import { createLogger, memoryLogger, REDACTED, scrubLine as scrub } from '../../src/observability/logger.ts';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { paidOrdersWorld } from '../support/services.ts';
import { json, servicesLogging } from './support.ts';

const SECRET = '739051842';
const WRONG = ['660213577', 'guess-zq81x'];

let tdb: TestDatabase;
let svc: Services;
// before the last-line scrub: what this test sees is what the code itself hands the logger
const mem = memoryLogger('trace', { unscrubbed: true });

beforeAll(async () => {
  tdb = await testDatabase();
  const world = paidOrdersWorld({ orders: 6, stock: 6 });
  for (const o of world.orders) o.querySecret = SECRET;
  svc = await servicesLogging(tdb.database, world, mem.logger);
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('a test run that reveals keys', () => {
  it('logs none of the keys, secrets or tokens it saw', async () => {
    const app = createApp(svc, { extend: (a) => extendApp(a, svc) });
    const revealed = new Set<string>();
    const { token } = await createAgent(svc, 'redaction');

    // buyers: checks that issue and reveal keys, twice each (the second reveals from the records)
    for (const no of ['K2026112200001', 'K2026112200002', 'K2026112200003', 'K2026112200001']) {
      const res = await app.request(`/api/v1/orders/${no}/check`, json({ secret: SECRET }, { 'x-forwarded-for': '198.51.100.9' }));
      expect(res.status).toBe(200);
      const body = (await res.json()) as { keys?: Array<{ secret: string }> };
      expect(body.keys?.length).toBe(1);
      for (const k of body.keys!) revealed.add(k.secret);
    }
    // the page: a lookup that issues the key, then a reveal
    const browser = new Browser(app);
    expect((await browser.lookup('K2026112200005', SECRET)).status).toBe(303);
    const shown = await browser.post('/reveal', { csrf: await browser.csrf() }, { accept: 'application/json' });
    expect(shown.status).toBe(200);
    for (const k of ((await shown.json()) as { keys: Array<{ secret: string }> }).keys) revealed.add(k.secret);
    expect((await browser.lookup('K2026112200006', WRONG[0]!)).status).toBe(404);
    // wrong guesses (logged and audited, never the guess)
    for (const guess of WRONG) {
      const res = await app.request('/api/v1/orders/K2026112200004/check', json({ secret: guess }));
      expect(res.status).toBe(404);
    }
    // an agent, with its token, applying a reissue
    const agent = await app.request('/api/v1/agent/orders/K2026112200004/diagnose', json({ apply: true }, { authorization: `Bearer ${token}` }));
    expect(agent.status).toBe(200);
    // a wrong token too
    const stranger = await app.request('/api/v1/agent/orders/K2026112200004/diagnose', json({}, { authorization: 'Bearer od_not-a-real-token-but-looks-like-one' }));
    expect(stranger.status).toBe(401);
    // the sweep reissues the rest, buyer and agent then see those keys
    await runSweep(svc, { sweeperId: 'redaction' });
    for (const no of ['K2026112200004', 'K2026112200005', 'K2026112200006']) {
      const res = await app.request(`/api/v1/orders/${no}/check`, json({ secret: SECRET }));
      const body = (await res.json()) as { keys?: Array<{ secret: string }> };
      for (const k of body.keys ?? []) revealed.add(k.secret);
    }
    // the agent's token on /metrics and /healthz
    expect((await app.request('/healthz', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await app.request('/metrics', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    // a failure inside a request that carried a secret
    const broken = createApp({ ...svc, shop: { ...svc.shop, verifySecret: () => Promise.reject(new Error(`boom`)) } });
    expect((await broken.request('/api/v1/orders/K2026112200001/check', json({ secret: SECRET }))).status).toBe(500);

    expect(revealed.size).toBe(6);
    // the search would see a key that was logged
    const probe = memoryLogger('trace', { unscrubbed: true });
    probe.logger.info({ note: [...revealed][0] }, 'probe');
    expect(probe.lines[0]).toContain([...revealed][0]);

    const log = mem.lines.join('');
    expect(mem.lines.length).toBeGreaterThan(30);
    expect(log).toContain('"msg":"diagnosis"');
    expect(log).toContain('"msg":"upstream call"');
    expect(log).toContain('"msg":"request failed"');
    for (const key of revealed) expect(log).not.toContain(key);
    for (const s of [SECRET, ...WRONG]) expect(log).not.toContain(s);
    expect(log).not.toContain(token);
    expect(log).not.toContain(token.slice(3)); // not even without its prefix
    expect(log).not.toContain('od_not-a-real-token');
    // nor the stock the keys came from
    expect(log).not.toMatch(/S100-TEST-\d{5}/);
  });
});

describe('the logger', () => {
  it('censors fields named like a secret, at any depth', () => {
    const mem = memoryLogger();
    mem.logger.info({
      secret: 'v1', keys: ['v2'], token: 'v3', authorization: 'Bearer v4', password: 'v5', search_pwd: 'v6',
      nested: { merchant_key: 'v7', merchant_pem: 'v8', smtpUrl: 'smtp://u:v9@h', deeper: { still: { deeper: { appSecret: 'v10', key: 'v11' } } } },
      list: [{ querySecret: 'v12' }, { 'set-cookie': 'v13', Cookie: 'v14' }],
      merchantPrivateKey: 'v15', card_pwd: 'v16', kept: 'visible',
    }, 'fields');
    const line = mem.lines[0]!;
    for (let i = 1; i <= 16; i++) expect(line).not.toMatch(new RegExp(`v${i}\\b`));
    expect(line).toContain('"kept":"visible"');
    expect(line.split(`"${REDACTED}"`).length - 1).toBeGreaterThanOrEqual(14);
  });

  it('scrubs, as a last defence, values that look like a card key, a token, URL credentials or a secret parameter', () => {
    const mem = memoryLogger();
    const token = 'od_' + 'A1b2C3d4E5f6G7h8I9j0K1l2';
    mem.logger.warn({ note: 'issued S100-DM01-7C3L-7ZD8 and IQY1M-DS01-B435-FNKH' }, `told ${token} about smtps://shop:hunter2@smtp.example.com:465 and https://pay.example/api.php?act=order&key=abc123&pid=7`);
    const line = mem.lines[0]!;
    for (const leak of ['S100-DM01-7C3L-7ZD8', 'IQY1M-DS01-B435-FNKH', token, 'hunter2', 'abc123']) expect(line).not.toContain(leak);
    expect(line).toContain('pid=7');
    expect(line).toContain('smtp.example.com');
  });

  it('leaves what only resembles those alone: ids, dates, order and ticket numbers, SKUs', () => {
    const values = ['0cb0aec9-4590-485a-af6e-da8d14b1018e', '2026-11-22T10:00:00.000Z', 'K2026112210002', 'T261122-ABCDE', 'STEAM-100', 'IQIYI-VIP-1M', 'HMAC-SHA256'];
    for (const v of values) expect(scrub(`"${v}"`)).toBe(`"${v}"`);
  });

  it('an error is its cause chain, never its parameters', () => {
    const mem = memoryLogger();
    const drizzle = Object.assign(new Error(`Failed query: select 1 where s = $1\nparams: ${SECRET}`), { query: 'select 1 where s = $1', params: [SECRET] });
    mem.logger.error({ err: new Error('check failed', { cause: drizzle }) }, 'failed');
    expect(mem.lines[0]).toContain('Failed query: select 1 where s = $1');
    expect(mem.lines[0]).not.toContain(SECRET);
  });

  it('the CLI form writes the message alone, scrubbed', () => {
    const out: string[] = [];
    const logger = createLogger({ format: 'lines', destination: { write: (l: string) => out.push(l) } });
    logger.info('not shown: below warn');
    logger.warn({ orderNo: 'K1' }, 'sweep abc: alipay: timeout × 3 (key S100-DM01-7C3L-7ZD8)');
    expect(out).toEqual(['sweep abc: alipay: timeout × 3 (key [key?])\n']);
  });
});

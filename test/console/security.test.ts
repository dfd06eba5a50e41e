/**
 * The console's safety (issue 11 items 1 and 6): no console data without a live session, route by
 * route (every /agent route the app has, found from the app itself, so a new one is covered the day
 * it is added); the session cookie's attributes, rotation, idle expiry, sign-out and revocation;
 * sessions stored only as hashes; CSRF on every form; sign-in failures limited; an agent refused
 * what is a supervisor's; the buyer page's security headers and no-store.
 */
import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { auditLog, consoleSessions } from '../../src/db/schema.ts';
import { SESSION_IDLE_MS } from '../../src/agents/sessions.ts';
import { revokeAgent } from '../../src/agents/accounts.ts';
import { Browser, consoleSuite, ORDERS, postForm, signedIn, signIn, type ConsoleSuite } from './support.ts';

const ORDER = ORDERS.callbackLost.no;
/** what a console page with data would carry: never on a refusal */
const DATA = [ORDER, 'data-verdict', 'Open tickets', 'Order number, payment', 'agent-1', 'Keys held'];

function concrete(path: string): string {
  return path.replace(':orderNo', ORDER).replace(':id', '1').replace(':number', 'T261122-AAAAA').replace('*', 'x');
}

/** Every console route the app serves, except its stylesheet (public, no data). */
function consoleRoutes(s: ConsoleSuite): { method: string; path: string }[] {
  const seen = new Set<string>();
  const out: { method: string; path: string }[] = [];
  for (const r of s.app.routes) {
    if (!r.path.startsWith('/agent') || r.path.includes('/assets/') || r.path.endsWith('*') || (r.method !== 'GET' && r.method !== 'POST')) continue;
    const key = `${r.method} ${r.path}`;
    if (!seen.has(key)) out.push({ method: r.method, path: r.path });
    seen.add(key);
  }
  return out;
}

async function expectRefused(res: Response, allowed: number[] = [401]) {
  const body = await res.text();
  expect(allowed).toContain(res.status);
  for (const d of DATA) expect(body).not.toContain(d);
  return body;
}

describe('console sessions and permissions', { timeout: 120_000 }, () => {
  const s = consoleSuite({ limits: true });

  it('every /agent route without a session answers with the sign-in page (401), never data', async () => {
    const routes = consoleRoutes(s);
    // the routes this file knows must all be there: a renamed one must not drop out of the check
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining([
      'GET /agent', 'POST /agent/sign-in', 'POST /agent/sign-out', 'POST /agent/search', 'GET /agent/orders/:orderNo',
      'POST /agent/orders/:orderNo/diagnose', 'GET /agent/orders/:orderNo/confirm', 'POST /agent/orders/:orderNo/apply',
      'POST /agent/orders/:orderNo/reveal', 'GET /agent/agents', 'POST /agent/agents', 'POST /agent/agents/:id/revoke',
      'GET /agent/tickets', 'GET /agent/tickets/:number', 'POST /agent/tickets/:number/claim', 'POST /agent/tickets/:number/assign',
      'POST /agent/tickets/:number/reply', 'POST /agent/tickets/:number/note', 'POST /agent/tickets/:number/state',
      'POST /agent/tickets/:number/triage', 'POST /agent/tickets/:number/diagnose', 'GET /agent/sla', 'POST /agent/sla',
    ]));
    const anon = new Browser(s.app);
    const forged = new Browser(s.app);
    forged.cookies.set('od_agent_session', 'A'.repeat(43));
    for (const b of [anon, forged]) {
      for (const r of routes) {
        const path = concrete(r.path);
        const res = r.method === 'GET' ? await b.get(`${path}?d=00000000-0000-0000-0000-000000000000`) : await postForm(b, path, { q: ORDER, slot: '1', diagnosis: 'x', name: 'x', token: '', body: 'x', event: 'resolve', assignee: '1' });
        // GET /agent is the sign-in page itself (200); sign-out without a session just goes back to it, and so
        // does the language switch (a preference cookie: no data, no session)
        const allowed = path === '/agent' && r.method === 'GET' ? [200] : path === '/agent/sign-out' || path === '/agent/lang' ? [303] : [401];
        const body = await expectRefused(res, allowed);
        if (res.status !== 303) expect(body).toContain('name="token"');
      }
    }
    // and nothing was done: no diagnosis, no reveal, no agent made or revoked
    const actions = (await s.svc.database.db.select().from(auditLog)).map((a) => a.action);
    expect(actions.filter((a) => !['agent_created', 'agent_sign_in_failed'].includes(a))).toEqual([]);
  });

  it('the session cookie: HttpOnly, SameSite=Strict, scoped to /agent, Secure over https; only its hash is stored', async () => {
    const b = new Browser(s.app);
    const res = await signIn(b, s.tokens.agent);
    expect(res.status).toBe(303);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('od_agent_session='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\/agent/i);
    expect(cookie).not.toMatch(/Secure/i);
    const id = b.cookies.get('od_agent_session')!;
    const rows = await s.svc.database.db.select().from(consoleSessions);
    expect(JSON.stringify(rows)).not.toContain(id);

    const tls = new Browser(s.app, 'https://localhost');
    const over = await signIn(tls, s.tokens.agent);
    expect(over.headers.getSetCookie().find((c) => c.startsWith('od_agent_session='))).toMatch(/;\s*Secure/i);
  });

  it('a new session id at every sign-in: the one held before stops working', async () => {
    const b = await signedIn(s.app, s.tokens.agent);
    const before = b.cookies.get('od_agent_session')!;
    expect((await b.get('/agent')).status).toBe(200);
    await signIn(b, s.tokens.agent);
    const after = b.cookies.get('od_agent_session')!;
    expect(after).not.toBe(before);
    const old = new Browser(s.app);
    old.cookies.set('od_agent_session', before);
    await expectRefused(await old.get(`/agent/orders/${ORDER}`));
  });

  it('idle expiry: a session unused for 30 minutes is over; use keeps it alive', async () => {
    const b = await signedIn(s.app, s.tokens.agent);
    s.clock.advance(SESSION_IDLE_MS - 60_000);
    expect((await b.get(`/agent/orders/${ORDER}`)).status).toBe(200);
    s.clock.advance(SESSION_IDLE_MS - 60_000);
    expect((await b.get(`/agent/orders/${ORDER}`)).status).toBe(200);
    s.clock.advance(SESSION_IDLE_MS + 1000);
    await expectRefused(await b.get(`/agent/orders/${ORDER}`));
  });

  it('sign-out ends the session on the server, not only in the browser', async () => {
    const b = await signedIn(s.app, s.tokens.agent);
    const held = b.cookies.get('od_agent_session')!;
    const out = await postForm(b, '/agent/sign-out');
    expect(out.status).toBe(303);
    expect(b.cookies.has('od_agent_session')).toBe(false);
    const replay = new Browser(s.app);
    replay.cookies.set('od_agent_session', held);
    await expectRefused(await replay.get(`/agent/orders/${ORDER}`));
  });

  it('a revoked agent: its console session and its bearer token stop working at once', async () => {
    const a = await s.newAgent('agent');
    const b = await signedIn(s.app, a.token);
    expect((await b.get(`/agent/orders/${ORDER}`)).status).toBe(200);
    const api = () => s.app.request(`/api/v1/agent/orders/${ORDER}/diagnose`, { method: 'POST', headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' }, body: '{}' });
    expect((await api()).status).toBe(200);
    await revokeAgent(s.svc, { ref: String(a.id), by: { kind: 'system', id: 'test' } });
    await expectRefused(await b.get(`/agent/orders/${ORDER}`));
    expect((await api()).status).toBe(401);
    await expectRefused(await signIn(new Browser(s.app), a.token));
  });

  it('CSRF: a form without the token, or from another origin, is refused (403) and does nothing', async () => {
    const b = await signedIn(s.app, s.tokens.supervisor);
    const before = (await s.svc.database.db.select().from(auditLog)).length;
    const noToken = await b.post(`/agent/orders/${ORDER}/diagnose`, {});
    expect(noToken.status).toBe(403);
    const foreign = await b.post(`/agent/orders/${ORDER}/diagnose`, { csrf: b.cookies.get('od_csrf')! }, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    const crossSite = await b.post('/agent/agents', { csrf: b.cookies.get('od_csrf')!, name: 'mallory' }, { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    const loginCsrf = await new Browser(s.app).post('/agent/sign-in', { token: s.tokens.agent });
    expect(loginCsrf.status).toBe(403);
    expect((await s.svc.database.db.select().from(auditLog)).length).toBe(before);
  });

  it('a form over the limit is 413 saying so, signed in or not, and does nothing', async () => {
    const before = (await s.svc.database.db.select().from(auditLog)).length;
    const b = await signedIn(s.app, s.tokens.supervisor);
    for (const who of [b, new Browser(s.app)]) {
      const res = await postForm(who, '/agent/agents', { name: 'mallory', padding: 'x'.repeat(9 * 1024) });
      expect(res.status).toBe(413);
      const body = await res.text();
      expect(body).toContain('The form is too long');
      expect(body).not.toContain('Agent token'); // not the sign-in page: the session is intact
    }
    expect((await s.svc.database.db.select().from(auditLog)).length).toBe(before + 1); // the sign-in's own row
    expect((await b.get('/agent')).status).toBe(200);
  });

  it('an agent cannot do supervisor things (403); a supervisor can', async () => {
    const victim = await s.newAgent('agent');
    const agent = await signedIn(s.app, s.tokens.agent);
    const list = await agent.get('/agent/agents');
    expect(list.status).toBe(403);
    expect(await list.text()).not.toContain(victim.name);
    expect((await postForm(agent, `/agent/agents/${victim.id}/revoke`)).status).toBe(403);
    expect((await postForm(agent, '/agent/agents', { name: 'sneaky', role: 'supervisor' })).status).toBe(403);
    expect(await (await agent.get('/agent')).text()).not.toContain('href="/agent/agents"');

    const sup = await signedIn(s.app, s.tokens.supervisor);
    const shown = await sup.get('/agent/agents');
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain(victim.name);
    const revoked = await postForm(sup, `/agent/agents/${victim.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(await revoked.text()).toContain(`${victim.name} revoked`);
    const audited = await s.svc.database.db.select().from(auditLog).where(eq(auditLog.action, 'agent_revoked'));
    expect(audited.at(-1)).toMatchObject({ actorKind: 'agent', actorId: `${s.ids.supervisor}:supervisor-2` });
    const created = await postForm(sup, '/agent/agents', { name: 'newcomer', role: 'agent' });
    expect(await created.text()).toMatch(/data-token="true">od_[A-Za-z0-9_-]{20,}</);
  });

  it('security headers and no-store on every console page', async () => {
    const b = await signedIn(s.app, s.tokens.agent);
    for (const path of ['/agent', `/agent/orders/${ORDER}`]) {
      const res = await b.get(path);
      expect(res.status).toBe(200);
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    const signInPage = await new Browser(s.app).get('/agent');
    expect(signInPage.headers.get('cache-control')).toBe('no-store');
  });
});

describe('sign-in failures are limited per source', { timeout: 60_000 }, () => {
  const s = consoleSuite({ limits: true });

  it('five free, then a growing wait (429 + Retry-After) in which even the right token is not tried', async () => {
    const b = new Browser(s.app);
    const wrong = 'od_' + 'x'.repeat(32);
    for (let i = 0; i < 6; i++) expect((await signIn(b, wrong)).status).toBe(401);
    const limited = await signIn(b, s.tokens.agent);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.text()).not.toContain('Open tickets');
    s.clock.advance(3_000);
    expect((await signIn(b, s.tokens.agent)).status).toBe(303);
    const failures = await s.svc.database.db.select().from(auditLog).where(eq(auditLog.action, 'agent_sign_in_failed'));
    expect(failures).toHaveLength(6);
  });
});

/**
 * The agents' console under /agent: sign-in with an agent token, then a session cookie
 * (auth.ts); search, the order page with one-click diagnosis and a confirmed apply (orders.tsx);
 * supervisors manage agents (admin.tsx). Server-rendered, no script, the buyer page's headers
 * (CSP without inline anything, no framing, no-store), CSRF on every form.
 *
 * Registration order matters: hono runs matching handlers in the order they were registered, so
 * the stylesheet answers before no-store, and everything registered after `requireAgent` needs a
 * live session.
 */
import { readFileSync } from 'node:fs';
import { bundledAsset } from '../pages/bundled-assets.ts';
import { Hono } from 'hono';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { audit } from '../../actions/audit.ts';
import { agentActor } from '../../agents/accounts.ts';
import { authenticateAgent } from '../../engine/agents.ts';
import { closeSession, findSession, openSession } from '../../agents/sessions.ts';
import { openTickets } from '../../agents/history.ts';
import type { Services } from '../../services.ts';
import type { AppEnv } from '../env.ts';
import { clientIp } from '../client-ip.ts';
import { csrfOk } from '../pages/csrf.ts';
import { readForm } from '../pages/form.ts';
import { noStore, pageSecureHeaders } from '../pages/headers.ts';
import { requireAgent, sessionCookie } from './auth.ts';
import type { ConsoleEnv } from './env.ts';
import { signInLimitsFor, type SignInLimits } from './limits.ts';
import { mountOrderRoutes } from './orders.tsx';
import { mountAdminRoutes } from './admin.tsx';
import { mountSlaRoutes } from './sla.tsx';
import { mountTicketRoutes } from './tickets.tsx';
import { mountIncidentRoutes } from './incidents.tsx';
import { mountReport } from './report.tsx';
import { mountWebhookRoutes } from './webhooks.tsx';
import { messagePage, page, signInPage } from './render.tsx';
import { databaseFaultPage } from '../errors.ts';
import { switchLang } from './lang.ts';
import { Home } from './views/home.tsx';

export interface ConsoleOptions {
  /** sign-in failure limits (default: on unless RATE_LIMITS=off) */
  signIn?: SignInLimits;
}

/** console forms carry a few short fields */
const BODY_LIMIT = 8 * 1024;

export function mountConsole(app: OpenAPIHono<AppEnv>, svc: Services, opts: ConsoleOptions = {}): void {
  // read when mounted, not when loaded: a Worker's bundled module has no import.meta.url to read beside
  const CSS = bundledAsset('console.css') ?? readFileSync(new URL('./assets/console.css', import.meta.url), 'utf8');
  const limits = opts.signIn ?? signInLimitsFor(svc);
  const con = new Hono<ConsoleEnv>();

  con.use('*', pageSecureHeaders);
  con.get('/assets/console.css', (c) => c.body(CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' }));
  con.use('*', noStore);
  // a database (ours or the shop's) that cannot answer: a page saying so, not the API's JSON
  con.use('*', databaseFaultPage((c) => messagePage(c, 503, 'Database unavailable', 'The database did not answer in time. Try again in a minute; the order page shows what was done.')));
  // 413 and what happened, signed in or not: the sign-in page here read as a lost session
  con.post('*', bodyLimit({ maxSize: BODY_LIMIT, onError: (c) => messagePage(c, 413, 'Too long', `The form is too long (at most ${BODY_LIMIT / 1024} KB): nothing was done.`) }));

  con.get('/', async (c) => {
    const session = await findSession(svc, sessionCookie.read(c));
    if (!session) return signInPage(c, 200);
    c.set('agent', session.agent);
    const open = await openTickets(svc);
    return page(c, 200, 'Search', (csrf) => <Home csrf={csrf} open={open} />);
  });

  con.post('/sign-in', async (c) => {
    const form = await readForm(c);
    if (!csrfOk(c, form.csrf)) return signInPage(c, 403, 'The form expired: try again.');
    const ip = clientIp(c);
    const wait = await limits.wait(ip);
    if (wait) {
      c.header('retry-after', String(wait));
      return signInPage(c, 429, `Too many failed sign-ins from your network: try again in ${wait} s.`);
    }
    const agent = typeof form.token === 'string' ? await authenticateAgent(svc, form.token.trim()) : null;
    if (!agent) {
      await limits.failed(ip);
      await audit(svc.database.db, { at: svc.now(), actor: { kind: 'agent' }, action: 'agent_sign_in_failed', detail: { ip } });
      return signInPage(c, 401, 'That token is not valid (or was revoked).');
    }
    // a new id at every sign-in; whatever id the browser held before is ended
    const id = await openSession(svc, { agent, ip, replacing: sessionCookie.read(c) });
    sessionCookie.set(c, id);
    await audit(svc.database.db, { at: svc.now(), actor: agentActor(agent), action: 'agent_signed_in', detail: { ip } });
    return c.redirect('/agent', 303);
  });

  // the language switch: a preference (lang.ts), open with or without a session
  con.get('/lang', switchLang);

  con.post('/sign-out', async (c) => {
    const form = await readForm(c);
    if (!csrfOk(c, form.csrf)) return signInPage(c, 403, 'The form expired: try again.');
    const held = sessionCookie.read(c);
    const session = await findSession(svc, held);
    await closeSession(svc, held);
    sessionCookie.clear(c);
    if (session) await audit(svc.database.db, { at: svc.now(), actor: agentActor(session.agent), action: 'agent_signed_out', detail: {} });
    return c.redirect('/agent', 303);
  });

  // everything below: a live session, or the sign-in page (401); forms CSRF-checked first (403)
  con.use('*', requireAgent((c, status, message) => signInPage(c, status, message)));
  mountOrderRoutes(con, svc);
  mountAdminRoutes(con, svc);
  mountTicketRoutes(con, svc);
  mountIncidentRoutes(con, svc);
  mountSlaRoutes(con, svc);
  mountReport(con, svc);
  mountWebhookRoutes(con, svc);

  app.route('/agent', con);
}

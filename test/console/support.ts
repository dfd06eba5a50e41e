/**
 * The console on a test database: the browser-test world, two agents (an agent and a supervisor),
 * the app with the console mounted (sign-in limits on, on the services' clock), and a signed-in
 * browser-ish client (test/pages/support.ts Browser keeps cookies and sends Origin).
 */
import { afterAll, beforeAll } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { extendApp } from '../../src/http/extensions.ts';
import { mountConsole } from '../../src/http/console/routes.tsx';
import { mountPages } from '../../src/http/pages/routes.tsx';
import { createSignInLimits } from '../../src/http/console/limits.ts';
import { createBuyerLimits } from '../../src/http/rate-limits.ts';
import { createAgentAccount, type Role } from '../../src/agents/accounts.ts';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { Browser, pageServices } from '../pages/support.ts';

export { Browser, ORDERS } from '../pages/support.ts';

/** The services' clock, movable: sessions expire, confirmations go stale. */
export interface Clock {
  now: Date;
  advance(ms: number): void;
}

export function consoleApp(svc: Services, opts: { limits?: boolean } = {}) {
  return createApp(svc, {
    limits: createBuyerLimits(false),
    extend: (a) => {
      if (!opts.limits) return extendApp(a, svc);
      mountPages(a, svc);
      mountConsole(a, svc, { signIn: createSignInLimits(true, () => svc.now().getTime()) });
    },
  });
}

export type ConsoleApp = ReturnType<typeof consoleApp>;

export interface ConsoleSuite {
  svc: Services;
  app: ConsoleApp;
  clock: Clock;
  tokens: { agent: string; supervisor: string };
  ids: { agent: number; supervisor: number };
  /** a new agent account (name unique per call) */
  newAgent(role?: Role): Promise<{ id: number; token: string; name: string }>;
}

let made = 0;

export function consoleSuite(opts: { limits?: boolean } = {}): ConsoleSuite {
  let tdb: TestDatabase | undefined;
  const suite = {} as ConsoleSuite;
  beforeAll(async () => {
    tdb = await testDatabase();
    const svc = await pageServices(tdb.database);
    const start = svc.now();
    const clock: Clock = { now: start, advance(ms) { this.now = new Date(this.now.getTime() + ms); } };
    // the services' clock is a plain property: sessions and confirmations read it through svc.now()
    (svc as { now: () => Date }).now = () => new Date(clock.now);
    const newAgent = async (role: Role = 'agent') => {
      const name = `${role}-${++made}`;
      const a = await createAgentAccount(svc, { name, role, by: { kind: 'system', id: 'test' } });
      return { id: a.id, token: a.token, name };
    };
    const agent = await newAgent('agent');
    const supervisor = await newAgent('supervisor');
    Object.assign(suite, {
      svc, clock, newAgent, app: consoleApp(svc, opts),
      tokens: { agent: agent.token, supervisor: supervisor.token }, ids: { agent: agent.id, supervisor: supervisor.id },
    });
  }, 60_000);
  afterAll(async () => {
    await suite.svc?.close();
    await tdb?.drop();
  });
  return suite;
}

/** A browser signed in with `token` (asserts the sign-in worked). */
export async function signedIn(app: ConsoleApp, token: string): Promise<Browser> {
  const b = new Browser(app);
  const res = await signIn(b, token);
  if (res.status !== 303) throw new Error(`sign-in failed: ${res.status}`);
  return b;
}

export async function signIn(b: Browser, token: string): Promise<Response> {
  await b.get('/agent');
  return b.post('/agent/sign-in', { csrf: b.cookies.get('od_csrf')!, token });
}

/** POST a console form with the browser's CSRF token. */
export async function postForm(b: Browser, path: string, form: Record<string, string> = {}): Promise<Response> {
  if (!b.cookies.has('od_csrf')) await b.get('/agent');
  return b.post(path, { csrf: b.cookies.get('od_csrf')!, ...form });
}

/**
 * The console's session: a cookie holding a random id (agents/sessions.ts stores only its hash),
 * HttpOnly (no script reads it), SameSite=Strict (no other site rides on it), Secure whenever the
 * browser came over https (directly or through TRUST_PROXY), scoped to /agent. Without a live
 * session every console route answers with the sign-in page (401), never with data; POSTs are
 * CSRF-checked first (403), so a forged form learns nothing either.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { findSession, SESSION_MAX_MS } from '../../agents/sessions.ts';
import { overHttps } from '../client-ip.ts';
import { csrfOk } from '../pages/csrf.ts';
import { readForm } from '../pages/form.ts';
import type { ConsoleEnv } from './env.ts';

export const CONSOLE_COOKIE = 'od_agent_session';
const COOKIE_PATH = '/agent';

export const sessionCookie = {
  read: (c: Context) => getCookie(c, CONSOLE_COOKIE),
  set(c: Context, id: string) {
    setCookie(c, CONSOLE_COOKIE, id, {
      httpOnly: true, sameSite: 'Strict', secure: overHttps(c), path: COOKIE_PATH, maxAge: SESSION_MAX_MS / 1000,
    });
  },
  clear: (c: Context) => deleteCookie(c, CONSOLE_COOKIE, { path: COOKIE_PATH, secure: overHttps(c) }),
};

/** What a refused request gets: the sign-in page with a status and a message. */
export type Refuse = (c: Context, status: 401 | 403, message?: string) => Response | Promise<Response>;

/**
 * A live session, or the sign-in page. On POSTs the form is read and CSRF-checked here, before the
 * session, and kept for the handler (`c.get('form')`).
 */
export function requireAgent(refuse: Refuse): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    if (c.req.method === 'POST') {
      const form = await readForm(c);
      if (!csrfOk(c, form.csrf)) return refuse(c, 403, 'The form expired or did not come from this console: try again.');
      c.set('form', form);
    }
    const session = await findSession(c.get('svc'), sessionCookie.read(c));
    if (!session) {
      if (sessionCookie.read(c)) sessionCookie.clear(c);
      return refuse(c, 401, 'Sign in to continue.');
    }
    c.set('agent', session.agent);
    await next();
  };
}

/** Supervisors only: an agent is refused (403) with the console's own page. */
export function requireSupervisor(forbidden: (c: Context<ConsoleEnv>) => Response | Promise<Response>): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    if (c.get('agent').role !== 'supervisor') return forbidden(c);
    await next();
  };
}

/**
 * Rendering a console page: the shell, the browser's CSRF token in every form, the status, and the
 * agent's language (lang.ts) provided to every view below (strings.ts useStrings).
 */
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { csrfToken } from '../pages/csrf.ts';
import type { ConsoleEnv } from './env.ts';
import { consoleLang } from './lang.ts';
import { LangContext, stringsFor } from './strings.ts';
import { ConsoleLayout, Notice } from './views/layout.tsx';
import { SignIn } from './views/signin.tsx';

export type Status = 200 | 400 | 401 | 403 | 404 | 413 | 429 | 503;

/** Where the language switch leads back to: this page when it was a GET, else the search page. */
function here(c: Context): string {
  if (c.req.method !== 'GET') return '/agent';
  const u = new URL(c.req.url);
  return `${u.pathname}${u.search}`;
}

export function page(c: Context, status: Status, title: string, body: (csrf: string) => Child) {
  const csrf = csrfToken(c);
  const agent = (c as Context<ConsoleEnv>).get('agent');
  const lang = consoleLang(c);
  // the webhooks page matters only to a shop that pushes and listens (SHOP_WEBHOOK_URL)
  const webhooks = Boolean((c as Context<ConsoleEnv>).get('svc')?.config.push?.webhookUrl);
  return c.html(
    <LangContext.Provider value={lang}>
      <ConsoleLayout title={title} agent={agent} csrf={csrf} here={here(c)} webhooks={webhooks}>{body(csrf)}</ConsoleLayout>
    </LangContext.Provider>,
    status,
  );
}

/** The sign-in page: what every console route answers without a live session. */
export function signInPage(c: Context, status: 200 | 401 | 403 | 429, error?: string) {
  const csrf = csrfToken(c);
  const lang = consoleLang(c);
  return c.html(
    <LangContext.Provider value={lang}>
      <ConsoleLayout title={stringsFor(lang).signIn} csrf={csrf} here="/agent"><SignIn csrf={csrf} error={error} /></ConsoleLayout>
    </LangContext.Provider>,
    status,
  );
}

export function messagePage(c: Context, status: Status, title: string, text: string) {
  return page(c, status, title, () => <section class="card"><h1>{title}</h1><Notice kind="error">{text}</Notice><p><a href="/agent">Back to search</a></p></section>);
}

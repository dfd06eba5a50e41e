/** Rendering a console page: the shell, the browser's CSRF token in every form, the status. */
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { csrfToken } from '../pages/csrf.ts';
import type { ConsoleEnv } from './env.ts';
import { ConsoleLayout, Notice } from './views/layout.tsx';
import { SignIn } from './views/signin.tsx';

export type Status = 200 | 400 | 401 | 403 | 404 | 429;

export function page(c: Context, status: Status, title: string, body: (csrf: string) => Child) {
  const csrf = csrfToken(c);
  const agent = (c as Context<ConsoleEnv>).get('agent');
  return c.html(<ConsoleLayout title={title} agent={agent} csrf={csrf}>{body(csrf)}</ConsoleLayout>, status);
}

/** The sign-in page: what every console route answers without a live session. */
export function signInPage(c: Context, status: 200 | 401 | 403 | 429, error?: string) {
  const csrf = csrfToken(c);
  return c.html(<ConsoleLayout title="Sign in" csrf={csrf}><SignIn csrf={csrf} error={error} /></ConsoleLayout>, status);
}

export function messagePage(c: Context, status: Status, title: string, text: string) {
  return page(c, status, title, () => <section class="card"><h1>{title}</h1><Notice kind="error">{text}</Notice><p><a href="/agent">Back to search</a></p></section>);
}

/**
 * The console's page shell: English, no script at all (everything is a link or a form post, so it
 * works with JavaScript off and the CSP allows no script), one stylesheet of its own.
 */
import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import type { AgentAccount } from '../../../agents/accounts.ts';

export function ConsoleLayout(p: { title: string; agent?: AgentAccount; csrf: string; children?: Child }) {
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="same-origin" />
          <meta name="robots" content="noindex" />
          <title>{`${p.title} · order-doctor console`}</title>
          <link rel="stylesheet" href="/agent/assets/console.css" />
        </head>
        <body>
          <a class="skip" href="#main">Skip to content</a>
          <header class="top">
            <a class="brand" href="/agent">order-doctor · agents' console</a>
            {p.agent ? (
              <nav aria-label="Console">
                <a href="/agent">Search</a>
                <a href="/agent/report">Report</a>
                <a href="/agent/tickets">Tickets</a>
                <a href="/agent/incidents">Incidents</a>
                {p.agent.role === 'supervisor' ? <><a href="/agent/agents">Agents</a><a href="/agent/sla">SLA</a></> : null}
                <span class="who" data-agent={p.agent.name}>{`${p.agent.name} (${p.agent.role})`}</span>
                <form method="post" action="/agent/sign-out" class="inline">
                  <Csrf token={p.csrf} />
                  <button type="submit">Sign out</button>
                </form>
              </nav>
            ) : null}
          </header>
          <main id="main" tabindex={-1}>
            {p.children}
          </main>
        </body>
      </html>
    </>
  );
}

export function Csrf(p: { token: string }) {
  return <input type="hidden" name="csrf" value={p.token} />;
}

export function Notice(p: { kind: 'error' | 'info' | 'done'; children?: Child }) {
  return (
    <p class={`notice ${p.kind}`} role={p.kind === 'error' ? 'alert' : 'status'}>
      {p.children}
    </p>
  );
}

/** Times as agents read them: Beijing time, to the second, with the ISO value for machines. */
export function When(p: { at: Date | string | null | undefined }) {
  if (!p.at) return <span class="meta">-</span>;
  const iso = typeof p.at === 'string' ? p.at : p.at.toISOString();
  const shown = new Date(iso).toLocaleString('sv-SE', { timeZone: 'Asia/Shanghai' });
  return <time datetime={iso}>{shown}</time>;
}

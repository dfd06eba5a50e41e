/**
 * The console's page shell: English or Chinese (strings.ts), no script at all (everything is a
 * link or a form post, so it works with JavaScript off and the CSP allows no script), one
 * stylesheet of its own, and the language switch (lang.ts: a link, remembered in a cookie).
 */
import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import type { AgentAccount } from '../../../agents/accounts.ts';
import { useStrings } from '../strings.ts';

export function ConsoleLayout(p: { title: string; agent?: AgentAccount; csrf: string; here: string; webhooks?: boolean; children?: Child }) {
  const t = useStrings();
  const switchHref = `/agent/lang?to=${t.switchLang}&back=${encodeURIComponent(p.here)}`;
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang={t.htmlLang}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="same-origin" />
          <meta name="robots" content="noindex" />
          <title>{`${p.title} · ${t.titleSuffix}`}</title>
          <link rel="stylesheet" href="/agent/assets/console.css" />
        </head>
        <body>
          <a class="skip" href="#main">{t.skip}</a>
          <header class="top">
            <a class="brand" href="/agent">{t.brand}</a>
            {p.agent ? (
              <nav aria-label={t.navLabel}>
                <a href="/agent">{t.nav.search}</a>
                <a href="/agent/report">{t.nav.report}</a>
                <a href="/agent/tickets">{t.nav.tickets}</a>
                <a href="/agent/incidents">{t.nav.incidents}</a>
                {p.webhooks ? <a href="/agent/webhooks">{t.nav.webhooks}</a> : null}
                {p.agent.role === 'supervisor' ? <><a href="/agent/agents">{t.nav.agents}</a><a href="/agent/sla">{t.nav.sla}</a></> : null}
                <span class="who" data-agent={p.agent.name}>{`${p.agent.name} (${t.role[p.agent.role]})`}</span>
                <form method="post" action="/agent/sign-out" class="inline">
                  <Csrf token={p.csrf} />
                  <button type="submit">{t.signOut}</button>
                </form>
              </nav>
            ) : null}
            <a class="lang" href={switchHref} hreflang={t.switchLang} lang={t.switchLang} aria-label={t.switchLabel}>{t.switchTo}</a>
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

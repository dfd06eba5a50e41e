/**
 * The page shell: mobile-first, no inline script or style (the CSP forbids both), one small
 * stylesheet and one small deferred script, a language switch, and the official-support note.
 */
import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import { strings, type Lang, type SupportChannel } from './strings.ts';

export interface LayoutProps {
  lang: Lang;
  title: string;
  /** where the language switch leads (a GET path; the other language is added) */
  switchPath: string;
  support: SupportChannel;
  children?: Child;
}

export function Layout(p: LayoutProps) {
  const t = strings(p.lang);
  const other: Lang = p.lang === 'en' ? 'zh-CN' : 'en';
  const sep = p.switchPath.includes('?') ? '&' : '?';
  const switchHref = other === 'en' ? `${p.switchPath}${sep}lang=en` : p.switchPath;
  // the doctype keeps browsers out of quirks mode (hono/jsx does not emit one)
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang={p.lang}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="same-origin" />
          <title>{`${p.title} · ${t.siteTitle}`}</title>
          <link rel="stylesheet" href="/assets/page.css" />
          <script src="/assets/page.js" defer></script>
        </head>
        <body>
          <a class="skip" href="#main">{t.skip}</a>
          <header class="top">
            <a class="brand" href={p.lang === 'en' ? '/?lang=en' : '/'}>{t.siteTitle}</a>
            <a class="lang" href={switchHref} hreflang={other} lang={other} aria-label={t.switchLangLabel}>
              {t.switchLang}
            </a>
          </header>
          <main id="main" tabindex={-1}>
            {p.children}
          </main>
          <footer class="support">
            <p>
              <strong>{t.supportNote}</strong>
              {p.support.name[p.lang]}
            </p>
            <p class="warn">{t.phishing}</p>
          </footer>
        </body>
      </html>
    </>
  );
}

/** The hidden CSRF field every form carries. */
export function CsrfField(p: { token: string }) {
  return <input type="hidden" name="csrf" value={p.token} />;
}

/** A message the screen reader announces. */
export function Notice(p: { kind: 'error' | 'info'; children?: Child }) {
  return (
    <p class={`notice ${p.kind}`} role={p.kind === 'error' ? 'alert' : 'status'}>
      {p.children}
    </p>
  );
}

/**
 * The console's language: English, or Chinese (zh-CN) for an agent whose browser asks for it
 * (Accept-Language) or who chose it with the switch in the header (a cookie, kept a year). Like the
 * buyer's page, the two languages are the domain's `Lang`; unlike it, the console's default is
 * English (its first users read the README's English) and the choice follows the agent, not a URL.
 *
 * @example
 * consoleLang(c) // 'zh-CN' for Accept-Language: zh-CN,zh;q=0.9,en;q=0.8
 */
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Lang } from '../../domain/verdicts.ts';
import { overHttps } from '../client-ip.ts';

export type { Lang };

export const CONSOLE_LANG_COOKIE = 'od_console_lang';
const YEAR_S = 365 * 24 * 3600;

const isLang = (v: unknown): v is Lang => v === 'en' || v === 'zh-CN';

/** The language an Accept-Language header prefers among ours (by q, then order); English when none. */
export function preferredLang(header: string | undefined): Lang {
  const asked = (header ?? '').split(',').slice(0, 20).map((part, i) => {
    const [tag, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((x) => /^\s*q=([01](\.\d{1,3})?)\s*$/.exec(x)?.[1]).find(Boolean);
    return { tag: tag ?? '', q: q === undefined ? 1 : Number(q), i };
  }).filter((a) => a.tag && a.q > 0).sort((a, b) => b.q - a.q || a.i - b.i);
  for (const a of asked) {
    if (a.tag === 'zh' || a.tag.startsWith('zh-')) return 'zh-CN';
    if (a.tag === 'en' || a.tag.startsWith('en-')) return 'en';
  }
  return 'en';
}

/** The agent's choice (the switch), else what the browser asks for. */
export function consoleLang(c: Context): Lang {
  const chosen = getCookie(c, CONSOLE_LANG_COOKIE);
  return isLang(chosen) ? chosen : preferredLang(c.req.header('accept-language'));
}

/** Where the switch may lead back to: a console page of this server, nothing else (no open redirect). */
export function backTo(raw: string | undefined): string {
  return raw && /^\/agent(\/[A-Za-z0-9._~%/-]*)?(\?[A-Za-z0-9._~%&=+-]*)?$/.test(raw) && !raw.includes('//') ? raw : '/agent';
}

/** GET /agent/lang?to=zh-CN&back=/agent/tickets: remembers the choice, back to the page. A preference, not an action: no CSRF needed. */
export function switchLang(c: Context): Response {
  const to = c.req.query('to');
  if (isLang(to)) {
    setCookie(c, CONSOLE_LANG_COOKIE, to, { httpOnly: true, sameSite: 'Strict', secure: overHttps(c), path: '/agent', maxAge: YEAR_S });
  }
  return c.redirect(backTo(c.req.query('back')), 303);
}

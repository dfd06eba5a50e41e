/**
 * CSRF protection for the page's form posts: double-submit token plus an Origin check.
 * - A random token lives in an HttpOnly, SameSite=Strict cookie and in a hidden `csrf` field of
 *   every form; a post is accepted only when both are present and equal (compared in constant time).
 * - When the browser sends Origin (all modern ones do on POST), its host must be this server's host
 *   (host, not scheme: behind a TLS-terminating proxy the server itself sees http), and
 *   `Sec-Fetch-Site`, when sent, must say same-origin.
 * SameSite=Strict on the session cookie is a third, independent layer.
 */
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { digestsEqual } from '../../crypto/secret-box.ts';
import { overHttps } from '../client-ip.ts';

export const CSRF_COOKIE = 'od_csrf';
export const CSRF_FIELD = 'csrf';

const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

function newToken(): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(32))).toString('hex');
}

/** The token for this browser's forms: the one it already holds, or a new one set now. */
export function csrfToken(c: Context): string {
  const held = getCookie(c, CSRF_COOKIE);
  if (held && TOKEN_PATTERN.test(held)) return held;
  const token = newToken();
  setCookie(c, CSRF_COOKIE, token, {
    httpOnly: true, sameSite: 'Strict', path: '/', secure: overHttps(c),
  });
  return token;
}

/** Whether a form post carries the browser's own token and (when sent) comes from our origin. */
export function csrfOk(c: Context, field: unknown): boolean {
  if (!sameOrigin(c)) return false;
  const held = getCookie(c, CSRF_COOKIE);
  if (!held || !TOKEN_PATTERN.test(held) || typeof field !== 'string') return false;
  return digestsEqual(held, field);
}

function sameOrigin(c: Context): boolean {
  // Fetch metadata, where sent, is the browser's own word on where the request came from
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return false;
  const origin = c.req.header('origin');
  if (origin === undefined) return true;
  if (origin === 'null') return false;
  try {
    return new URL(origin).host === (c.req.header('host') ?? new URL(c.req.url).host);
  } catch {
    return false;
  }
}

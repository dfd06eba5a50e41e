/**
 * The verified buyer, remembered for a short while in a signed cookie so reveal, "not solved" and
 * the ticket status work without re-typing the query secret. The cookie holds the order number,
 * the diagnosis the buyer was shown and an expiry, signed with HMAC-SHA256 (Web Crypto) under a key
 * derived from the services' secret box; it never holds the secret or a card key. HttpOnly and
 * SameSite=Strict, so scripts cannot read it and other sites cannot ride on it; Secure whenever the
 * buyer came over https (behind a TLS proxy too, with TRUST_PROXY=on).
 */
import type { Context } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { digestsEqual } from '../../crypto/secret-box.ts';
import type { Services } from '../../services.ts';
import { overHttps } from '../client-ip.ts';

export const SESSION_COOKIE = 'od_session';
export const SESSION_TTL_MS = 15 * 60_000;

export interface BuyerSession {
  orderNo: string;
  diagnosisId: string;
  expiresAt: number;
}

const enc = new TextEncoder();
// one key per Services instance (never a module-level secret): derived lazily, cached by identity
const keys = new WeakMap<Services, Promise<CryptoKey>>();

function sessionKey(svc: Services): Promise<CryptoKey> {
  let key = keys.get(svc);
  if (!key) {
    key = svc.box.tokenHash('page-session-key').then((hex) =>
      globalThis.crypto.subtle.importKey('raw', Buffer.from(hex, 'hex'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
    );
    keys.set(svc, key);
  }
  return key;
}

/** HMAC-SHA256 (hex) of a session payload. */
export async function sessionMac(svc: Services, payload: string): Promise<string> {
  const sig = await globalThis.crypto.subtle.sign('HMAC', await sessionKey(svc), enc.encode(`page-session:${payload}`));
  return Buffer.from(sig).toString('hex');
}

const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const unb64url = (s: string) => Buffer.from(s, 'base64url').toString('utf8');

export async function encodeSession(svc: Services, s: BuyerSession): Promise<string> {
  const payload = `${b64url(s.orderNo)}.${s.diagnosisId}.${s.expiresAt}`;
  return `${payload}.${await sessionMac(svc, payload)}`;
}

/** The session the cookie value proves, or null when forged, malformed or expired. */
export async function decodeSession(svc: Services, value: string | undefined): Promise<BuyerSession | null> {
  if (!value) return null;
  const parts = value.split('.');
  if (parts.length !== 4) return null;
  const [no, diagnosisId, exp, mac] = parts as [string, string, string, string];
  const payload = `${no}.${diagnosisId}.${exp}`;
  if (!digestsEqual(await sessionMac(svc, payload), mac)) return null;
  const expiresAt = Number(exp);
  if (!Number.isFinite(expiresAt) || expiresAt <= svc.now().getTime()) return null;
  return { orderNo: unb64url(no), diagnosisId, expiresAt };
}

export async function startSession(c: Context, svc: Services, orderNo: string, diagnosisId: string): Promise<void> {
  const expiresAt = svc.now().getTime() + SESSION_TTL_MS;
  setCookie(c, SESSION_COOKIE, await encodeSession(svc, { orderNo, diagnosisId, expiresAt }), {
    httpOnly: true, sameSite: 'Strict', path: '/', secure: overHttps(c), maxAge: SESSION_TTL_MS / 1000,
  });
}

export function readSession(c: Context, svc: Services): Promise<BuyerSession | null> {
  return decodeSession(svc, getCookie(c, SESSION_COOKIE));
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
}

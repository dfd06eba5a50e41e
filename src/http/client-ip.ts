/**
 * Who is asking, and over what. By default only the socket is believed. Behind a TLS-terminating
 * proxy (TRUST_PROXY=on) the proxy's own word is taken: the caller is the last address in
 * X-Forwarded-For (the one the proxy appended; anything before it the client could have written),
 * and the request was https when the last X-Forwarded-Proto says so (cookies are then Secure).
 * Without the setting those headers are ignored: anyone can send them.
 */
import type { Context } from 'hono';
import { isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { AppEnv } from './env.ts';

const trustsProxy = (c: Context) => (c as Context<AppEnv>).get('svc')?.config.trustProxy === true;

/** The last comma-separated value of a header (the one the nearest proxy added). */
function lastHop(value: string | undefined): string | undefined {
  const hop = value?.split(',').at(-1)?.trim();
  return hop ? hop : undefined;
}

/** An address as a proxy may write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:443`. */
function addressOf(hop: string | undefined): string | undefined {
  if (!hop) return undefined;
  const a = /^\[([^\]]+)\](?::\d+)?$/.exec(hop)?.[1] ?? /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(hop)?.[1] ?? hop;
  return isIP(a) ? a : undefined;
}

/** The caller's address: the socket's, or behind a trusted proxy the address the proxy saw. */
export function clientIp(c: Context): string {
  if (trustsProxy(c)) {
    const forwarded = addressOf(lastHop(c.req.header('x-forwarded-for')));
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return c.req.header('cf-connecting-ip') ?? 'unknown';
  }
}

/** Whether the buyer's browser spoke https to us (directly, or to the trusted proxy). */
export function overHttps(c: Context): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  return trustsProxy(c) && lastHop(c.req.header('x-forwarded-proto'))?.toLowerCase() === 'https';
}

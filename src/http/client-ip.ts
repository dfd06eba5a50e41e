import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';

/** The caller's address as the socket saw it (no proxy headers are trusted by default). */
export function clientIp(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return c.req.header('cf-connecting-ip') ?? 'unknown';
  }
}

/**
 * EPay writes times as 'YYYY-MM-DD HH:mm:ss' in the server's zone, which for Chinese hosts is
 * Asia/Shanghai (UTC+8, no DST). We keep ISO-8601 UTC inside the project.
 */

const BEIJING_OFFSET_MS = 8 * 3600 * 1000;
const WALL_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

/** '2026-11-22 10:16:02' -> '2026-11-22T02:16:02.000Z'; anything else -> undefined. */
export function beijingToIso(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = WALL_TIME.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - BEIJING_OFFSET_MS;
  const date = new Date(ms);
  // Date.UTC rolls 2026-02-31 over into March; a real server never writes that.
  if (Number.isNaN(ms) || new Date(ms + BEIJING_OFFSET_MS).getUTCDate() !== d) return undefined;
  return date.toISOString();
}

/** The inverse, for the sandbox: an instant rendered as EPay would print it. */
export function isoToBeijing(at: Date | string): string {
  const shifted = new Date(new Date(at).getTime() + BEIJING_OFFSET_MS).toISOString();
  return `${shifted.slice(0, 10)} ${shifted.slice(11, 19)}`;
}

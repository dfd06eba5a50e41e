/**
 * `shop check`'s clock and timezone findings for a MySQL shop: the database server's clock and
 * zone, ours in SHOP_TIMEZONE, and whether the newest order says SHOP_TIMEZONE is wrong (the PHP
 * shops stamp their rows from PHP in their app timezone, not from the server's clock: dujiaoka's
 * config/app.php, PRC by default; acg-faka's kernel, Asia/Shanghai).
 */
import type { Pool } from 'mysql2/promise';
import { q } from './schema.ts';
import { fromShopTime, toShopTime } from '../local-time.ts';

export interface ClockReport {
  /** the server's now(), as a wall clock in its session zone */
  serverNow: string | null;
  sessionZone: string | null;
  systemZone: string | null;
  /** the server session's offset from UTC, minutes */
  serverOffsetMinutes: number | null;
  /** our clock as a wall clock in SHOP_TIMEZONE */
  ourNow: string;
  zone: string;
  zoneOffsetMinutes: number;
  /** the server's clock minus ours (both as instants), ms: a clock out of sync */
  skewMs: number | null;
  /** created_at of the newest order (by id) */
  newestOrder: string | null;
  /** how far the newest order lies in the future of our clock in SHOP_TIMEZONE, ms (negative: in the past) */
  newestAheadMs: number | null;
  /** the evidence says SHOP_TIMEZONE is wrong */
  suspicious: boolean;
  notes: string[];
}

/** A newest order this far in the future of our clock means the zone is wrong, not a slow clock. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;
const HOUR = 3_600_000;


/** `2026-11-22 09:41:10` read as if UTC: wall clocks compared with each other. */
const wall = (s: string) => Date.parse(`${s.replace(' ', 'T').slice(0, 19)}Z`);

/** Which shop writes the times, and where its own timezone is set: for the notes. */
export interface TimeWriter {
  shop: string;
  /** `config/app.php, PRC by default` */
  zoneSetting: string;
}

const DUJIAOKA: TimeWriter = { shop: 'dujiaoka', zoneSetting: 'config/app.php, PRC by default' };

export async function readClock(pool: Pool, zone: string, now: Date, newestOrder: string | null, writer: TimeWriter = DUJIAOKA): Promise<ClockReport> {
  const ourNow = toShopTime(now, zone);
  const zoneOffsetMinutes = Math.round((wall(ourNow) - Math.floor(now.getTime() / 1000) * 1000) / 60_000);
  const [r] = await q<{ n: string; u: string; sz: string; yz: string }>(pool,
    'select now() as n, utc_timestamp() as u, @@session.time_zone as sz, @@system_time_zone as yz');
  const serverNow = r?.n ?? null;
  const serverOffsetMinutes = r ? Math.round((wall(r.n) - wall(r.u)) / 60_000) : null;
  const skewMs = r ? wall(r.u) - now.getTime() : null;
  const newest = fromShopTime(newestOrder, zone);
  const newestAheadMs = newest ? newest.getTime() - now.getTime() : null;
  const notes: string[] = [];
  let suspicious = false;
  const hours = (ms: number) => `${(Math.abs(ms) / HOUR).toFixed(Math.abs(ms) < 10 * HOUR ? 1 : 0)} h`;
  if (newestAheadMs !== null && newestAheadMs > FUTURE_TOLERANCE_MS) {
    suspicious = true;
    notes.push(`the newest order (created_at ${newestOrder}) is ${hours(newestAheadMs)} in the future of ${zone}: SHOP_TIMEZONE is probably wrong (${writer.shop} writes its own timezone's wall-clock times: ${writer.zoneSetting})`);
  }
  const serverDiffers = serverOffsetMinutes !== null && Math.abs(serverOffsetMinutes - zoneOffsetMinutes) >= 60;
  if (serverDiffers && !suspicious && newestOrder && serverNow) {
    // the shop stamps its rows from PHP (its own timezone setting), not from the server's clock;
    // a server in another zone is only evidence when the newest order agrees with it and not with us
    const ageByServer = wall(serverNow) - wall(newestOrder);
    if (ageByServer > -FUTURE_TOLERANCE_MS && ageByServer < 30 * 60_000 && -(newestAheadMs ?? 0) >= HOUR) {
      suspicious = true;
      notes.push(`the newest order is ${hours(newestAheadMs ?? 0)} old in ${zone} but was written ${Math.max(0, Math.round(ageByServer / 60_000))} min ago by the database server's clock (${utcOffset(serverOffsetMinutes!)}): SHOP_TIMEZONE is probably wrong`);
    }
  }
  if (serverDiffers && !suspicious) {
    const zones = `the server's zone (${utcOffset(serverOffsetMinutes!)}) is not SHOP_TIMEZONE's (${utcOffset(zoneOffsetMinutes)})`;
    if (newestOrder) {
      notes.push(`${zones}: fine while ${zone} is ${writer.shop}'s own timezone (${writer.zoneSetting})`);
    } else {
      // with no order to judge by, the server's zone is the only hint there is
      suspicious = true;
      notes.push(`no order to judge by, and ${zones}: check that SHOP_TIMEZONE is ${writer.shop}'s own timezone (${writer.zoneSetting})`);
    }
  }
  if (skewMs !== null && Math.abs(skewMs) > 2 * 60_000) {
    notes.push(`the database server's clock is ${Math.round(Math.abs(skewMs) / 60_000)} min ${skewMs > 0 ? 'ahead of' : 'behind'} this machine's: keep both on NTP`);
  }
  return {
    serverNow, sessionZone: r?.sz ?? null, systemZone: r?.yz ?? null, serverOffsetMinutes, ourNow, zone, zoneOffsetMinutes,
    skewMs, newestOrder, newestAheadMs, suspicious, notes,
  };
}

export function utcOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const m = Math.abs(minutes);
  return `UTC${sign}${Math.floor(m / 60)}${m % 60 ? `:${String(m % 60).padStart(2, '0')}` : ''}`;
}


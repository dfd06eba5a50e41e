/**
 * The window a report covers, as agents ask for it: a preset ending now (24 h, 7 d, 30 d: the same
 * windows `order-doctor report --since` takes), or whole days from/to in the shop's time zone
 * (the days on its orders and receipts). Input is validated here, once: a bad period is a plain
 * sentence for a 400, never an exception.
 */
import type { ShopConfig } from '../config.ts';
import { DEFAULT_TZ } from '../domain/format.ts';
import { fromShopTime, toShopTime } from '../shops/local-time.ts';

export const PRESETS = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type Preset = keyof typeof PRESETS;
export const DEFAULT_PRESET: Preset = '7d';
/** a custom period covers at most this many days (the queries are set-based, the page is not) */
export const MAX_DAYS = 366;

export interface Period {
  since: Date;
  until: Date;
  /** the preset it came from, or null for a from/to period */
  preset: Preset | null;
  /** the days asked for (shop time zone), for a from/to period */
  from?: string;
  to?: string;
  timeZone: string;
}

/** The zone the shop's days are in: a connected shop's SHOP_TIMEZONE, else Beijing time (the built-in store's receipts). */
export function reportTimeZone(shop: ShopConfig): string {
  return shop.kind === 'builtin' ? DEFAULT_TZ : shop.timezone;
}

export type PeriodResult = { ok: true; period: Period } | { ok: false; error: string };

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `2026-11-22` when it names a real calendar day, else null. */
function calendarDay(v: string): string | null {
  const m = DAY.exec(v);
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === v && Number(m[1]) >= 2000 ? v : null;
}

/** The calendar day after `day` (`YYYY-MM-DD`). */
export function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  return new Date(d.getTime() + 86_400_000).toISOString().slice(0, 10);
}

/** The day an instant falls on in `zone`, `YYYY-MM-DD`. */
export function shopDay(at: Date, zone: string): string {
  return toShopTime(at, zone).slice(0, 10);
}

/** The instant `day` starts at in `zone`. */
export function dayStart(day: string, zone: string): Date {
  return fromShopTime(`${day} 00:00:00`, zone)!;
}

/**
 * `period` (a preset) or `from` and `to` (days, both included). Nothing given: the default preset.
 * A from/to period that reaches past now ends now (so "open now" and "overdue" read as of now).
 */
export function parsePeriod(q: { period?: string; from?: string; to?: string }, now: Date, zone: string): PeriodResult {
  const from = q.from?.trim() ?? '';
  const to = q.to?.trim() ?? '';
  if (from === '' && to === '') {
    const preset = q.period?.trim() || DEFAULT_PRESET;
    if (!(preset in PRESETS)) return { ok: false, error: `Unknown period “${preset.slice(0, 20)}”: choose 24h, 7d or 30d, or give a from and a to date.` };
    const ms = PRESETS[preset as Preset];
    return { ok: true, period: { since: new Date(now.getTime() - ms), until: now, preset: preset as Preset, timeZone: zone } };
  }
  if (from === '' || to === '') return { ok: false, error: 'Give both a from and a to date (YYYY-MM-DD), or choose a preset.' };
  const f = calendarDay(from);
  const t = calendarDay(to);
  if (!f) return { ok: false, error: `The from date “${from.slice(0, 20)}” is not a date: expected YYYY-MM-DD.` };
  if (!t) return { ok: false, error: `The to date “${to.slice(0, 20)}” is not a date: expected YYYY-MM-DD.` };
  if (f > t) return { ok: false, error: `The from date (${f}) is after the to date (${t}).` };
  const since = dayStart(f, zone);
  if (since.getTime() > now.getTime()) return { ok: false, error: `The period starts in the future (${f}, ${zone}).` };
  const end = dayStart(nextDay(t), zone);
  const days = Math.round((end.getTime() - since.getTime()) / 86_400_000);
  if (days > MAX_DAYS) return { ok: false, error: `The period spans ${days} days: at most ${MAX_DAYS}.` };
  const until = end.getTime() > now.getTime() ? now : end;
  return { ok: true, period: { since, until, preset: null, from: f, to: t, timeZone: zone } };
}

/**
 * SLA arithmetic, pure: working time on a weekly schedule in a time zone (or around the clock), so
 * the same functions compute a deadline when a ticket opens, extend it after a pause, and tell how
 * much of a clock is left. Deadlines are stored (schema.ts tickets); these only compute the values
 * stored, and what a page shows.
 *
 * A deadline is always `addWorking(openedAt, span + pausedMs)`: the clock ran for exactly its span,
 * and for `pausedMs` of working time it stood still.
 *
 * @example
 * const hours = { timeZone: 'Asia/Shanghai', week: [NINE_TO_SIX, ...weekdays, null, null] };
 * addWorking(new Date('2026-11-27T09:50:00Z'), 15 * 60_000, hours) // Fri 17:50 Beijing -> Mon 09:05
 */
import { z } from 'zod';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const dayHours = z.object({ from: z.string().regex(HHMM), to: z.string().regex(HHMM) })
  .refine((d) => d.from < d.to, 'a day closes after it opens');

/** a calendar date that exists (2026-02-30 does not) */
const DATE = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine((d) => {
    const t = Date.parse(`${d}T00:00:00Z`);
    return !Number.isNaN(t) && new Date(t).toISOString().startsWith(d);
  }, 'a date that exists');
/** enough for any country's public holidays over a few years, few enough that a deadline is always found */
export const MAX_HOLIDAYS = 100;

/**
 * Seven days, Monday first (null: closed that day), and holidays: dates in the zone on which the
 * desk is closed whatever the weekday. A ticket copies them with its hours when it opens, like the
 * rest of its terms. Stored hours from before holidays existed parse as having none.
 */
export const businessHoursSchema = z.object({
  timeZone: z.string().refine(validZone, 'an IANA time zone such as Asia/Shanghai'),
  week: z.array(dayHours.nullable()).length(7).refine((w) => w.some(Boolean), 'at least one day is open'),
  holidays: z.array(DATE).max(MAX_HOLIDAYS).optional(),
});
export type BusinessHours = z.output<typeof businessHoursSchema>;

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function wall(instant: number, zone: string) {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(instant)).map((x) => [x.type, Number(x.value)]));
  return { y: p.year!, mo: p.month!, d: p.day!, h: p.hour!, mi: p.minute!, s: p.second! };
}

/** The instant a wall-clock time names in `zone` (offset applied twice: settles across a DST change). */
function instantOf(y: number, mo: number, d: number, hhmm: string, zone: string): number {
  const [h, mi] = hhmm.split(':').map(Number) as [number, number];
  const asUtc = Date.UTC(y, mo - 1, d, h, mi);
  const offset = (t: number) => { const w = wall(t, zone); return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - t; };
  const first = asUtc - offset(asUtc);
  return asUtc - offset(first);
}

interface Day { y: number; mo: number; d: number }
const dayOf = (t: number, zone: string): Day => { const w = wall(t, zone); return { y: w.y, mo: w.mo, d: w.d }; };
const nextDay = (x: Day): Day => { const n = new Date(Date.UTC(x.y, x.mo - 1, x.d + 1)); return { y: n.getUTCFullYear(), mo: n.getUTCMonth() + 1, d: n.getUTCDate() }; };
const key = (x: Day) => x.y * 10_000 + x.mo * 100 + x.d;
const isoDate = (x: Day) => `${x.y}-${String(x.mo).padStart(2, '0')}-${String(x.d).padStart(2, '0')}`;

// a ticket's hours are read once per clock computation but walked day by day: the dates as a set, per hours object
const holidaySets = new WeakMap<BusinessHours, Set<string>>();
function holidaysOf(hours: BusinessHours): Set<string> {
  let set = holidaySets.get(hours);
  if (!set) {
    set = new Set(hours.holidays ?? []);
    holidaySets.set(hours, set);
  }
  return set;
}

/** The day's open window as instants, or null when closed (its weekday, or a holiday). */
function windowOf(x: Day, hours: BusinessHours): { open: number; close: number } | null {
  if (hours.holidays?.length && holidaysOf(hours).has(isoDate(x))) return null;
  const weekday = (new Date(Date.UTC(x.y, x.mo - 1, x.d)).getUTCDay() + 6) % 7;
  const h = hours.week[weekday];
  return h ? { open: instantOf(x.y, x.mo, x.d, h.from, hours.timeZone), close: instantOf(x.y, x.mo, x.d, h.to, hours.timeZone) } : null;
}

/** a year and a bit: a schedule with one open day a week still finds any deadline within it */
const MAX_DAYS = 400;

/** The instant `ms` of working time after `start`. */
export function addWorking(start: Date, ms: number, hours: BusinessHours | null): Date {
  if (!hours || ms <= 0) return new Date(start.getTime() + Math.max(0, ms));
  let left = ms;
  let day = dayOf(start.getTime(), hours.timeZone);
  for (let i = 0; i < MAX_DAYS; i++, day = nextDay(day)) {
    const w = windowOf(day, hours);
    if (!w) continue;
    const from = Math.max(start.getTime(), w.open);
    if (from >= w.close) continue;
    if (left <= w.close - from) return new Date(from + left);
    left -= w.close - from;
  }
  throw new Error('no deadline within a year on these business hours');
}

/** Working time between two instants (0 when `b` is not after `a`). */
export function workingBetween(a: Date, b: Date, hours: BusinessHours | null): number {
  const from = a.getTime();
  const to = b.getTime();
  if (to <= from) return 0;
  if (!hours) return to - from;
  let sum = 0;
  const last = key(dayOf(to, hours.timeZone));
  for (let day = dayOf(from, hours.timeZone); key(day) <= last; day = nextDay(day)) {
    const w = windowOf(day, hours);
    if (w) sum += Math.max(0, Math.min(to, w.close) - Math.max(from, w.open));
  }
  return sum;
}

export type ClockName = 'first_response' | 'resolution';

/** What a ticket's clocks need, as stored. */
export interface ClockFacts {
  status: string;
  firstResponseMinutes: number;
  resolutionMinutes: number;
  businessHours: BusinessHours | null;
  firstResponseDueAt: Date;
  resolutionDueAt: Date;
  firstRespondedAt: Date | null;
  clockStoppedAt: Date | null;
  openedAt: Date;
  pausedMs: number;
}

export interface ClockView {
  /** the clock that matters now (first response until the first reply, then resolution); null once resolved */
  clock: ClockName | null;
  running: boolean;
  dueAt: Date | null;
  /** working time left (frozen while stopped); negative: overdue by that much wall time */
  leftMs: number;
  spanMs: number;
  atRisk: boolean;
}

/** Less than this share of a clock, or less than AT_RISK_MS, and it is at risk (so is an overdue one). */
export const AT_RISK_SHARE = 0.2;
export const AT_RISK_MS = 5 * 60_000;

export function clockView(t: ClockFacts, now: Date): ClockView {
  if (t.status === 'resolved') return { clock: null, running: false, dueAt: null, leftMs: 0, spanMs: 0, atRisk: false };
  const clock: ClockName = t.firstRespondedAt ? 'resolution' : 'first_response';
  const dueAt = clock === 'first_response' ? t.firstResponseDueAt : t.resolutionDueAt;
  const spanMs = (clock === 'first_response' ? t.firstResponseMinutes : t.resolutionMinutes) * 60_000;
  const running = !t.clockStoppedAt;
  const at = t.clockStoppedAt ?? now;
  const leftMs = at < dueAt ? workingBetween(at, dueAt, t.businessHours) : -(at.getTime() - dueAt.getTime());
  const atRisk = running && (leftMs <= 0 || leftMs < spanMs * AT_RISK_SHARE || leftMs < AT_RISK_MS);
  return { clock, running, dueAt, leftMs, spanMs, atRisk };
}

/** Both deadlines of a ticket: opened_at plus each span plus the working time spent paused. */
export function deadlines(t: Pick<ClockFacts, 'openedAt' | 'firstResponseMinutes' | 'resolutionMinutes' | 'businessHours' | 'pausedMs'>) {
  return {
    firstResponseDueAt: addWorking(t.openedAt, t.firstResponseMinutes * 60_000 + t.pausedMs, t.businessHours),
    resolutionDueAt: addWorking(t.openedAt, t.resolutionMinutes * 60_000 + t.pausedMs, t.businessHours),
  };
}

/** `1 h 05 min`, `45 s`: a duration as the queue shows it. */
export function formatDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

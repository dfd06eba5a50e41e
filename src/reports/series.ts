/**
 * Diagnoses and automatic fixes over time: per day in the shop's time zone, or per hour for a
 * window of two days or less. Buckets are computed here (calendar days, DST included) and the
 * counting is one set-based query (`width_bucket` over the bucket starts).
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { toShopTime, fromShopTime } from '../shops/local-time.ts';
import { dayStart, nextDay, shopDay } from './period.ts';
import { inWindow } from './window-sql.ts';

export interface SeriesPoint {
  /** when the bucket starts (ISO) */
  start: string;
  /** `2026-11-22` or `2026-11-22 10:00`, shop time */
  label: string;
  diagnoses: number;
  /** keys reissued or restored without an agent (buyers' checks and the sweep) */
  autoFixed: number;
  escalated: number;
}

export interface Series {
  unit: 'hour' | 'day';
  points: SeriesPoint[];
}

const HOUR = 3_600_000;

/** The bucket starts covering [since, until): the first at or before `since`. */
export function bucketStarts(window: { since: Date; until: Date }, zone: string): { unit: 'hour' | 'day'; starts: Date[]; labels: string[] } {
  const starts: Date[] = [];
  const labels: string[] = [];
  if (window.until.getTime() - window.since.getTime() <= 48 * HOUR) {
    let at = fromShopTime(`${toShopTime(window.since, zone).slice(0, 13)}:00:00`, zone)!;
    if (at > window.since) at = new Date(at.getTime() - HOUR);
    for (; at < window.until; at = new Date(at.getTime() + HOUR)) {
      starts.push(at);
      labels.push(toShopTime(at, zone).slice(0, 16));
    }
    return { unit: 'hour', starts, labels };
  }
  for (let day = shopDay(window.since, zone); dayStart(day, zone) < window.until; day = nextDay(day)) {
    starts.push(dayStart(day, zone));
    labels.push(day);
  }
  return { unit: 'day', starts, labels };
}

export async function diagnosisSeries(database: Database, window: { since: Date; until: Date }, zone: string): Promise<Series> {
  const { unit, starts, labels } = bucketStarts(window, zone);
  // a text parameter cast to an array: the same on postgres.js and PGlite
  const bounds = `{${starts.map((s) => s.toISOString()).join(',')}}`;
  const rows = await database.rows<{ b: number; diagnoses: number; fixed: number; escalated: number }>(sql`
    select width_bucket(d.started_at, ${bounds}::text::timestamptz[]) as b, count(*)::int as diagnoses,
           count(*) filter (where d.action in ('reissued', 'restored') and d.actor_kind <> 'agent')::int as fixed,
           count(*) filter (where d.action = 'escalated')::int as escalated
      from diagnoses d
     where ${inWindow('d.started_at', window)}
     group by 1`);
  const byBucket = new Map(rows.map((r) => [Number(r.b), r]));
  return {
    unit,
    points: starts.map((s, i) => {
      const r = byBucket.get(i + 1);
      return { start: s.toISOString(), label: labels[i]!, diagnoses: Number(r?.diagnoses ?? 0), autoFixed: Number(r?.fixed ?? 0), escalated: Number(r?.escalated ?? 0) };
    }),
  };
}

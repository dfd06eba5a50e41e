import { sql, type SQL } from 'drizzle-orm';

/** `column` in [since, until): `column` is always a literal name written in the query, never input. */
export function inWindow(column: string, window: { since: Date; until: Date }): SQL {
  return sql`${sql.raw(column)} >= ${window.since.toISOString()}::timestamptz and ${sql.raw(column)} < ${window.until.toISOString()}::timestamptz`;
}

/** share of a whole, or null when there is nothing to share */
export function rate(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

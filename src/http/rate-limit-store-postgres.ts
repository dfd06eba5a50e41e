/**
 * The buyers' rate limits kept in Postgres (table buyer_limits), so N processes on one database
 * hold one limit, not N. Every step is one autocommitted statement: an upsert that computes the new
 * value from the row it conflicts with, which Postgres locks, so racing processes queue on the row
 * and none loses another's count (INSERT ... ON CONFLICT DO UPDATE reads the latest version).
 *
 * Rows carry `expires`: past it a row says no more than an absent one would. Every PURGE_EVERY-th
 * write also deletes up to PURGE_BATCH expired rows (SKIP LOCKED: purgers never queue on each
 * other), many times the rate rows are written, so the table stays the size of what is live.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import type { Logger } from '../observability/logger.ts';
import { memoryLimitStore, withFallback, type LimitKind, type LimitStore, type Tally } from './rate-limit-store.ts';

const PURGE_EVERY = 50;
const PURGE_BATCH = 500;

/** A denied take whose row appeared after this statement's snapshot: wait this long, not 0. */
const RACED_WAIT_MS = 1000;

/**
 * The store every process on one Postgres shares (buyer_limits), falling back to this process's
 * memory while the database does not answer within `timeoutMs` (rate-limit-store.ts withFallback),
 * with one warning a minute at most: an outage must not flood the log.
 *
 * @param what names the limits in the warning ("buyer limits", "console sign-in limits")
 */
export function sharedLimitStore(
  deps: { database: Database; logger: Pick<Logger, 'warn'> },
  opts: { what: string; timeoutMs: number; maxEntries: number },
): LimitStore {
  let lastWarned = 0;
  return withFallback(postgresLimitStore(deps.database), memoryLimitStore(opts.maxEntries), {
    timeoutMs: opts.timeoutMs,
    onFault: (err) => {
      if (Date.now() - lastWarned < 60_000) return;
      lastWarned = Date.now();
      deps.logger.warn(`[limits] the shared ${opts.what} are unavailable, this process limits on its own for now: ${err instanceof Error ? err.message : String(err)}`);
    },
  });
}

export function postgresLimitStore(database: Database): LimitStore {
  let writes = 0;
  const row = (kind: LimitKind, key: string) => `${kind}:${key}`;

  const purgeNowAndThen = async (t: number) => {
    if (++writes % PURGE_EVERY !== 0) return;
    await database.rows(sql`
      delete from buyer_limits where key in (
        select key from buyer_limits where expires < ${t} limit ${PURGE_BATCH} for update skip locked)`);
  };
  const tally = (r: { value: number | string; at: number | string } | undefined): Tally | undefined =>
    r ? { value: Number(r.value), at: Number(r.at) } : undefined;

  return {
    async take(kind, key, intervalMs, toleranceMs, t) {
      // taken: the upsert returns a row; refused: its WHERE kept the row as it was, and the wait
      // is read from the row this statement saw
      const [r] = await database.rows<{ wait: number | string }>(sql`
        with seen as (select value from buyer_limits where key = ${row(kind, key)}),
        taken as (
          insert into buyer_limits as b (key, value, at, expires)
          values (${row(kind, key)}, ${t}::float8 + ${intervalMs}, ${t}, ${t}::float8 + ${intervalMs})
          on conflict (key) do update
            set value = greatest(b.value, ${t}) + ${intervalMs}, at = ${t}, expires = greatest(b.value, ${t}) + ${intervalMs}
            where greatest(b.value, ${t}) - ${t} <= ${toleranceMs}
          returning 0::float8 as wait)
        select wait from taken
        union all
        select greatest(value - ${toleranceMs} - ${t}, 1)::float8 from seen where not exists (select 1 from taken)`);
      await purgeNowAndThen(t);
      return r ? Number(r.wait) : RACED_WAIT_MS;
    },

    async read(kind, key) {
      const [r] = await database.rows<{ value: number; at: number }>(sql`
        select value, at from buyer_limits where key = ${row(kind, key)}`);
      return tally(r);
    },

    async drainUp(kind, key, drainMs, t) {
      // rate-limit-store.ts drained(): what is left after draining since `at` (never negative), plus one
      const left = sql`greatest(0, b.value - greatest(0, ${t}::float8 - b.at) / ${drainMs})`;
      const [r] = await database.rows<{ value: number; at: number }>(sql`
        insert into buyer_limits as b (key, value, at, expires)
        values (${row(kind, key)}, 1, ${t}, ${t}::float8 + ${drainMs})
        on conflict (key) do update
          set value = ${left} + 1, at = greatest(b.at, ${t}), expires = greatest(b.at, ${t}) + (${left} + 1) * ${drainMs}
        returning value, at`);
      await purgeNowAndThen(t);
      return tally(r)!;
    },

    async countUp(kind, key, windowMs, t) {
      const [r] = await database.rows<{ value: number; at: number }>(sql`
        insert into buyer_limits as b (key, value, at, expires)
        values (${row(kind, key)}, 1, ${t}, ${t}::float8 + ${windowMs})
        on conflict (key) do update
          set value = case when ${t}::float8 - b.at > ${windowMs} then 1 else b.value + 1 end,
              at = greatest(b.at, ${t}), expires = greatest(b.at, ${t}) + ${windowMs}
        returning value, at`);
      await purgeNowAndThen(t);
      return tally(r)!;
    },

    async mark(kind, key, keepMs, t) {
      await database.rows(sql`
        insert into buyer_limits as b (key, value, at, expires) values (${row(kind, key)}, ${t}, ${t}, ${t}::float8 + ${keepMs})
        on conflict (key) do update set value = excluded.value, at = excluded.at, expires = excluded.expires`);
      await purgeNowAndThen(t);
    },

    async size() {
      const [r] = await database.rows<{ n: number | string }>(sql`select count(*)::int as n from buyer_limits`);
      return Number(r?.n ?? 0);
    },
  };
}

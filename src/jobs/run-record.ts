/**
 * The run record: every sweep leaves one row in sweep_runs, written when it starts, brought up to
 * date every few seconds while it runs (the heartbeat: progress, and proof of life) and completed
 * when it ends. A sweeper killed mid-run stops beating; the next run to start marks its row
 * `abandoned` (and forgets closed orders older than the horizon, and runs older than 30 days).
 * /healthz and the outcome report show the last run and any running now.
 */
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { sweepQueue, sweepRuns } from '../db/schema.ts';

export interface SweepTally {
  picked: number;
  byReason: Record<string, number>;
  byVerdict: Record<string, number>;
  byAction: Record<string, number>;
  /** "channel: fault" -> how many orders it hit */
  errors: Record<string, number>;
}

export function emptyTally(): SweepTally {
  return { picked: 0, byReason: {}, byVerdict: {}, byAction: {}, errors: {} };
}

export function bump(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

/** How often a running sweep writes its tally (and so shows it is alive). */
export const HEARTBEAT_MS = 5_000;
/** Run records are kept this long. */
const KEEP_RUNS_DAYS = 30;

export async function startRun(
  database: Database,
  run: { id: string; sweeperId: string; dryRun: boolean; startedAt: Date; abandonAfterMs: number; horizonMs: number },
): Promise<void> {
  const { abandonAfterMs, horizonMs, ...row } = run;
  const silentSince = new Date(run.startedAt.getTime() - Math.max(abandonAfterMs, 3 * HEARTBEAT_MS));
  const keptSince = new Date(run.startedAt.getTime() - KEEP_RUNS_DAYS * 86_400_000);
  await database.db.insert(sweepRuns).values({ ...row, status: 'running', heartbeatAt: run.startedAt });
  if (run.dryRun) return; // a dry run changes nothing, not even the housekeeping
  await Promise.all([
    // a run that stopped beating was killed: its claims have expired by now and been taken again
    database.db.update(sweepRuns)
      .set({ status: 'abandoned', finishedAt: sql`coalesce(${sweepRuns.heartbeatAt}, ${sweepRuns.startedAt})` })
      .where(and(eq(sweepRuns.status, 'running'), sql`coalesce(${sweepRuns.heartbeatAt}, ${sweepRuns.startedAt}) < ${silentSince.toISOString()}::timestamptz`)),
    database.db.delete(sweepRuns).where(lt(sweepRuns.startedAt, keptSince)),
    // an order closed longer ago than the horizon was created before it: no selection can pick it
    // again, so its done row has nothing left to guard
    database.db.delete(sweepQueue).where(lt(sweepQueue.doneAt, new Date(run.startedAt.getTime() - horizonMs))),
  ]);
}

/** The tally so far, written while the run goes on. */
export async function heartbeat(database: Database, run: { id: string; at: Date; tally: SweepTally }): Promise<void> {
  await database.db.update(sweepRuns).set({ heartbeatAt: run.at, ...tallyColumns(run.tally) })
    .where(and(eq(sweepRuns.id, run.id), eq(sweepRuns.status, 'running')));
}

export async function finishRun(
  database: Database,
  run: { id: string; status: 'finished' | 'failed'; finishedAt: Date; durationMs: number; tally: SweepTally },
): Promise<void> {
  await database.db.update(sweepRuns)
    .set({ status: run.status, finishedAt: run.finishedAt, durationMs: run.durationMs, ...tallyColumns(run.tally) })
    .where(eq(sweepRuns.id, run.id));
}

/** The run row's columns that hold the tally. */
function tallyColumns(t: SweepTally) {
  return { picked: t.picked, byReason: t.byReason, byVerdict: t.byVerdict, byAction: t.byAction, errors: t.errors };
}

export type SweepRunRow = typeof sweepRuns.$inferSelect;

/** The last real (not dry) sweep that ended, for /healthz and the report. */
export async function lastSweepRun(database: Database): Promise<SweepRunRow | null> {
  const [row] = await database.db.select().from(sweepRuns)
    .where(and(eq(sweepRuns.dryRun, false), eq(sweepRuns.status, 'finished')))
    .orderBy(desc(sweepRuns.startedAt)).limit(1);
  return row ?? null;
}

/** Real sweeps running now (their tally so far), newest first. */
export async function runningSweeps(database: Database): Promise<SweepRunRow[]> {
  return database.db.select().from(sweepRuns)
    .where(and(eq(sweepRuns.dryRun, false), eq(sweepRuns.status, 'running')))
    .orderBy(desc(sweepRuns.startedAt)).limit(10);
}

/** What /healthz shows of the sweep: the last run and any running now, in a few facts each. */
export async function sweepHealth(database: Database): Promise<{ sweep: Record<string, unknown> | null }> {
  const [last, running] = await Promise.all([lastSweepRun(database), runningSweeps(database)]);
  if (!last && running.length === 0) return { sweep: null };
  const facts = (run: SweepRunRow) => ({
    id: run.id, sweeperId: run.sweeperId, startedAt: run.startedAt.toISOString(),
    picked: run.picked, byVerdict: run.byVerdict, byAction: run.byAction, errors: run.errors,
  });
  return {
    sweep: {
      lastRun: last ? { ...facts(last), finishedAt: last.finishedAt?.toISOString() ?? null, durationMs: last.durationMs } : null,
      running: running.map((r) => ({ ...facts(r), heartbeatAt: r.heartbeatAt?.toISOString() ?? null })),
    },
  };
}

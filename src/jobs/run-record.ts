/**
 * The run record: every sweep leaves one row in sweep_runs (written when it starts, completed when
 * it ends; a sweeper killed mid-run leaves its row `running`). /healthz and the outcome report
 * show the last one.
 */
import { and, desc, eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { sweepRuns } from '../db/schema.ts';

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

export async function startRun(
  database: Database,
  run: { id: string; sweeperId: string; dryRun: boolean; startedAt: Date },
): Promise<void> {
  await database.db.insert(sweepRuns).values({ ...run, status: 'running' });
}

export async function finishRun(
  database: Database,
  run: { id: string; status: 'finished' | 'failed'; finishedAt: Date; durationMs: number; tally: SweepTally },
): Promise<void> {
  const { tally } = run;
  await database.db.update(sweepRuns).set({
    status: run.status, finishedAt: run.finishedAt, durationMs: run.durationMs,
    picked: tally.picked, byReason: tally.byReason, byVerdict: tally.byVerdict, byAction: tally.byAction, errors: tally.errors,
  }).where(eq(sweepRuns.id, run.id));
}

export type SweepRunRow = typeof sweepRuns.$inferSelect;

/** The last real (not dry) sweep that ended, for /healthz and the report. */
export async function lastSweepRun(database: Database): Promise<SweepRunRow | null> {
  const [row] = await database.db.select().from(sweepRuns)
    .where(and(eq(sweepRuns.dryRun, false), eq(sweepRuns.status, 'finished')))
    .orderBy(desc(sweepRuns.startedAt)).limit(1);
  return row ?? null;
}

/** What /healthz shows of the sweep: the last run in a few facts. */
export async function sweepHealth(database: Database): Promise<{ sweep: Record<string, unknown> | null }> {
  const run = await lastSweepRun(database);
  if (!run) return { sweep: null };
  return {
    sweep: {
      lastRun: {
        id: run.id, sweeperId: run.sweeperId, startedAt: run.startedAt.toISOString(),
        finishedAt: run.finishedAt?.toISOString() ?? null, durationMs: run.durationMs,
        picked: run.picked, byVerdict: run.byVerdict, byAction: run.byAction, errors: run.errors,
      },
    },
  };
}

/**
 * The sweep verb: finds stuck orders, claims them under a lease, diagnoses each with the one
 * diagnosis verb (which applies the action: reissue, escalate, defer...), then closes or
 * reschedules each queue row by the backoff. Used alike by `order-doctor sweep`, the schedule in
 * `serve` and the Workers `scheduled` handler; any number may run at once on one database.
 *
 * @example
 * const summary = await runSweep(svc, { sweeperId: 'cli:host:123' });
 * // { picked: 12, byVerdict: { PAID_NOT_DELIVERED: 3, NOT_PAID: 9 }, errors: {}, ... }
 */
import { diagnose, type DiagnosisResult } from '../engine/diagnose.ts';
import type { Services } from '../services.ts';
import { claimBatch, letGoClaims, releaseClaims, restockedSkus, type Claim, type Release } from './claim.ts';
import { lineLogger } from '../observability/logger.ts';
import { recoverDeliveries } from '../engine/recover.ts';
import { checkBreaches } from '../tickets/breaches.ts';
import { createRateLimiter, databaseSlots, type RateLimiter } from './rate-limit.ts';
import { bump, emptyTally, finishRun, heartbeat, HEARTBEAT_MS, startRun, type SweepTally } from './run-record.ts';
import { nextStep, type Schedule } from './schedule.ts';
import { previewCandidates, queueCandidates } from './select.ts';

export interface SweepOptions {
  /** who is sweeping (host, process): recorded on the run */
  sweeperId: string;
  /** diagnose without acting: nothing queued, claimed, issued or rescheduled */
  dryRun?: boolean;
  /** at most this many orders in this run (Workers invocations sweep in bounded batches) */
  limit?: number;
  onProgress?: (p: { done: number; claimed: number }) => void;
  /** every order the run diagnosed (the scenario runner reports one of them) */
  onResult?: (r: SweepItem) => void;
  /** one line per gateway fault per run; default: the services' logger (warn) */
  log?: (line: string) => void;
  /**
   * Stops the run early (serve's shutdown): the orders being diagnosed finish and are released as
   * usual, nothing more is claimed, and what was claimed but not started is let go at once.
   */
  signal?: AbortSignal;
}

export interface SweepItem {
  orderNo: string;
  reason: string;
  result?: DiagnosisResult;
  error?: string;
}

export interface SweepSummary extends SweepTally {
  runId: string;
  durationMs: number;
}

/** Dry runs preview at most this many orders unless told otherwise. */
const DRY_RUN_LIMIT = 1000;

export async function runSweep(svc: Services, opts: SweepOptions): Promise<SweepSummary> {
  const runId = globalThis.crypto.randomUUID();
  return sweepRun(svc, opts, runId);
}

async function sweepRun(svc: Services, opts: SweepOptions, runId: string): Promise<SweepSummary> {
  const started = performance.now();
  const dryRun = opts.dryRun === true;
  const tally = emptyTally();
  // every line the run writes (its own, its diagnoses', their upstream calls') names it
  const log = opts.log ?? lineLogger(svc.logger, { component: 'sweep', runId });
  await startRun(svc.database, { id: runId, sweeperId: opts.sweeperId, dryRun, startedAt: svc.now(), abandonAfterMs: svc.config.sweepLeaseMs, horizonMs: svc.config.sweepHorizonMs });

  // the gateway's limit holds across every sweeper on this database, not per process
  const limiter = createRateLimiter({ perSecond: svc.config.sweepRateLimit, reserve: databaseSlots(svc.database) });
  const schedule: Schedule = { backoffMs: svc.config.sweepBackoffMs, horizonMs: svc.config.sweepHorizonMs };
  let status: 'finished' | 'failed' = 'finished';
  let durationMs = 0;
  const releases = releaseBuffer(svc, runId, tally);
  // progress for /healthz, and proof of life: a run that stops beating is marked abandoned
  const beating = setInterval(() => {
    heartbeat(svc.database, { id: runId, at: svc.now(), tally }).catch(() => {});
  }, HEARTBEAT_MS);
  beating.unref?.();
  let source: Source | undefined;
  try {
    // deliveries into a shop's own database that a crash left half-recorded are finished first
    if (!dryRun && svc.shop.separate) await recoverDeliveries(svc, { log });
    // tickets whose SLA deadline passed get their breach recorded, once (tickets/breaches.ts)
    if (!dryRun) await checkBreaches(svc.database.db, svc.now()).catch((e: unknown) => bump(tally.errors, `sla: ${message(e)}`));
    const restocked = await restockedSkus(svc);
    source = dryRun
      ? await previewSource(svc, opts.limit ?? DRY_RUN_LIMIT, restocked)
      : claimSource(svc, { holder: runId, limit: opts.limit ?? Infinity, restocked, signal: opts.signal });
    const from = source;
    let done = 0;
    const worker = async () => {
      for (let claim = await from.next(); claim; claim = await from.next()) {
        tally.picked++;
        bump(tally.byReason, claim.reason);
        const item = await sweepOne(svc, { claim, runId, dryRun, limiter, schedule, tally, release: releases.add });
        opts.onResult?.(item);
        opts.onProgress?.({ done: ++done, claimed: from.claimed() });
      }
    };
    // every worker ends before the run is recorded, even when one of them failed
    const ended = await Promise.allSettled(Array.from({ length: svc.config.sweepConcurrency }, worker));
    const failed = ended.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (err) {
    status = 'failed';
    bump(tally.errors, `sweep: ${message(err)}`);
    throw err;
  } finally {
    clearInterval(beating);
    await releases.flush();
    await source?.settled(); // a top-up claim still under way would otherwise keep its rows past the let-go
    // claims never diagnosed (stopped early, or a worker failed) are let go now, not held until the lease ends
    if (!dryRun && source && source.claimed() > releases.added()) {
      await letGoClaims(svc.database, { sweeperId: runId })
        .then((n) => { if (n) log(`sweep ${runId.slice(0, 8)}: ${n} claimed orders not started, let go for the next sweep`); })
        .catch((e: unknown) => bump(tally.errors, `sweep: letting go of claims failed: ${message(e)}`));
    }
    // a gateway that is down is one line per fault, however many orders it hit
    for (const [fault, n] of Object.entries(tally.errors)) log(`sweep ${runId.slice(0, 8)}: ${fault} × ${n}`);
    durationMs = Math.round(performance.now() - started);
    await finishRun(svc.database, { id: runId, status, finishedAt: svc.now(), durationMs, tally }).catch((e: unknown) =>
      log(`sweep ${runId.slice(0, 8)}: could not record the run: ${message(e)}`));
  }
  return { runId, ...tally, durationMs };
}

interface OneInput {
  claim: Claim;
  runId: string;
  dryRun: boolean;
  release: (r: Release) => void;
  limiter: RateLimiter;
  schedule: Schedule;
  tally: SweepTally;
}

/** Diagnoses one claimed order (one gateway query, rate-limited per channel) and settles its row. */
async function sweepOne(svc: Services, { claim, runId, dryRun, limiter, schedule, tally, release }: OneInput): Promise<SweepItem> {
  const channel = claim.channel ?? 'none';
  if (claim.channel) await limiter.acquire(claim.channel);
  let verdict: string;
  let item: SweepItem;
  try {
    const result = await diagnose(svc, { orderNo: claim.orderNo, actor: { kind: 'sweep', id: runId }, apply: !dryRun, logContext: { runId } });
    verdict = result.verdict;
    bump(tally.byVerdict, verdict);
    bump(tally.byAction, dryRun ? (result.suggested ?? result.action) : result.action);
    if (verdict === 'UPSTREAM_UNAVAILABLE') bump(tally.errors, `${channel}: ${result.facts.upstreamProblem ?? 'unavailable'}`);
    item = { orderNo: claim.orderNo, reason: claim.reason, result };
  } catch (err) {
    // our own failure (database, a bug): count it, retry the order on the backoff like an outage
    verdict = 'UPSTREAM_UNAVAILABLE';
    bump(tally.errors, `${channel}: internal: ${message(err)}`);
    item = { orderNo: claim.orderNo, reason: claim.reason, error: message(err) };
  }
  if (dryRun) return item;
  release({ orderNo: claim.orderNo, verdict, step: nextStep(schedule, { verdict, attempts: claim.attempts, now: svc.now(), createdAt: claim.createdAt }) });
  return item;
}

/** Releases go out in batches of this many, or after RELEASE_WAIT_MS, whichever comes first. */
const RELEASE_BATCH = 64;
const RELEASE_WAIT_MS = 50;

/**
 * Collects the claims to release and writes them in batches (one statement for up to 64 orders
 * instead of one per order). A sweeper that dies before a batch is written loses nothing: those
 * leases run out and the orders are looked at again, finding them delivered.
 */
function releaseBuffer(svc: Services, runId: string, tally: SweepTally) {
  let pending: Release[] = [];
  let added = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let written: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return written;
    const batch = pending;
    pending = [];
    // one batch at a time, in order
    written = written
      .then(() => releaseClaims(svc.database, { sweeperId: runId, now: svc.now(), releases: batch }))
      .catch((err: unknown) => {
        // the leases run out and another sweep looks again: nothing is lost
        bump(tally.errors, `sweep: release failed: ${message(err)}`);
      });
    return written;
  };
  return {
    add(r: Release) {
      added++;
      pending.push(r);
      if (pending.length >= RELEASE_BATCH) void flush();
      else timer ??= setTimeout(() => void flush(), RELEASE_WAIT_MS);
    },
    /** how many releases were handed in */
    added: () => added,
    flush,
  };
}

interface Source {
  /** the next order to sweep, or null when there is nothing more for this run */
  next(): Promise<Claim | null>;
  claimed(): number;
  /** resolves once no claim is under way */
  settled(): Promise<void>;
}

/**
 * Claims in batches, refilled in the background while the workers still have work, so the
 * gateways never wait on the database; queues new candidates when the due rows run out.
 */
function claimSource(svc: Services, opts: { holder: string; limit: number; restocked: string[]; signal?: AbortSignal }): Source {
  const batchSize = Math.max(16, svc.config.sweepConcurrency * 2);
  const buffer: Claim[] = [];
  let claimed = 0;
  let exhausted = false;
  let refilling: Promise<void> | null = null;

  const claimSome = async () => {
    const want = Math.min(batchSize, opts.limit - claimed);
    if (want <= 0) return 0;
    const got = await claimBatch(svc.database, { sweeperId: opts.holder, now: svc.now(), leaseMs: svc.config.sweepLeaseMs, batch: want, restocked: opts.restocked });
    claimed += got.length;
    buffer.push(...got);
    return got.length;
  };
  const refill = async () => {
    for (;;) {
      if (await claimSome()) return;
      if (opts.limit - claimed <= 0) break;
      const queued = await queueCandidates(svc, {
        // large batches: each call scans the candidates again, so fewer calls cost less overall
        now: svc.now(), horizonMs: svc.config.sweepHorizonMs, limit: Math.max(batchSize * 40, 5000),
      });
      // a racing sweeper may just have queued the candidates this one found taken: claim once more
      if (queued === 0) {
        if (await claimSome()) return;
        break; // what is left is rescheduled for later or held by other sweepers
      }
    }
    exhausted = true;
  };
  const startRefill = () => {
    refilling ??= refill().finally(() => { refilling = null; });
    return refilling;
  };
  return {
    async next() {
      if (opts.signal?.aborted) return null; // stopping: what is buffered is let go by the run
      while (buffer.length === 0 && !exhausted) await startRefill();
      if (opts.signal?.aborted) return null;
      // top up ahead of need; a failure here resurfaces on the next awaited refill
      if (buffer.length < svc.config.sweepConcurrency && !exhausted && !refilling) startRefill().catch(() => {});
      return buffer.shift() ?? null;
    },
    claimed: () => claimed,
    settled: async () => {
      while (refilling) await refilling.catch(() => {});
    },
  };
}

async function previewSource(svc: Services, limit: number, restocked: string[]): Promise<Source> {
  const items = await previewCandidates(svc, { now: svc.now(), horizonMs: svc.config.sweepHorizonMs, limit, restocked });
  return { next: async () => items.shift() ?? null, claimed: () => items.length, settled: async () => {} };
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 120);
}

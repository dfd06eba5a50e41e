/**
 * Graceful shutdown of `order-doctor serve` (issue 10, item 9), as a real process: the demo with
 * every sandbox answer 1 s late, a sweep running and buyers' checks in flight when SIGTERM comes.
 * The checks are answered (200), the process exits 0 with its log lines JSON, the sweep's run is
 * recorded and none of its leases is left held; a second signal exits at once. And the sweep's
 * own part of it, in process.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { LOCK_FILE } from '../../src/db/data-dir-lock.ts';
import { runSweep } from '../../src/jobs/sweep.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { testDatabase } from '../support/db.ts';
import { paidOrdersWorld } from '../support/services.ts';
import { startServe, type ServeProcess } from '../support/serve-process.ts';
import { servicesLogging } from './support.ts';

const check = (port: number, orderNo: string, secret: string) =>
  fetch(`http://127.0.0.1:${port}/api/v1/orders/${orderNo}/check`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret }),
  });

/** waits until /healthz (as an agent) shows a sweep running */
async function sweepRunning(s: ServeProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const res = await fetch(`http://127.0.0.1:${s.port}/healthz`, { headers: { authorization: `Bearer ${s.token}` } });
    const body = (await res.json()) as { sweep?: { running?: Array<{ picked: number }> } };
    if (body.sweep?.running?.length) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no sweep started');
}

describe('serve, on SIGTERM', () => {
  it('finishes the checks in flight and the running sweep, releases its leases, closes and exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'od-shutdown-'));
    // one order at a time: the running sweep holds claims it has not started when the signal comes
    const s = await startServe(dataDir, { env: { HOST: '127.0.0.1', SANDBOX_LATENCY_MS: '1000', SWEEP_INTERVAL: '200ms', SWEEP_CONCURRENCY: '1' }, waitForToken: true });
    let exited = false;
    try {
      await sweepRunning(s);
      const started = performance.now();
      const inFlight = [
        check(s.port, 'K2026112210002', '73905'),
        check(s.port, 'K2026112210004', '5937'),
        check(s.port, 'K2026112210009', '81946'),
      ].map((p) => p.then(async (r) => ({ status: r.status, body: await r.text(), ms: performance.now() - started })));
      await new Promise((r) => setTimeout(r, 300)); // received, and waiting on the 1 s gateways
      s.child.kill('SIGTERM');
      // no new connection is taken meanwhile: asked once the process says it is shutting down (a
      // fixed pause was not enough on a loaded machine, where the signal is handled later)
      const deadline = Date.now() + 10_000;
      while (!s.stdout().includes('shutting down') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await expect(fetch(`http://127.0.0.1:${s.port}/healthz`)).rejects.toThrow();
      const answers = await Promise.all(inFlight);
      for (const a of answers) expect(a.status, a.body).toBe(200);
      // they waited for the 1 s gateways, so they were in flight when the signal came (one the
      // sweep had just delivered may answer from the records at once)
      expect(Math.max(...answers.map((a) => a.ms))).toBeGreaterThan(1000);
      expect(await s.exited).toBe(0);
      exited = true;
    } finally {
      if (!exited) s.child.kill('SIGKILL');
    }

    // the log: the start-up lines, then JSON only, through the shutdown
    const lines = s.stdout().trimEnd().split('\n');
    const listening = lines.findIndex((l) => /listening on/.test(l));
    const json = lines.slice(listening + 1).map((l) => JSON.parse(l) as Record<string, unknown>);
    const msgs = json.map((l) => String(l.msg));
    expect(msgs.some((m) => m.startsWith('shutting down'))).toBe(true);
    expect(msgs.at(-1)).toBe('stopped');
    expect(json.filter((l) => l.msg === 'request' && l.status === 200 && l.route === '/api/v1/orders/:orderNo/check')).toHaveLength(3);
    expect(json.some((l) => l.msg === 'diagnosis' && l.actor === 'sweep')).toBe(true);
    expect(msgs.some((m) => /claimed orders not started, let go for the next sweep$/.test(m))).toBe(true);
    expect(s.stderr()).toBe('');

    // DATA_DIR released; no lease held, no run left running
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
    const database = await openDatabase({ dataDir: join(dataDir, 'pg') });
    try {
      const [held] = await database.rows<{ n: number }>(sql`select count(*)::int as n from sweep_queue where leased_by is not null or lease_until is not null`);
      expect(held!.n).toBe(0);
      const runs = await database.rows<{ status: string }>(sql`select status from sweep_runs`);
      expect(runs.length).toBeGreaterThan(0);
      expect(runs.filter((r) => r.status === 'running')).toEqual([]);
      // what the stopped sweep had not started is due for the next one, its schedule untouched
      const [waiting] = await database.rows<{ n: number }>(sql`select count(*)::int as n from sweep_queue where done_at is null and attempts = 0`);
      expect(waiting!.n).toBeGreaterThan(0);
    } finally {
      await database.close();
    }
  }, 180_000);

  it('a second signal exits at once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'od-shutdown-twice-'));
    const s = await startServe(dataDir, { env: { HOST: '127.0.0.1', SANDBOX_LATENCY_MS: '3000', SWEEP_INTERVAL: 'off' }, waitForToken: true });
    try {
      const slow = check(s.port, 'K2026112210002', '73905').catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 300));
      const started = performance.now();
      s.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 100));
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(143);
      expect(performance.now() - started).toBeLessThan(2000);
      await slow;
    } finally {
      s.child.kill('SIGKILL');
    }
  }, 120_000);
});

describe('a sweep told to stop', () => {
  it('finishes the order it is on, records the run, and lets go of the claims it had not started', async () => {
    const tdb = await testDatabase();
    const svc = await servicesLogging(tdb.database, paidOrdersWorld({ orders: 6, stock: 6 }), silentLogger(), {
      SWEEP_CONCURRENCY: '1', SANDBOX_LATENCY_MS: '200',
    });
    try {
      const stop = new AbortController();
      const lines: string[] = [];
      const summary = await runSweep(svc, {
        sweeperId: 'stopping', signal: stop.signal, log: (l) => lines.push(l),
        onProgress: ({ done }) => { if (done === 2) stop.abort(); },
      });
      expect(summary.picked).toBe(2);
      expect(lines.some((l) => /: 4 claimed orders not started, let go for the next sweep$/.test(l))).toBe(true);
      const rows = await svc.database.rows<{ order_no: string; leased_by: string | null; lease_until: unknown; attempts: number; done_at: unknown }>(
        sql`select order_no, leased_by, lease_until, attempts, done_at from sweep_queue order by order_no`);
      expect(rows).toHaveLength(6);
      expect(rows.filter((r) => r.leased_by !== null || r.lease_until !== null)).toEqual([]);
      expect(rows.filter((r) => r.done_at !== null)).toHaveLength(2);
      expect(rows.filter((r) => r.done_at === null && Number(r.attempts) === 0)).toHaveLength(4);
      const [run] = await svc.database.rows<{ status: string; picked: number }>(sql`select status, picked from sweep_runs where id = ${summary.runId}`);
      expect(run).toMatchObject({ status: 'finished', picked: 2 });
      // the next sweep takes them at once
      expect((await runSweep(svc, { sweeperId: 'next', log: () => {} })).picked).toBe(4);
    } finally {
      await svc.close();
      await tdb.drop();
    }
  }, 60_000);
});

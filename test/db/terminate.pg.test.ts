/**
 * Issue 10, defect 1: Postgres drops every connection while buyers' checks are running
 * (`pg_terminate_backend`, as a failover or a pooler restart would) and the server must live through
 * it. postgres.js 3.4.9 used to throw from a `setImmediate` (`nextWrite`: `socket.write` on null)
 * and the process exited (src/db/postgres-guard.ts). The server runs in a child process, so a crash
 * shows as the child dying: it must still be alive, every request must get an answer (200, or 503
 * problem+json with Retry-After: never a dropped socket, never a 500), and once the terminations
 * stop, checks succeed again without a restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newMasterKey } from '../../src/crypto/secret-box.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { paidOrdersWorld, servicesWithWorld } from '../support/services.ts';

const PG = await requires('postgres');

const RUN_TS = fileURLToPath(new URL('../../bin/run-ts.js', import.meta.url));
const CHILD = fileURLToPath(new URL('./serve-child.ts', import.meta.url));
const ORDERS = 120;
const CLIENTS = 8;
const BURST_MS = 5_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Outcome {
  status: number | 'network';
  type?: string | null;
  retryAfter?: string | null;
  detail?: string;
}

describe.skipIf(!PG)('Postgres drops its connections under traffic', () => {
  let tdb: TestDatabase;
  let child: ChildProcess;
  let exited: Promise<string>;
  let stderr = '';
  let base = '';
  const world = paidOrdersWorld({ orders: ORDERS, stock: ORDERS });

  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 4);
    const cardKeySecret = newMasterKey();
    const svc = await servicesWithWorld(tdb.database, world, { CARD_KEY_SECRET: cardKeySecret });
    await svc.close();
    child = spawn(process.execPath, [RUN_TS, CHILD], {
      env: { PATH: process.env.PATH, DATABASE_URL: tdb.url, CARD_KEY_SECRET: cardKeySecret, FIXED_NOW: world.now, MAX_CONNECTIONS: '10' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr!.on('data', (d) => { stderr += String(d); });
    exited = new Promise((r) => child.on('exit', (code, signal) => r(`exit ${signal ?? code}`)));
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += String(d);
        const m = /\{"port":(\d+)\}/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      void exited.then((how) => reject(new Error(`the server child ended before listening (${how}): ${stderr}`)));
    });
    base = `http://127.0.0.1:${port}`;
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await tdb?.drop();
  });

  const check = async (i: number): Promise<Outcome> => {
    const orderNo = world.orders[i % ORDERS]!.orderNo;
    try {
      const res = await fetch(`${base}/api/v1/orders/${orderNo}/check`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ secret: '8462' }),
        signal: AbortSignal.timeout(30_000),
      });
      const body = await res.text();
      return { status: res.status, type: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after'), detail: body.slice(0, 200) };
    } catch (err) {
      return { status: 'network', detail: `${(err as Error).message} ${String((err as { cause?: unknown }).cause ?? '')}` };
    }
  };

  it('stays up, answers every request with 200 or 503, and recovers without a restart', async () => {
    const killer = postgres(tdb.url!, { max: 1, onnotice: () => {} });
    let terminated = 0;
    let stop = false;
    const killing = (async () => {
      while (!stop) {
        const rows = await killer`select pg_terminate_backend(pid) as ok from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
        terminated += rows.filter((r) => r.ok).length;
        await sleep(150 + Math.random() * 200);
      }
    })();

    const outcomes: Outcome[] = [];
    let next = 0;
    const until = Date.now() + BURST_MS;
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < until && child.exitCode === null) outcomes.push(await check(next++));
    }));
    stop = true;
    await killing;
    await killer.end();

    // alive: a crash would have ended the child by now (and said why on stderr)
    await sleep(500);
    const crash = /^.*(TypeError|triggerUncaughtException|Unhandled).*$/m.exec(stderr);
    const fatal = crash ? stderr.slice(crash.index, crash.index + 600) : null;
    expect({ exited: child.exitCode ?? child.signalCode, fatal }).toEqual({ exited: null, fatal: null });
    expect(terminated).toBeGreaterThan(10); // the backends really were being dropped

    const byStatus = outcomes.reduce<Record<string, number>>((acc, o) => ((acc[o.status] = (acc[o.status] ?? 0) + 1), acc), {});
    console.log(`terminate: ${outcomes.length} checks in ${BURST_MS} ms, ${terminated} backends terminated, answers ${JSON.stringify(byStatus)}`);
    expect(outcomes.length).toBeGreaterThanOrEqual(CLIENTS * 2); // a real burst, not a trickle
    expect(outcomes.filter((o) => o.status !== 200 && o.status !== 503)).toEqual([]);
    for (const o of outcomes.filter((x) => x.status === 503)) {
      expect(o.type).toBe('application/problem+json');
      expect(o.retryAfter).toBe('5');
      expect(JSON.parse(o.detail!)).toMatchObject({ code: 'unavailable', status: 503 });
    }

    // the terminations have stopped: checks succeed again, same process, no restart
    const started = performance.now();
    const after = await Promise.all(Array.from({ length: 16 }, (_, i) => check(i)));
    const recoveryMs = Math.round(performance.now() - started);
    console.log(`terminate: 16 checks after the terminations stopped: ${JSON.stringify(after.map((o) => o.status))} in ${recoveryMs} ms`);
    expect(after.map((o) => o.status)).toEqual(after.map(() => 200));
    expect(recoveryMs).toBeLessThan(10_000);
    expect(child.exitCode).toBeNull();
  }, 120_000);
});

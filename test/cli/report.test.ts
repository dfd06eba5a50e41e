/**
 * `order-doctor report` prints the console report page's sections (issue 11 item 5), computed by
 * the same function as /agent/report.json: the CLI's `--json` for a from/to period equals that
 * object; the human lines carry callback failures per gateway, SLA met per priority and per agent,
 * the buyers' answers. Bad periods are one line and exit 2. The command runs as a process against
 * a real Postgres database seeded here (skipped with a line locally without one; CI fails instead).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../../src/actions/audit.ts';
import { customerCheck } from '../../src/engine/customer-check.ts';
import { consoleReport } from '../../src/reports/console-report.ts';
import { BUYER_NOT_SOLVED, BUYER_SOLVED } from '../../src/reports/feedback.ts';
import { parsePeriod } from '../../src/reports/period.ts';
import type { Services } from '../../src/services.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { paidOrdersWorld, servicesWithWorld } from '../support/services.ts';
import { NO_LOG_CONTEXT } from '../../src/observability/context.ts';

const PG = await requires('postgres');
const run = promisify(execFile);
const DAY = '2026-11-22';

describe.skipIf(!PG)('order-doctor report', { timeout: 180_000 }, () => {
  let tdb: TestDatabase;
  let svc: Services;
  const tmp = mkdtempSync(join(tmpdir(), 'od-report-'));

  async function cli(args: string[]) {
    try {
      const { stdout, stderr } = await run('node', ['bin/order-doctor.js', 'report', ...args], {
        env: {
          PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: join(tmp, 'data'), DATABASE_URL: tdb.url!,
          CARD_KEY_SECRET: Buffer.alloc(32, 7).toString('base64'),
        },
        timeout: 120_000,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!);
    // three paid orders whose callbacks were lost, two keys in stock: two reissued, one escalated
    svc = await servicesWithWorld(tdb.database, paidOrdersWorld({ orders: 3, stock: 2 }));
    for (const n of [1, 2, 3]) {
      const r = await customerCheck(svc, { orderNo: `K202611220000${n}`, secret: '8462', ip: '10.0.0.1', logContext: NO_LOG_CONTEXT });
      if (!r.ok) throw new Error(r.error);
    }
    // the buyers' answers, as the page's feedback form records them
    for (const [no, action] of [['K2026112200001', BUYER_SOLVED], ['K2026112200002', BUYER_SOLVED], ['K2026112200003', BUYER_NOT_SOLVED]] as const) {
      await audit(svc.database.db, { at: svc.now(), actor: { kind: 'customer', id: '10.0.0.1' }, action, orderNo: no, detail: {} });
    }
  }, 120_000);
  afterAll(async () => {
    await svc?.close();
    await tdb?.drop();
  });

  it('--json is the console report of the same period: one line, the same object', async () => {
    const out = await cli(['--from', DAY, '--to', DAY, '--json']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const printed = JSON.parse(lines[0]!);
    const period = parsePeriod({ from: DAY, to: DAY }, new Date(), 'Asia/Shanghai');
    if (!period.ok) throw new Error(period.error);
    const page = JSON.parse(JSON.stringify(await consoleReport(svc.database, period.period)));
    expect(printed).toEqual(page);
    expect(Object.keys(printed)).toEqual(expect.arrayContaining(['selfService', 'keys', 'callbackFailures', 'sla', 'buyerAnswers']));
    expect(printed.callbackFailures).toEqual([{ channel: 'alipay', confirmed: 3, missed: 3, rate: 1 }]);
    expect(printed.buyerAnswers).toEqual({ solved: 2, notSolved: 1, rate: 2 / 3 });
    expect(printed.sla.byPriority.map((r: { key: string }) => r.key)).toEqual(['normal']);
  });

  it('the human report has every section of the page', async () => {
    const out = await cli(['--from', DAY, '--to', DAY]);
    expect(out.code).toBe(0);
    const text = out.stdout;
    expect(text).toContain(`(${DAY} to ${DAY}, Asia/Shanghai days)`);
    expect(text).toContain('self-service  2 of 3 orders checked by buyers closed without an agent (66.7%)');
    expect(text).toMatch(/keys issued {3}2 to 2 orders \(customer 2\); payment to key p50 \S+/);
    expect(text).toContain("callbacks     payments the gateway confirmed that the shop's records missed: alipay 3 of 3 (100.0%)");
    const running = 'first response - (0 met, 0 breached, 1 running); resolution - (0 met, 0 breached, 1 running)';
    expect(text).toContain(`    all          1 ticket: ${running}`);
    expect(text).toContain(`    normal       1 ticket: ${running}`);
    expect(text).toContain(`    unassigned   1 ticket: ${running}`);
    expect(text).toContain('buyers        2 solved, 1 not solved (66.7% solved)');
  });

  it('bad periods: one line, exit 2, nothing printed', async () => {
    for (const [args, message] of [
      [['--from', DAY], /report: Give both a from and a to date/],
      [['--since', '7d', '--from', DAY, '--to', DAY], /report: give --since, or --from and --to, not both/],
      [['--from', '2026-02-30', '--to', DAY], /The from date “2026-02-30” is not a date/],
      [['--from', '2026-11-23', '--to', DAY], /is after the to date/],
      [['--since', '7x'], /--since '7x': expected a window like 30m, 24h or 7d/],
    ] as const) {
      const out = await cli([...args]);
      expect(out.code).toBe(2);
      expect(out.stdout).toBe('');
      expect(out.stderr).toMatch(message);
      expect(out.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('order-doctor report, bad input without a database', () => {
  it('creates no data directory', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'od-report-bad-')), 'data');
    const out = await run('node', ['bin/order-doctor.js', 'report', '--from', '2026-13-01', '--to', '2026-13-02'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dir }, timeout: 60_000,
    }).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('The from date “2026-13-01” is not a date');
    expect(existsSync(dir)).toBe(false);
  });
});

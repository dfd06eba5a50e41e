/** The `order-doctor` command as a user runs it: exit codes, one-line errors, the --json contract. */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
/** each test starts the CLI as a process (tsx, PGlite): minutes, not seconds, on a loaded machine */
const SLOW = 120_000;
const tmp = mkdtempSync(join(tmpdir(), 'od-cli-'));

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run('node', ['bin/order-doctor.js', ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: join(tmp, 'data'), ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const scenario = JSON.parse(readFileSync('fixtures/scenarios/paid-callback-lost-alipay.json', 'utf8'));

describe('order-doctor scenarios', { timeout: SLOW }, () => {
  it('--json prints one line per check with the contract fields, exit 0', async () => {
    const out = await cli(['scenarios', 'fixtures/scenarios/paid-callback-lost-alipay.json', '--json']);
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(scenario.checks.length);
    for (const l of lines) {
      expect(Object.keys(l)).toEqual(expect.arrayContaining(['scenario', 'check', 'orderNo', 'as', 'verdict', 'action', 'suggested', 'error', 'keysHeld', 'ok']));
      expect(l.ok).toBe(true);
    }
    expect(lines[0]).toMatchObject({ verdict: 'PAID_NOT_DELIVERED', action: 'reissued', keysHeld: 1 });
  });

  it('exit 1 when an expectation differs', async () => {
    const wrong = { ...scenario, checks: [{ ...scenario.checks[0], expect: { verdict: 'NOT_PAID' } }] };
    writeFileSync(join(tmp, 'wrong.json'), JSON.stringify(wrong));
    const out = await cli(['scenarios', join(tmp, 'wrong.json'), '--json']);
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout.trim())).toMatchObject({ ok: false, verdict: 'PAID_NOT_DELIVERED' });
  });

  it('exit 2 on an invalid file, naming the JSON path', async () => {
    const bad = structuredClone(scenario);
    bad.orders[0].amountCents = 100.5;
    writeFileSync(join(tmp, 'bad.json'), JSON.stringify(bad));
    const out = await cli(['scenarios', join(tmp, 'bad.json')]);
    expect(out.code).toBe(2);
    expect(out.stderr.trim()).toMatch(/orders\[0\]\.amountCents: expected integer$/);
    expect(out.stdout).toBe('');
  });
});

describe('bad input: one line, non-zero exit', { timeout: SLOW }, () => {
  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['diagnose'], /usage: order-doctor diagnose/],
    [['diagnose', 'not an order'], /not an order number/],
    [['diagnose', 'K1234', '--colour'], /Unknown option '--colour'/],
    [['agents', 'create'], /--name/],
    [['scenarios', 'no/such/dir'], /no such file or directory/],
    [['report', '--since', '7x'], /--since '7x': expected a window like 30m, 24h or 7d/],
    [['report', 'weekly'], /unexpected argument 'weekly'/],
    [['migrate', 'extra'], /^order-doctor: migrate: unexpected argument 'extra'$/m],
    [['agents', 'create', 'extra', '--name', 'x'], /^order-doctor: agents create: unexpected argument 'extra'$/m],
    [['serve', 'now'], /^order-doctor: serve: unexpected argument 'now'$/m],
    [['sweep', 'all'], /^order-doctor: sweep: unexpected argument 'all'$/m],
    [['shop', 'check', 'twice'], /unknown subcommand 'check twice'/],
    [['scenarios', 'a.json', 'b.json'], /usage: order-doctor scenarios/],
    [['diagnose', 'K1234', 'K5678'], /usage: order-doctor diagnose/],
    [['help', 'me'], /^order-doctor: help: unexpected argument 'me'$/m],
  ])('%j', async (args, message) => {
    const out = await cli(args as string[]);
    expect(out.code).toBe(2);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toMatch(message);
  });

  it('nothing is written by a command refused for an extra argument', async () => {
    const dataDir = join(tmp, 'untouched');
    for (const args of [['migrate', 'extra'], ['agents', 'create', 'extra', '--name', 'x']]) {
      expect((await cli(args, { DATA_DIR: dataDir })).code).toBe(2);
    }
    expect(existsSync(dataDir)).toBe(false);
  });

  it('serve on a port another process holds: one line naming the address, exit 1, nothing left running', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const { port } = holder.address() as AddressInfo;
    try {
      const out = await cli(['serve'], { DATA_DIR: join(tmp, 'port-taken'), PORT: String(port), HOST: '127.0.0.1', SWEEP_INTERVAL: 'off' });
      expect(out.code).toBe(1);
      expect(out.stderr.trim().split('\n')).toEqual([`order-doctor: cannot listen on 127.0.0.1:${port}: the port is in use (another order-doctor?)`]);
      expect(out.stdout).not.toContain('listening');
    } finally {
      holder.close();
    }
  });

  it('a bad configuration value names the variable', async () => {
    const out = await cli(['diagnose', 'K1234'], { PORT: 'eighty' });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^order-doctor: PORT: /);
  });
});

describe('scenario and world paths that are not files', { timeout: SLOW }, () => {
  // each of these used to be read to the end: /dev/zero never ends, and the process aborted
  const zero = join(tmp, 'zero.json');
  symlinkSync('/dev/zero', zero);
  const dir = join(tmp, 'with-zero');
  mkdirSync(dir);
  writeFileSync(join(dir, 'a.json'), JSON.stringify(scenario));
  symlinkSync('/dev/zero', join(dir, 'b.json'));
  const fifo = join(tmp, 'fifo.json');
  execFileSync('mkfifo', [fifo]);
  const big = join(tmp, 'big.json');
  writeFileSync(big, Buffer.alloc(10 * 1024 * 1024 + 1, 0x20));

  it.each([
    [['scenarios', zero], `${zero}: not a regular file or directory`],
    [['scenarios', dir], `${join(dir, 'b.json')}: not a regular file`],
    [['scenarios', fifo], `${fifo}: not a regular file or directory`],
    [['scenarios', big], `${big}: larger than 10 MB`],
    [['serve', '--world', zero], `--world ${zero}: not a regular file`],
    [['serve', '--world', fifo], `--world ${fifo}: not a regular file`],
    [['serve', '--world', big], `--world ${big}: larger than 10 MB`],
  ])('%j: one line, exit 2', async (args, message) => {
    const dataDir = join(tmp, `never-${args.length}-${args[0]}`);
    const out = await cli(args as string[], { DATA_DIR: dataDir });
    expect(out.code).toBe(2);
    expect(out.stderr).toBe(`order-doctor: ${message}\n`);
    expect(out.stdout).toBe('');
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('order-doctor report', { timeout: SLOW }, () => {
  it('--json prints exactly one line: the outcome report of the window', async () => {
    const out = await cli(['report', '--since', '24h', '--json'], { DATA_DIR: join(tmp, 'report-data') });
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]!);
    // the console report page's object (reports/console-report.ts): the outcome report's fields, then the page's own
    expect(Object.keys(report)).toEqual(['since', 'until', 'diagnoses', 'selfService', 'keys', 'tickets', 'sweep', 'period', 'callbackFailures', 'sla', 'buyerAnswers', 'series']);
    expect(new Date(report.until).getTime() - new Date(report.since).getTime()).toBe(24 * 3_600_000);
  });
});

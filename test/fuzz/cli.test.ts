/**
 * Hostile input to the command line, property-based (issue 10, item 11): whatever the arguments,
 * `order-doctor` exits 0, 1 or 2, says what went wrong in ONE line on stderr (`order-doctor: ...`),
 * never prints a stack trace, and bad input (exit 2) is refused before anything is opened or written.
 *
 * In-process through runCli (a process per run would take seconds each), with console and the
 * standard streams captured, in an empty working directory. Two properties:
 * - any arguments, on a Postgres that refuses connections: a valid command gets as far as the
 *   database and stops there with one line (exit 1), so nothing can be written and nothing waits;
 * - arguments that are bad by construction, on the embedded database: exit 2 and its DATA_DIR is
 *   never even created (the command failed before it opened anything).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.ts';

const COMMANDS = ['serve', 'migrate', 'diagnose', 'sweep', 'report', 'scenarios', 'shop', 'agents', 'keys', 'stock', 'help', '--help', '-h'];
const FLAGS = ['--json', '--apply', '--dry-run', '--since', '--name', '--world', '--batch', '--role', '--', '-', '-x', '--help', '--since=', '--name=', '--batch=0', '--sku', '--sku='];
const SUBCOMMANDS = ['check', 'create', 'rotate', 'list', 'revoke', 'import'];

/** what a hostile user types: unicode, control characters, newlines, escapes, huge, path-like, flag-like */
const hostileWord = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{4,64}$/) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '', ' ', '\n', 'K1\nK2', 'K2026112210001\r\n', '\u001b[31mred', '\u0000', 'K2026\u0000112210001', '%00', '../../etc/passwd',
      '/dev/zero', '/dev/null', '/proc/self/mem', '/etc', '.', '..', '~', '$(id)', '`id`', "'; drop table orders; --",
      '7d', '0d', '99999d', '-1m', '1e3m', '７d', 'K'.repeat(65), '🙂'.repeat(10), '\u2028', '\u202e', 'NaN', '--json=1',
    ),
  },
  { weight: 1, arbitrary: fc.string({ minLength: 2000, maxLength: 5000 }) },
);

const anyArgv = fc.tuple(
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...COMMANDS) }, { weight: 1, arbitrary: hostileWord }),
  fc.array(fc.oneof(fc.constantFrom(...FLAGS), fc.constantFrom(...SUBCOMMANDS), hostileWord), { maxLength: 5 }),
).map(([command, rest]) => [command, ...rest]);

/** Arguments no command accepts: each is refused by its own parsing, before any database. */
const badArgv = fc.oneof(
  // an unknown command
  hostileWord.filter((w) => !COMMANDS.includes(w)).map((w) => [w]),
  // a known command with an option it does not have
  fc.tuple(fc.constantFrom(...COMMANDS.filter((c) => !c.startsWith('-') && c !== 'help')), fc.constantFrom('--colour', '--force', '-z', '--sincee', '--jsn'))
    .map(([c, flag]) => (c === 'shop' ? [c, 'check', flag] : c === 'agents' ? [c, 'create', '--name', 'x', flag] : c === 'keys' ? [c, 'rotate', flag] : c === 'stock' ? [c, 'import', '--sku', 'S', 'f.txt', flag] : [c, flag])),
  // an argument where none is taken
  fc.tuple(fc.constantFrom('serve', 'migrate', 'sweep', 'report'), hostileWord.filter((w) => !w.startsWith('-') && w !== ''))
    .map(([c, w]) => [c, w]),
  // not an order number
  hostileWord.filter((w) => !/^[A-Za-z0-9_-]{4,64}$/.test(w) && !w.startsWith('-')).map((w) => ['diagnose', w]),
  // not a window
  hostileWord.filter((w) => !/^(\d{1,4})(m|h|d)$/.test(w) || /^0+[mhd]$/.test(w)).map((w) => ['report', `--since=${w}`]),
  // no name, or a blank one
  fc.constantFrom(['agents', 'create'], ['agents', 'create', '--name', ' '], ['agents', 'create', '--name', 'a\nb'], ['agents', 'create', '--name', '\u001b[2J'], ['agents'], ['agents', 'delete'], ['keys'], ['keys', 'rotate', '--batch', '0'], ['shop'], ['shop', 'inspect'], ['stock'], ['stock', 'export'], ['stock', 'import', 'f.txt'], ['stock', 'import', '--sku', 'S'], ['stock', 'import', '--sku', 'S', 'no-such-file.txt'], ['stock', 'import', '--sku', 'S', '/dev/zero']),
);

interface Run {
  code: number;
  out: string;
  err: string;
}

/** runCli with everything it prints captured. */
async function cli(argv: readonly string[]): Promise<Run> {
  let out = '';
  let err = '';
  const text = (args: unknown[]) => `${args.map(String).join(' ')}\n`;
  const spies = [
    vi.spyOn(console, 'log').mockImplementation((...a) => { out += text(a); }),
    vi.spyOn(console, 'info').mockImplementation((...a) => { out += text(a); }),
    vi.spyOn(console, 'error').mockImplementation((...a) => { err += text(a); }),
    vi.spyOn(console, 'warn').mockImplementation((...a) => { err += text(a); }),
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => { out += String(chunk); return true; }),
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => { err += String(chunk); return true; }),
  ];
  try {
    const code = await runCli([...argv]);
    return { code, out, err };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

/** One line (`order-doctor: ...`), no stack frames, nothing on stdout. */
function expectOneLineError(r: Run, argv: readonly string[]): void {
  const what = JSON.stringify(argv).slice(0, 300);
  const lines = r.err.replace(/\n$/, '').split('\n');
  expect(lines, `${what}: ${r.err.slice(0, 500)}`).toHaveLength(1);
  expect(lines[0], what).toMatch(/^order-doctor: \S/);
  expect(r.err, what).not.toMatch(/\n\s+at |\bat .*\.(?:ts|js):\d+/);
}

const cwd = process.cwd();
const saved = { DATABASE_URL: process.env.DATABASE_URL, TEST_DATABASE_URL: process.env.TEST_DATABASE_URL, DATA_DIR: process.env.DATA_DIR, SHOP: process.env.SHOP };
let work: string;

beforeAll(() => {
  // an empty directory: no path a hostile argument names can be one of ours
  work = mkdtempSync(join(tmpdir(), 'od-fuzz-cli-'));
  process.chdir(work);
  delete process.env.SHOP;
});
afterEach(() => {
  process.env.DATABASE_URL = saved.DATABASE_URL;
  process.env.DATA_DIR = saved.DATA_DIR;
  if (saved.DATABASE_URL === undefined) delete process.env.DATABASE_URL;
  if (saved.DATA_DIR === undefined) delete process.env.DATA_DIR;
});
afterAll(() => {
  process.chdir(cwd);
  if (saved.SHOP !== undefined) process.env.SHOP = saved.SHOP;
  rmSync(work, { recursive: true, force: true });
});

describe('the command line under hostile arguments (security)', () => {
  it('any arguments: exit 0, 1 or 2; a failure is one line and never a stack trace', async () => {
    // a valid command reaches the database, which refuses: one line, exit 1, nothing written
    process.env.DATABASE_URL = 'postgres://fuzz@127.0.0.1:1/none';
    process.env.DATA_DIR = join(work, 'pg-data');
    const codes = { 0: 0, 1: 0, 2: 0 } as Record<number, number>;
    await fc.assert(
      fc.asyncProperty(anyArgv, async (argv) => {
        const r = await cli(argv);
        expect([0, 1, 2], JSON.stringify(argv)).toContain(r.code);
        codes[r.code]!++;
        if (r.code === 0) expect(r.err).toBe('');
        else expectOneLineError(r, argv);
        if (r.code === 1) expect(r.err).toMatch(/ECONNREFUSED|connect/); // only the database stops a valid command here
      }),
      { numRuns: 500 },
    );
    // the runs reached every outcome: refused input, a command that got as far as the database, help
    expect(codes[2]).toBeGreaterThan(0);
    expect(codes[1]).toBeGreaterThan(0);
  }, 60_000);

  it('bad arguments: exit 2, one line, and the database is never opened', async () => {
    delete process.env.DATABASE_URL;
    delete process.env.TEST_DATABASE_URL;
    const dataDir = join(work, 'embedded');
    process.env.DATA_DIR = dataDir;
    await fc.assert(
      fc.asyncProperty(badArgv, async (argv) => {
        const r = await cli(argv);
        expect(r.code, `${JSON.stringify(argv)}: ${r.err}`).toBe(2);
        expectOneLineError(r, argv);
        expect(r.out).toBe('');
        expect(existsSync(dataDir), `${JSON.stringify(argv)} opened DATA_DIR`).toBe(false);
      }),
      { numRuns: 200 },
    );
    if (saved.TEST_DATABASE_URL !== undefined) process.env.TEST_DATABASE_URL = saved.TEST_DATABASE_URL;
  }, 60_000);
});

describe('counterexamples the properties found (kept as examples)', () => {
  it.each([
    [['diagnose', 'K1\nK2']],
    [['report', '--since', '1\n2']],
    [['scenarios', 'a\nb.json']],
    [['\u001b[31mred']],
    [['agents', 'create', '--name', 'a\nb']],
  ])('%j: one line, control characters shown escaped', async (argv) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expectOneLineError(r, argv);
    expect(r.err).not.toContain('\u001b');
  });
});

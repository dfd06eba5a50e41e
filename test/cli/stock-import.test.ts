/**
 * `order-doctor stock import --sku S FILE`: counts and line numbers (added, duplicates in the file,
 * already in the database, refused), keys sealed at rest and openable with the box, no key ever in
 * stdout, stderr or the audit log, refusals (unknown sku, a connected shop, a bad file) and
 * --dry-run writing nothing, two racing imports adding each key once on real Postgres, and a
 * waiting out-of-stock order getting its key at the next sweep.
 */
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { loadConfig, type Env } from '../../src/config.ts';
import { newMasterKey } from '../../src/crypto/secret-box.ts';
import type { Services } from '../../src/services.ts';
import { importStock, parseKeyLines } from '../../src/actions/stock-import.ts';
import { runSweep } from '../../src/jobs/sweep.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { paidOrdersWorld, servicesWithWorld, withConfiguredServices } from '../support/services.ts';

const SLOW = 120_000;
const root = mkdtempSync(join(tmpdir(), 'od-stock-'));
const KEY = newMasterKey();
/** already in the world's stock (paidOrdersWorld): S100-TEST-00000, S100-TEST-00001 */
const WORLD = paidOrdersWorld({ orders: 1, stock: 2 });

const FILE = [
  '# 卡密 export, one per line', //  1
  'CARD-AAAA-0001', //  2 added
  '  CARD-AAAA-0002  ', //  3 added (trimmed)
  '', //  4 blank
  'CARD-AAAA-0001', //  5 duplicate in file
  'CARD-BBBB-0003 PASS-9999', //  6 added ("card password")
  'CARD-CCCC-0004----PASS-8888', //  7 added ("card----password")
  'S100-TEST-00000', //  8 already in the database
  'BAD\u0007BELL-KEY', //  9 refused: control character
  'X'.repeat(513), // 10 refused: too long
  'CARD-AAAA-0002\r', // 11 duplicate in file (CRLF)
  'SECRET-\u001b[31m-ESC', // 12 refused: control character
].join('\n') + '\n';
const ADDED = ['CARD-AAAA-0001', 'CARD-AAAA-0002', 'CARD-BBBB-0003 PASS-9999', 'CARD-CCCC-0004----PASS-8888'];
const ALL_SECRETS = [...ADDED, 'S100-TEST-00000', 'BELL-KEY', 'X'.repeat(40), 'SECRET-'];

function file(name: string, text: string): string {
  const p = join(root, name);
  writeFileSync(p, text);
  return p;
}

interface Run { code: number; out: string; err: string }

/** runCli with everything it prints captured. */
async function cli(argv: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const text = (args: unknown[]) => `${args.map(String).join(' ')}\n`;
  const spies = [
    vi.spyOn(console, 'log').mockImplementation((...a) => { out += text(a); }),
    vi.spyOn(console, 'error').mockImplementation((...a) => { err += text(a); }),
    vi.spyOn(console, 'warn').mockImplementation((...a) => { err += text(a); }),
    vi.spyOn(process.stdout, 'write').mockImplementation((c) => { out += String(c); return true; }),
    vi.spyOn(process.stderr, 'write').mockImplementation((c) => { err += String(c); return true; }),
  ];
  try {
    return { code: await runCli(argv), out, err };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

function expectNoSecret(text: string) {
  for (const s of ALL_SECRETS) expect(text).not.toContain(s);
}

const saved = { ...process.env };
afterAll(() => {
  for (const k of ['DATABASE_URL', 'DATA_DIR', 'SHOP', 'SHOP_DATABASE_URL', 'CARD_KEY_SECRET', 'SANDBOX', 'RATE_LIMITS']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  rmSync(root, { recursive: true, force: true });
});

describe('parseKeyLines', () => {
  it('trims, skips blanks and comments, keeps whole lines, refuses by line number', () => {
    const p = parseKeyLines(FILE);
    expect(p.keys).toEqual([
      { line: 2, secret: 'CARD-AAAA-0001' }, { line: 3, secret: 'CARD-AAAA-0002' },
      { line: 6, secret: 'CARD-BBBB-0003 PASS-9999' }, { line: 7, secret: 'CARD-CCCC-0004----PASS-8888' },
      { line: 8, secret: 'S100-TEST-00000' },
    ]);
    expect(p.duplicateLines).toEqual([5, 11]);
    expect(p.refused).toEqual([{ line: 9, reason: 'control_character' }, { line: 10, reason: 'too_long' }, { line: 12, reason: 'control_character' }]);
    expect(p.lines).toBe(12);
    expect(parseKeyLines('\uFEFFKEY-1\r\nKEY-\uFFFD\r\n').refused).toEqual([{ line: 2, reason: 'not_utf8' }]);
    expect(parseKeyLines('').keys).toEqual([]);
  });
});

describe('stock import from the command line', { timeout: SLOW }, () => {
  let env: Env;
  let pg: TestDatabase | undefined;

  /** the test's database opened in this process for `fn` (PGlite: holding DATA_DIR's lock meanwhile) */
  async function inProcess<T>(fn: (svc: Services) => Promise<T>, world?: unknown): Promise<T> {
    return withConfiguredServices(loadConfig(env), fn, (database) => servicesWithWorld(database, world ?? WORLD, env));
  }
  const withDb = <T>(fn: (svc: Services) => Promise<T>): Promise<T> => withConfiguredServices(loadConfig(env), fn);
  const counts = (svc: Services) => svc.database.rows<{ stock: number; audit: number }>(sql`
    select (select count(*)::int from stock_keys) as stock,
           (select count(*)::int from audit_log where action = 'stock_imported') as audit`).then((r) => r[0]!);

  beforeAll(async () => {
    if (POSTGRES_URL) pg = await freshPostgres(POSTGRES_URL, 4);
    env = pg
      ? { DATABASE_URL: pg.url!, CARD_KEY_SECRET: KEY, RATE_LIMITS: 'off', SANDBOX: 'on' }
      : { DATA_DIR: join(root, 'data'), CARD_KEY_SECRET: KEY, RATE_LIMITS: 'off', SANDBOX: 'on' };
  });
  afterAll(async () => {
    if (pg) await pg.drop();
  });
  afterEach(() => {
    delete process.env.SHOP;
    delete process.env.SHOP_DATABASE_URL;
  });
  function useEnv(extra: Record<string, string> = {}) {
    delete process.env.DATABASE_URL;
    delete process.env.DATA_DIR;
    Object.assign(process.env, env, extra);
  }

  it('adds, skips and refuses by line number; --json is one line; keys sealed, openable, never printed or audited', async () => {
    await inProcess(async () => {});
    useEnv();
    const path = file('keys.txt', FILE);
    const r = await cli(['stock', 'import', '--sku', 'STEAM-100', path, '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(1);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({
      sku: 'STEAM-100', dryRun: false, lines: 12, added: 4, duplicatesInFile: [5, 11], alreadyPresent: [8],
      refused: [{ line: 9, reason: 'control_character' }, { line: 10, reason: 'too_long' }, { line: 12, reason: 'control_character' }],
      transactions: 1,
    });
    expectNoSecret(r.out);

    // the same file again: everything already there, the human summary names the lines
    const again = await cli(['stock', 'import', '--sku', 'STEAM-100', path]);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/0 keys added from 12 lines, in one transaction/);
    expect(again.out).toMatch(/already in the database: 5 \(lines 2, 3, 6, 7, 8\)/);
    expect(again.out).toMatch(/duplicates in the file: 2 \(lines 5, 11\)/);
    expect(again.out).toMatch(/a control character: 2 \(lines 9, 12\)/);
    expectNoSecret(again.out + again.err);

    await withDb(async (svc) => {
      const rows = await svc.database.rows<{ secret_enc: string; secret_hash: string; sku: string; status: string }>(sql`
        select secret_enc, secret_hash, sku, status from stock_keys order by id`);
      expect(rows).toHaveLength(2 + 4);
      const opened = [];
      for (const row of rows) {
        for (const s of ALL_SECRETS) expect(row.secret_enc).not.toContain(s);
        const secret = await svc.box.decrypt(row.secret_enc);
        expect(row.secret_hash).toBe(await svc.box.keyHash(secret));
        expect(row).toMatchObject({ sku: 'STEAM-100', status: 'available' });
        opened.push(secret);
      }
      expect(opened.sort()).toEqual([...ADDED, 'S100-TEST-00000', 'S100-TEST-00001'].sort());
      const audits = await svc.database.rows<{ actor_kind: string; actor_id: string; detail: unknown }>(sql`
        select actor_kind, actor_id, detail from audit_log where action = 'stock_imported' order by id`);
      expect(audits).toHaveLength(2);
      expect(audits[0]).toMatchObject({
        actor_kind: 'system', actor_id: expect.stringMatching(/^cli:/),
        detail: { sku: 'STEAM-100', lines: 12, added: 4, duplicatesInFile: 2, alreadyPresent: 1, refused: 3 },
      });
      expectNoSecret(JSON.stringify(audits));
    });
  });

  it('--dry-run reports what would happen and writes nothing', async () => {
    await inProcess(async () => {});
    useEnv();
    const r = await cli(['stock', 'import', '--sku', 'STEAM-100', file('dry.txt', FILE), '--dry-run', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ dryRun: true, added: 4, alreadyPresent: [8], duplicatesInFile: [5, 11], transactions: 0 });
    const human = await cli(['stock', 'import', '--sku', 'STEAM-100', file('dry.txt', FILE), '--dry-run']);
    expect(human.out).toMatch(/dry run: nothing written\): 4 keys would be added/);
    expectNoSecret(r.out + human.out + human.err);
    await withDb(async (svc) => expect(await counts(svc)).toEqual({ stock: 2, audit: 0 }));
  });

  it('an unknown sku: exit 2, one line, nothing written', async () => {
    await inProcess(async () => {});
    useEnv();
    for (const json of [[], ['--json'], ['--dry-run']]) {
      const r = await cli(['stock', 'import', '--sku', 'NO-SUCH', file('k.txt', FILE), ...json]);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/^order-doctor: --sku 'NO-SUCH': no such product in the built-in store\n$/);
    }
    await withDb(async (svc) => expect(await counts(svc)).toEqual({ stock: 2, audit: 0 }));
  });

  it('SHOP=dujiaoka: exit 2, one line, stock is managed in the shop; nothing opened', async () => {
    useEnv({ SHOP: 'dujiaoka', SHOP_DATABASE_URL: 'mysql://nobody@127.0.0.1:1/none' });
    const r = await cli(['stock', 'import', '--sku', 'STEAM-100', file('k.txt', FILE)]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^order-doctor: stock import: SHOP=dujiaoka: stock is managed in the shop[^\n]*\n$/);
  });

  it.each([
    [['stock'], /usage: order-doctor stock import/],
    [['stock', 'export'], /stock: unknown subcommand 'export'/],
    [['stock', 'import', 'x.txt'], /--sku is required/],
    [['stock', 'import', '--sku', 'STEAM-100'], /usage: order-doctor stock import/],
    [['stock', 'import', '--sku', 'a\nb', 'x.txt'], /--sku 'a\\nb': expected/],
    [['stock', 'import', '--sku', 'STEAM-100', '/dev/zero'], /\/dev\/zero: not a regular file$/],
    [['stock', 'import', '--sku', 'STEAM-100', join(root, 'missing.txt')], /missing\.txt: no such file or directory$/],
    [['stock', 'import', '--sku', 'STEAM-100', root], /not a regular file$/],
    [['stock', 'import', '--sku', 'STEAM-100', '/proc/self/mem'], /\/proc\/self\/mem: cannot read \(EIO\)$/],
    [['stock', 'import', '--sku', 'STEAM-100', join(root, 'huge.txt')], /huge\.txt: larger than 10 MB$/],
    [['stock', 'import', '--sku', 'STEAM-100', 'x.txt', '--force'], /Unknown option '--force'/],
  ])('bad input %j: exit 2, one line', async (argv, message) => {
    // a sparse file just over the cap
    if (!existsSync(join(root, 'huge.txt'))) { writeFileSync(join(root, 'huge.txt'), ''); truncateSync(join(root, 'huge.txt'), 10 * 1024 * 1024 + 1); }
    useEnv({ DATA_DIR: join(root, 'never') });
    delete process.env.DATABASE_URL;
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(existsSync(join(root, 'never')), 'opened DATA_DIR').toBe(false);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err.trimEnd()).toMatch(message);
  });

  it("keys leave in the file's order, though they go in by hash order; a second import's after the first's", async () => {
    const world = paidOrdersWorld({ orders: 1, stock: 0 });
    const actor = { kind: 'system' as const, id: 'test' };
    const first = Array.from({ length: 40 }, (_, i) => `FIFO-A-${String(39 - i).padStart(3, '0')}`);
    const second = ['FIFO-B-2', 'FIFO-B-1'];
    await inProcess(async (svc) => {
      for (const keys of [first, second]) {
        const r = await importStock(svc, { sku: 'STEAM-100', parsed: parseKeyLines(`${keys.join('\n')}\n`), dryRun: false, actor });
        expect(r.added).toBe(keys.length);
      }
      // the order every claim of available stock uses (shops/builtin: deliver, lookup)
      const rows = await svc.database.rows<{ secret_enc: string }>(sql`
        select secret_enc from stock_keys where sku = 'STEAM-100' and status = 'available' order by added_at, id`);
      const order = await Promise.all(rows.map((r) => svc.box.decrypt(r.secret_enc)));
      expect(order).toEqual([...first, ...second]);
      // and the hash order differs from the file's, so this holds only because of the ids
      const hashes = new Map(await Promise.all(first.map(async (k) => [k, await svc.box.keyHash(k)] as const)));
      const byHash = [...first].sort((a, b) => (hashes.get(a)! < hashes.get(b)! ? -1 : 1));
      expect(byHash).not.toEqual(first);
    }, world);
  });

  it('a waiting out-of-stock order gets an imported key at the next sweep', async () => {
    const world = paidOrdersWorld({ orders: 1, stock: 0 });
    await inProcess(async (svc) => {
      const first = await runSweep(svc, { sweeperId: 'test-1', log: () => {} });
      expect(first.byVerdict).toMatchObject({ OUT_OF_STOCK: 1 });
      // not due again by the backoff, and no stock: nothing to pick
      expect((await runSweep(svc, { sweeperId: 'test-2', log: () => {} })).picked).toBe(0);
      const r = await importStock(svc, {
        sku: 'STEAM-100', parsed: parseKeyLines('RESTOCK-KEY-0001\n'), dryRun: false, actor: { kind: 'system', id: 'test' },
      });
      expect(r).toMatchObject({ added: 1, wokenOrders: 1 });
      // the same clock: due now, and its product has stock
      const next = await runSweep(svc, { sweeperId: 'test-3', log: () => {} });
      expect(next.byAction).toMatchObject({ reissued: 1 });
      const [key] = await svc.database.rows<{ secret_enc: string }>(sql`
        select i.secret_enc from issued_keys i join orders o on o.id = i.order_id
         where o.order_no = ${world.orders[0]!.orderNo} and i.status = 'delivered'`);
      expect(await svc.box.decrypt(key!.secret_enc)).toBe('RESTOCK-KEY-0001');
    }, world);
  });
});

const PG = await requires('postgres');

describe.skipIf(!PG)('two imports racing on real Postgres', { timeout: SLOW }, () => {
  let db: TestDatabase;
  let svc: Services;
  beforeAll(async () => {
    db = await freshPostgres(POSTGRES_URL!, 10);
    svc = await servicesWithWorld(db.database, paidOrdersWorld({ orders: 1, stock: 2 }), { CARD_KEY_SECRET: KEY });
  });
  afterAll(async () => {
    await svc?.close();
    await db?.drop();
  });

  it('overlapping files (in opposite orders) add each key once, and each import reports the rest as present', async () => {
    for (let round = 0; round < 3; round++) {
      const keys = Array.from({ length: 1500 }, (_, i) => `RACE-${round}-${String(i).padStart(5, '0')}`);
      const a = keys.slice(0, 1000);
      const b = keys.slice(500).reverse();
      const actor = { kind: 'system' as const, id: 'test' };
      const [ra, rb] = await Promise.all([
        importStock(svc, { sku: 'STEAM-100', parsed: parseKeyLines(a.join('\n')), dryRun: false, actor }),
        importStock(svc, { sku: 'STEAM-100', parsed: parseKeyLines(b.join('\n')), dryRun: false, actor }),
      ]);
      expect(ra.added + rb.added).toBe(1500);
      expect(ra.added + ra.alreadyPresent.length).toBe(1000);
      expect(rb.added + rb.alreadyPresent.length).toBe(1000);
      const [n] = await svc.database.rows<{ n: number; distinct: number }>(sql`
        select count(*)::int as n, count(distinct secret_hash)::int as distinct from stock_keys where sku = 'STEAM-100'`);
      expect(n).toEqual({ n: 2 + 1500 * (round + 1), distinct: 2 + 1500 * (round + 1) });
    }
  });
});

/**
 * `order-doctor keys rotate` as an operator runs it, on the embedded database in DATA_DIR: a world
 * sealed under key A, then B configured with A as an older key; the dry run, the rotation (its
 * summary), and afterwards, with A gone, a buyer's check and an agent's token that still work. A
 * value under a key nobody configured: exit 2, one line naming the row.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Env } from '../../src/config.ts';
import { createSecretBox, keyIdOf, newMasterKey, sealedKeyId } from '../../src/crypto/secret-box.ts';
import { SEALED_COLUMNS } from '../../src/crypto/rotate.ts';
import { createServices, type Services } from '../../src/services.ts';
import { customerCheck, revealKeys } from '../../src/engine/customer-check.ts';
import { authenticateAgent, createAgent } from '../../src/engine/agents.ts';
import { paidOrdersWorld, servicesWithWorld, withConfiguredServices } from '../support/services.ts';
import { NO_LOG_CONTEXT } from '../../src/observability/context.ts';

const run = promisify(execFile);
/** each test starts the CLI as a process (tsx, PGlite) */
const SLOW = 120_000;
const root = mkdtempSync(join(tmpdir(), 'od-keys-'));
const dataDir = join(root, 'data');
const A = newMasterKey();
const B = newMasterKey();
const ROTATED = { CARD_KEY_SECRET: B, CARD_KEY_SECRETS_OLD: A, CARD_KEY_HASH_SECRET: A };

async function cli(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run('node', ['bin/order-doctor.js', ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, ...env }, timeout: SLOW,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The embedded database in DATA_DIR, opened in this process (holding its lock) for `fn`. */
async function inProcess<T>(env: Env, fn: (svc: Services) => Promise<T>, world?: unknown): Promise<T> {
  const config = loadConfig({ DATA_DIR: dataDir, CHECKER_TIMEOUT_MS: '2000', RATE_LIMITS: 'off', ...env });
  return withConfiguredServices(config, fn, (database) => world
    ? servicesWithWorld(database, world, env)
    : createServices(config, { database, migrated: true, now: () => new Date(WORLD.now) }));
}

const WORLD = paidOrdersWorld({ orders: 3, stock: 6 });

async function checkKeys(svc: Services, orderNo: string) {
  const out = await customerCheck(svc, { orderNo, secret: '8462', logContext: NO_LOG_CONTEXT });
  if (!out.ok) throw new Error(`${orderNo}: verification failed`);
  return { verdict: out.result.verdict, keys: (await revealKeys(svc, { lookup: out.lookup, via: 'api' })).map((k) => k.secret) };
}

async function keyIds(svc: Services): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (const c of SEALED_COLUMNS) {
    const rows = await svc.database.rows<{ v: string }>(
      sql`select ${sql.identifier(c.column)} as v from ${sql.identifier(c.table)} where ${sql.identifier(c.column)} is not null`);
    out.push(...rows.map((r) => sealedKeyId(r.v)));
  }
  return out;
}

describe('order-doctor keys rotate', { timeout: SLOW }, () => {
  let token: string;
  let keys: string[];

  beforeAll(async () => {
    // under A: the world, a buyer's check that reissues a key, an agent
    [token, keys] = await inProcess({ CARD_KEY_SECRET: A, SANDBOX: 'on' }, async (svc) => {
      const first = await checkKeys(svc, 'K2026112200001');
      expect(first.verdict).toBe('PAID_NOT_DELIVERED');
      return [(await createAgent(svc, 'ops')).token, first.keys] as const;
    }, WORLD);
  }, SLOW);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('--dry-run: counts what would move and writes nothing', async () => {
    const out = await cli(['keys', 'rotate', '--dry-run'], ROTATED);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`keys rotate (dry run: nothing written): 7 values to re-encrypt under key id ${await keyIdOf(B)}`);
    expect(out.stdout).toMatch(/^ +stock_keys +6$/m);
    expect(out.stdout).toContain(`now under: key id ${await keyIdOf(A)} 7`);
  });

  it('rotates everything in batches, prints the summary; with A dropped, checks and tokens still work', async () => {
    const out = await cli(['keys', 'rotate', '--batch', '2'], ROTATED);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('re-encrypted stock_keys: 6');
    expect(out.stdout).toMatch(new RegExp(`^keys rotate: 7 values re-encrypted under key id ${await keyIdOf(B)} in 4 batches`, 'm'));
    expect(out.stdout).toMatch(/^ +issued_keys +1$/m);
    expect(out.stdout).toMatch(/^ {2}left under old keys: 0$/m);
    expect(out.stdout).not.toContain('S100-TEST');

    // idempotent: a second run finds nothing
    const again = await cli(['keys', 'rotate'], ROTATED);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^keys rotate: 0 values re-encrypted/m);

    await inProcess({ CARD_KEY_SECRET: B, CARD_KEY_HASH_SECRET: A }, async (svc) => {
      expect(new Set(await keyIds(svc))).toEqual(new Set([await keyIdOf(B)]));
      expect(await checkKeys(svc, 'K2026112200001')).toEqual({ verdict: 'DELIVERED', keys });
      expect((await checkKeys(svc, 'K2026112200002')).verdict).toBe('PAID_NOT_DELIVERED');
      expect(await authenticateAgent(svc, token)).toMatchObject({ name: 'ops' });
      const audits = await svc.database.rows<{ actor_kind: string; detail: { left: number } }>(
        sql`select actor_kind, detail from audit_log where action = 'keys_rotated' order by id`);
      expect(audits).toHaveLength(2);
      expect(audits[0]).toMatchObject({ actor_kind: 'system', detail: { left: 0 } });
    });
  });

  it('a value under a key not configured: exit 2, one line naming the table and row, never the value', async () => {
    const stranger = await createSecretBox(newMasterKey());
    const sealed = await stranger.encrypt('S100-STRANGER-KEY');
    const id = await inProcess({ CARD_KEY_SECRET: B, CARD_KEY_HASH_SECRET: A }, async (svc) => {
      const [row] = await svc.database.rows<{ id: string }>(sql`
        insert into stock_keys (sku, secret_enc, secret_hash, added_at) values ('STEAM-100', ${sealed}, 'h', now()) returning id::text as id`);
      return row!.id;
    });
    const C = newMasterKey();
    const out = await cli(['keys', 'rotate'], { CARD_KEY_SECRET: C, CARD_KEY_SECRETS_OLD: B, CARD_KEY_HASH_SECRET: A });
    expect(out.code).toBe(2);
    expect(out.stderr).toBe(
      `order-doctor: keys rotate: stock_keys row ${id}: secret_enc is sealed under key id ${stranger.keyId}, which is not configured: ` +
        `add the key with id ${stranger.keyId} to CARD_KEY_SECRETS_OLD and run again\n`);
    expect(out.stdout).not.toContain('re-encrypted');
    await inProcess({ CARD_KEY_SECRET: B, CARD_KEY_HASH_SECRET: A }, async (svc) => {
      // nothing moved to C
      expect((await keyIds(svc)).includes(await keyIdOf(C))).toBe(false);
    });
  });

  it('B without the hash key: refuses at start, naming CARD_KEY_HASH_SECRET', async () => {
    const out = await cli(['keys', 'rotate', '--dry-run'], { CARD_KEY_SECRET: B });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^order-doctor: CARD_KEY_HASH_SECRET: the hashes in the database were made with another key than CARD_KEY_SECRET/);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [['keys'], /^order-doctor: usage: order-doctor keys rotate \[--batch N\] \[--dry-run\]$/],
    [['keys', 'rotate', 'now'], /^order-doctor: keys rotate: unexpected argument 'now'$/],
    [['keys', 'rotate', '--batch', '0'], /^order-doctor: --batch '0': expected a number of rows from 1 to 10000$/],
  ])('bad input %j: one line, exit 2', async (args, message) => {
    const out = await cli(args, ROTATED);
    expect(out.code).toBe(2);
    expect(out.stderr.trim()).toMatch(message);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('CARD_KEY_SECRETS_OLD that is not a key: one line naming it, exit 2', async () => {
    const out = await cli(['keys', 'rotate'], { ...ROTATED, CARD_KEY_SECRETS_OLD: `${A},not-a-key` });
    expect(out.code).toBe(2);
    expect(out.stderr).toBe('order-doctor: CARD_KEY_SECRETS_OLD: key 2: expected base64 of 32 bytes\n');
  });
});

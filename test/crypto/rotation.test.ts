/**
 * Rotating the card-key master key on a real world: rows sealed under key A; B configured as the
 * current key with A as an older one: everything still opens and new writes are under B; `keys
 * rotate` (resumed after a first slice) leaves nothing under A; with A dropped everything still
 * opens; the keyed hashes never change, so buyers' checks and agents' tokens work throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, getTableColumns, getTableName, sql } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { loadConfig, ConfigError, type Env } from '../../src/config.ts';
import * as schema from '../../src/db/schema.ts';
import { auditLog, mailOutbox } from '../../src/db/schema.ts';
import { keyIdOf, newMasterKey, sealedKeyId } from '../../src/crypto/secret-box.ts';
import { rotateKeys, RotationRefused, SEALED_COLUMNS } from '../../src/crypto/rotate.ts';
import { createServices, type Services } from '../../src/services.ts';
import { customerCheck, revealKeys } from '../../src/engine/customer-check.ts';
import { authenticateAgent, createAgent } from '../../src/engine/agents.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { servicesWithWorld } from '../support/services.ts';
import { NO_LOG_CONTEXT } from '../../src/observability/context.ts';

const A = newMasterKey();
const B = newMasterKey();

const world = {
  now: '2026-11-22T10:00:00+08:00',
  products: [
    { sku: 'STEAM-100', title: 'Steam 钱包充值卡 100元', priceCents: 10000, fulfilment: 'stock', deliveryWindowMinutes: 10 },
    { sku: 'QB-50', title: '腾讯Q币 50个', priceCents: 5000, fulfilment: 'stock', deliveryWindowMinutes: 5 },
  ],
  stock: [
    { sku: 'STEAM-100', keys: Array.from({ length: 8 }, (_, i) => `S100-RT${String(i).padStart(2, '0')}-7QJ2-PSDC`) },
    { sku: 'QB-50', keys: ['QB50-MI03-5QHV-H5SR'] },
  ],
  orders: [
    {
      orderNo: 'K2026112200011', sku: 'STEAM-100', quantity: 1, amountCents: 10000, channel: 'alipay', status: 'pending',
      createdAt: '2026-11-22T09:40:00+08:00', querySecret: '767866', keys: [], supplier: null,
    },
    {
      orderNo: 'K2026112200012', sku: 'STEAM-100', quantity: 1, amountCents: 10000, channel: 'alipay', status: 'pending',
      createdAt: '2026-11-22T09:42:00+08:00', querySecret: '4411', keys: [], supplier: null,
    },
    {
      orderNo: 'K2025110200917', sku: 'QB-50', quantity: 2, amountCents: 10000, channel: 'wechat', status: 'delivered',
      createdAt: '2025-11-02T19:29:00+08:00', paidAt: '2025-11-02T19:30:00+08:00', querySecret: '818710', keys: [], supplier: null,
    },
  ],
  gateway: {
    K2026112200011: { state: 'paid', amountCents: 10000, paidAt: '2026-11-22T09:41:10+08:00', tradeNo: '2026112222001000000000000011' },
    K2026112200012: { state: 'paid', amountCents: 10000, paidAt: '2026-11-22T09:43:10+08:00', tradeNo: '2026112222001000000000000012' },
    K2025110200917: { state: 'paid', amountCents: 10000, paidAt: '2025-11-02T19:30:00+08:00', tradeNo: '4200002345202611200000000221' },
  },
  legacy: {
    orders: [{
      orderNo: 'L2025110200917', sku: 'QB-50', quantity: 2, amountCents: 10000, status: 'delivered', paidAt: '2025-11-02T19:30:00+08:00',
      querySecret: '818710', keys: ['QB50-MI01-B4S6-FQBW', 'QB50-MI02-J5CH-YY5N'],
    }],
    migration: { L2025110200917: { state: 'migrated', batch: 'B3', newOrderNo: 'K2025110200917' } },
  },
};

const SEALED = SEALED_COLUMNS.map((c) => c.table);

let tdb: TestDatabase;
const open: Services[] = [];

/** Services on the shared test database with the world's clock and the given keys. */
async function servicesWith(env: Env): Promise<Services> {
  const config = loadConfig({ CHECKER_TIMEOUT_MS: '2000', RATE_LIMITS: 'off', SANDBOX: 'on', ...env });
  const svc = await createServices(config, { database: tdb.database, migrated: true, now: () => new Date(world.now) });
  open.push(svc);
  return svc;
}

/** Every sealed value, by table, with the key id it names (null: before key ids). */
async function sealedValues(): Promise<{ table: string; id: string; keyId: string | null }[]> {
  const out: { table: string; id: string; keyId: string | null }[] = [];
  for (const c of SEALED_COLUMNS) {
    const rows = await tdb.database.rows<{ id: string; sealed: string }>(
      sql`select ${sql.identifier(c.id)}::text as id, ${sql.identifier(c.column)} as sealed from ${sql.identifier(c.table)} where ${sql.identifier(c.column)} is not null`);
    for (const r of rows) out.push({ table: c.table, id: r.id, keyId: sealedKeyId(r.sealed) });
  }
  return out;
}

/** Every keyed hash the database holds, in a stable order. */
async function hashes(): Promise<string[]> {
  const rows = await tdb.database.rows<{ h: string }>(sql`
    select 'stock ' || id || ' ' || secret_hash as h from stock_keys
    union all select 'issued ' || id || ' ' || secret_hash from issued_keys
    union all select 'order ' || order_no || ' ' || query_secret_hash from orders
    union all select 'legacy ' || order_no || ' ' || query_secret_hash from legacy_orders
    union all select 'agent ' || id || ' ' || token_hash from agents
    order by 1`);
  return rows.map((r) => r.h);
}

async function check(svc: Services, orderNo: string, secret: string) {
  const out = await customerCheck(svc, { orderNo, secret, ip: '203.0.113.7', via: 'api', logContext: NO_LOG_CONTEXT });
  if (!out.ok) throw new Error(`${orderNo}: verification failed`);
  const keys = (await revealKeys(svc, { lookup: out.lookup, via: 'api' })).map((k) => k.secret).sort();
  return { verdict: out.result.verdict, action: out.result.action, keys };
}

describe('key rotation', () => {
  let token: string;
  let firstKeys: string[];
  let hashesBefore: string[];
  let kidA: string;
  let kidB: string;

  beforeAll(async () => {
    tdb = await testDatabase();
    kidA = await keyIdOf(A);
    kidB = await keyIdOf(B);
    const svcA = await servicesWithWorld(tdb.database, world, { CARD_KEY_SECRET: A });
    open.push(svcA);
    // under A: a real customer check reissues a key from stock, an agent gets a token, an email keeps its keys
    const first = await check(svcA, 'K2026112200011', '767866');
    expect(first).toMatchObject({ verdict: 'PAID_NOT_DELIVERED', action: 'reissued' });
    firstKeys = first.keys;
    token = (await createAgent(svcA, 'rotation')).token;
    await tdb.database.db.insert(mailOutbox).values({
      deliveryKey: 'rotation-test', kind: 'keys_delivered', orderNo: 'K2026112200011', toAddress: 'buyer@example.com',
      payload: {}, keysEnc: await svcA.box.encrypt(JSON.stringify(firstKeys)), nextAt: new Date(world.now), createdAt: new Date(world.now),
    });
    // and a few values as the implementation before key ids wrote them (the same bytes without the prefix)
    await tdb.database.rows(sql`update stock_keys set secret_enc = substring(secret_enc from 13) where id in (select id from stock_keys order by id desc limit 3)`);
    hashesBefore = await hashes();
  });

  afterAll(async () => {
    for (const s of open) await s.close();
    await tdb?.drop();
  });

  it('starts with every value under A (some from before key ids)', async () => {
    const values = await sealedValues();
    expect(new Set(values.map((v) => v.table))).toEqual(new Set(SEALED));
    expect(values.every((v) => v.keyId === kidA || v.keyId === null)).toBe(true);
    expect(values.filter((v) => v.keyId === null)).toHaveLength(3);
  });

  it('B current and A older: everything still opens, new writes are under B, hashes unchanged', async () => {
    const svcB = await servicesWith({ CARD_KEY_SECRET: B, CARD_KEY_SECRETS_OLD: A, CARD_KEY_HASH_SECRET: A });
    expect(await check(svcB, 'K2026112200011', '767866')).toEqual({ verdict: 'DELIVERED', action: 'none', keys: firstKeys });
    // a new write: the migrated order's keys restored from the legacy record (sealed under A)
    const restored = await check(svcB, 'K2025110200917', '818710');
    expect(restored).toEqual({ verdict: 'MIGRATION_INCOMPLETE', action: 'restored', keys: ['QB50-MI01-B4S6-FQBW', 'QB50-MI02-J5CH-YY5N'] });
    const issued = (await sealedValues()).filter((v) => v.table === 'issued_keys');
    expect(issued.filter((v) => v.keyId === kidB)).toHaveLength(2);
    expect(await authenticateAgent(svcB, token)).toMatchObject({ name: 'rotation' });
    expect(JSON.parse(await svcB.box.decrypt((await tdb.database.db.select().from(mailOutbox))[0]!.keysEnc!))).toEqual(firstKeys);
    // the hashes of the new rows are new; the old ones are all still there, unchanged
    const now = await hashes();
    expect(now).toEqual(expect.arrayContaining(hashesBefore));
    hashesBefore = now;
  });

  it('a dry run counts what would move and writes nothing', async () => {
    const svcB = await servicesWith({ CARD_KEY_SECRET: B, CARD_KEY_SECRETS_OLD: A, CARD_KEY_HASH_SECRET: A });
    const before = await sealedValues();
    const audits = (await tdb.database.db.select().from(auditLog).where(eq(auditLog.action, 'keys_rotated'))).length;
    const s = await rotateKeys(svcB, { batchSize: 2, dryRun: true });
    const underA = before.filter((v) => v.keyId !== kidB);
    expect(s.left).toBe(underA.length);
    expect(s.byTable.stock_keys).toBe(underA.filter((v) => v.table === 'stock_keys').length);
    expect(s.byKeyId).toEqual({ [kidA]: underA.length - 3, legacy: 3 });
    expect(await sealedValues()).toEqual(before);
    expect((await tdb.database.db.select().from(auditLog).where(eq(auditLog.action, 'keys_rotated'))).length).toBe(audits);
  });

  it('is resumable: a run stopped after one batch leaves the rest, the next finishes, nothing is left under A', async () => {
    const svcB = await servicesWith({ CARD_KEY_SECRET: B, CARD_KEY_SECRETS_OLD: A, CARD_KEY_HASH_SECRET: A });
    const total = (await sealedValues()).filter((v) => v.keyId !== kidB).length;
    const first = await rotateKeys(svcB, { batchSize: 2, maxRows: 1 });
    expect(first).toMatchObject({ complete: false, batches: 1, left: total - 2 });
    expect(Object.values(first.byTable).reduce((a, b) => a + b, 0)).toBe(2);

    const rest = await rotateKeys(svcB, { batchSize: 2 });
    expect(rest).toMatchObject({ complete: true, left: 0, keyId: kidB });
    expect(Object.values(rest.byTable).reduce((a, b) => a + b, 0)).toBe(total - 2);
    expect((await sealedValues()).every((v) => v.keyId === kidB)).toBe(true);

    const audits = await tdb.database.db.select().from(auditLog).where(eq(auditLog.action, 'keys_rotated'));
    expect(audits).toHaveLength(2);
    expect(audits[1]).toMatchObject({ actorKind: 'system', detail: { keyId: kidB, left: 0, complete: true, reencrypted: rest.byTable } });
    expect(JSON.stringify(audits)).not.toMatch(/S100-|QB50-/);

    // again: nothing to do, nothing written but its audit row
    const again = await rotateKeys(svcB, { batchSize: 2 });
    expect(again).toMatchObject({ left: 0, batches: 0, byTable: { stock_keys: 0, issued_keys: 0, legacy_orders: 0, mail_outbox: 0 } });
    expect(await hashes()).toEqual(hashesBefore);
  });

  it('with A dropped: everything still opens, the customer checks and the agent token still work', async () => {
    const svc = await servicesWith({ CARD_KEY_SECRET: B, CARD_KEY_HASH_SECRET: A });
    expect(await check(svc, 'K2026112200011', '767866')).toEqual({ verdict: 'DELIVERED', action: 'none', keys: firstKeys });
    expect(await check(svc, 'K2025110200917', '818710')).toMatchObject({ verdict: 'DELIVERED', keys: ['QB50-MI01-B4S6-FQBW', 'QB50-MI02-J5CH-YY5N'] });
    // a fresh reissue after rotation: from the stock that was rotated (its keys opened, sealed under B)
    const second = await check(svc, 'K2026112200012', '4411');
    expect(second).toMatchObject({ verdict: 'PAID_NOT_DELIVERED', action: 'reissued' });
    expect(second.keys[0]).toMatch(/^S100-RT\d\d-7QJ2-PSDC$/);
    expect(await authenticateAgent(svc, token)).toMatchObject({ name: 'rotation' });
    for (const row of await tdb.database.rows<{ secret_enc: string; secret_hash: string }>(sql`select secret_enc, secret_hash from stock_keys`)) {
      expect(await svc.box.keyHash(await svc.box.decrypt(row.secret_enc))).toBe(row.secret_hash);
    }
    // the legacy order's query secret (a hash made under A) still opens it
    const legacy = await customerCheck(svc, { orderNo: 'L2025110200917', secret: '818710', logContext: NO_LOG_CONTEXT });
    expect(legacy.ok).toBe(true);
  });

  it('forgetting the hash key after dropping A: services refuse to start, naming CARD_KEY_HASH_SECRET', async () => {
    const err = await servicesWith({ CARD_KEY_SECRET: B }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^CARD_KEY_HASH_SECRET: the hashes in the database were made with another key/);
  });

  it('a value under a key not configured: refused before anything is written, naming table and row, never the value', async () => {
    const svcC = await servicesWith({ CARD_KEY_SECRET: newMasterKey(), CARD_KEY_SECRETS_OLD: B, CARD_KEY_HASH_SECRET: A });
    const stranger = await servicesWith({ CARD_KEY_SECRET: newMasterKey(), CARD_KEY_HASH_SECRET: A });
    const sealed = await stranger.box.encrypt('S100-UNKNOWN-KEY');
    const [row] = await tdb.database.rows<{ id: string }>(sql`
      insert into stock_keys (sku, secret_enc, secret_hash, added_at) values ('STEAM-100', ${sealed}, 'h-unknown', now()) returning id::text as id`);
    const before = await sealedValues();
    const audits = (await tdb.database.db.select().from(auditLog).where(eq(auditLog.action, 'keys_rotated'))).length;

    const err = await rotateKeys(svcC, { batchSize: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RotationRefused);
    const message = (err as Error).message;
    expect(message).toBe(
      `stock_keys row ${row!.id}: secret_enc is sealed under key id ${stranger.box.keyId}, which is not configured: ` +
        `add the key with id ${stranger.box.keyId} to CARD_KEY_SECRETS_OLD and run again`);
    expect(message).not.toContain(sealed.slice(12, 40));
    expect(await sealedValues()).toEqual(before);
    expect((await tdb.database.db.select().from(auditLog).where(eq(auditLog.action, 'keys_rotated'))).length).toBe(audits);
    await tdb.database.rows(sql`delete from stock_keys where id = ${row!.id}::bigint`);
  });

  it('covers every sealed column of the schema (every *_enc)', () => {
    const sealedInSchema = (Object.values(schema) as unknown[])
      .filter((t): t is PgTable => t instanceof PgTable)
      .flatMap((t) => Object.values(getTableColumns(t)).filter((c) => c.name.endsWith('_enc')).map((c) => `${getTableName(t)}.${c.name}`));
    expect(sealedInSchema.sort()).toEqual(SEALED_COLUMNS.map((c) => `${c.table}.${c.column}`).sort());
  });
});

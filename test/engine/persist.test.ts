/**
 * persistDiagnosis: a diagnosis that changes nothing goes through the prepared insert
 * (src/engine/persist.ts), built once per database; it must store exactly what the plain drizzle
 * insert of the same row stores (absent optional columns as null, jsonb as the same documents,
 * the instant unchanged), on PGlite and on the real Postgres, statement after statement.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database, type Tx } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { diagnoses } from '../../src/db/schema.ts';
import { persistDiagnosis } from '../../src/engine/persist.ts';
import type { Services } from '../../src/services.ts';
import { requires } from '../support/requires.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';

const PG = await requires('postgres');

type Row = typeof diagnoses.$inferInsert;

function row(i: number, extra: Partial<Row> = {}): Row {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, orderNo: `K2026112200${i}`, actorKind: 'customer',
    verdict: 'DELIVERY_IN_PROGRESS', action: 'none',
    findings: { payment: { ok: true, ms: 3, evidence: [{ url: 'https://gw.test/q?x=1', responseBody: '{"a":"引号\\"","n":1.50}' }] } },
    facts: { paidCents: 10000, keysMissing: 1 }, explanation: { 'zh-CN': '发货中', en: 'Delivery in progress' },
    startedAt: new Date('2026-11-22T02:00:00.123Z'), durationMs: 12,
    ...extra,
  };
}

function suite(name: string, open: () => Promise<{ database: Database; drop(): Promise<void> }>) {
  describe(`persistDiagnosis, prepared insert (${name})`, () => {
    let db: { database: Database; drop(): Promise<void> };
    let svc: Services;
    beforeAll(async () => {
      db = await open();
      svc = { database: db.database } as Services;
    });
    afterAll(() => db.drop());

    const read = async (id: string) => (await db.database.db.select().from(diagnoses).where(eq(diagnoses.id, id)))[0];

    it('stores what the plain insert stores, optional columns absent or given', async () => {
      const cases: Array<Partial<Row>> = [{}, { actorId: '10.0.0.7', suggested: 'escalated', ticketNumber: 'T-2026-0001' }, { actorId: null }];
      for (const [i, extra] of cases.entries()) {
        const mine = row(100 + i, extra);
        const plain = row(200 + i, extra);
        const out = await persistDiagnosis(svc, { writes: false }, async (_tx: Tx) => ({ row: mine, tag: i }));
        expect(out.tag).toBe(i);
        await db.database.db.insert(diagnoses).values(plain);
        const [a, b] = [await read(mine.id), await read(plain.id)];
        expect(a).toBeDefined();
        expect({ ...a, id: '', orderNo: '' }).toEqual({ ...b, id: '', orderNo: '' });
        expect(a!.actorId).toBe(extra.actorId ?? null);
        expect(a!.findings).toEqual(mine.findings);
        expect(a!.startedAt.toISOString()).toBe('2026-11-22T02:00:00.123Z');
      }
    });

    it('many at once, on the pooled connections, each stored once', async () => {
      await Promise.all(Array.from({ length: 30 }, (_, i) => persistDiagnosis(svc, { writes: false }, async () => ({ row: row(300 + i) }))));
      const rows = await db.database.db.select({ id: diagnoses.id }).from(diagnoses);
      expect(rows.filter((r) => /-0{9}3\d\d$/.test(r.id)).length).toBe(30);
    });

    it('a second diagnosis with the same id is refused, as before (the plain insert had no conflict clause either)', async () => {
      await expect(persistDiagnosis(svc, { writes: false }, async () => ({ row: row(100) }))).rejects.toThrow();
    });
  });
}

suite('PGlite', async () => {
  const database = await openDatabase({});
  await migrateDatabase(database);
  return { database, drop: () => database.close() };
});
if (PG) suite('Postgres', (): Promise<TestDatabase> => freshPostgres(POSTGRES_URL!));

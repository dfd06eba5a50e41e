/**
 * Migration 0008 on tickets that existed before SLA clocks: applied by hand after 0000-0007 to a
 * database holding old rows, it derives the category from the reason, keeps due_at as the first
 * response deadline, gives resolution 2 h from opening (never before that first response), and
 * stops the clocks of resolved ones. Real Postgres only; skipped without it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER } from '../../src/db/migrate.ts';
import { POSTGRES_URL } from '../support/db.ts';
import { requires } from '../support/requires.ts';

const PG = await requires('postgres');

describe.skipIf(!PG)('migration 0008 on existing tickets', () => {
  const name = `od_test_mig_${Date.now().toString(36)}`;
  const admin = PG ? postgres(POSTGRES_URL!, { max: 1, onnotice: () => {} }) : null;
  let db: ReturnType<typeof postgres> | null = null;
  afterAll(async () => {
    await db?.end();
    await admin?.unsafe(`drop database if exists ${name} with (force)`);
    await admin?.end();
  });

  const apply = async (file: string) => {
    for (const stmt of readFileSync(join(MIGRATIONS_FOLDER, file), 'utf8').split('--> statement-breakpoint')) if (stmt.trim()) await db!.unsafe(stmt);
  };

  it('backfills category, both deadlines and the clock of every old row', async () => {
    await admin!.unsafe(`create database ${name}`);
    const u = new URL(POSTGRES_URL!);
    u.pathname = `/${name}`;
    db = postgres(u.toString(), { max: 1, onnotice: () => {} });
    const files = readdirSync(MIGRATIONS_FOLDER).filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort();
    for (const f of files.filter((x) => x < '0008')) await apply(f);
    await db.unsafe(`insert into tickets (number, order_no, status, reason, source, diagnosis_id, opened_at, due_at, resolved_at) values
      ('T261120-AAAAA', 'K1', 'open', 'OUT_OF_STOCK', 'auto', 'd1', '2026-11-20T02:00:00Z', '2026-11-20T04:00:00Z', null),
      ('T261120-BBBBB', 'K2', 'resolved', 'PAYMENT_UNVERIFIABLE', 'auto', 'd2', '2026-11-20T02:00:00Z', '2026-11-20T02:30:00Z', '2026-11-20T03:00:00Z'),
      ('T261120-CCCCC', 'K3', 'open', 'buyer_not_solved', 'buyer', 'd3', '2026-11-20T02:00:00Z', '2026-11-20T05:00:00Z', null)`);
    await apply(files.find((f) => f.startsWith('0008'))!);
    const rows = await db.unsafe(`select number, category, priority, first_response_minutes, first_response_due_at, resolution_due_at, clock_stopped_at, paused_ms
      from tickets order by number`);
    const iso = (d: unknown) => (d ? new Date(d as string).toISOString() : null);
    expect(rows.map((r) => [r.number, r.category, r.priority, r.first_response_minutes, iso(r.first_response_due_at), iso(r.resolution_due_at), iso(r.clock_stopped_at), Number(r.paused_ms)])).toEqual([
      ['T261120-AAAAA', 'stock', 'normal', 120, '2026-11-20T04:00:00.000Z', '2026-11-20T04:00:00.000Z', null, 0],
      ['T261120-BBBBB', 'payment', 'normal', 30, '2026-11-20T02:30:00.000Z', '2026-11-20T04:00:00.000Z', '2026-11-20T03:00:00.000Z', 0],
      ['T261120-CCCCC', 'delivery', 'normal', 180, '2026-11-20T05:00:00.000Z', '2026-11-20T05:00:00.000Z', null, 0],
    ]);
    // 'reopened' and 'waiting_on_buyer' count as open for the one-per-order index
    await db.unsafe(`update tickets set status = 'waiting_on_buyer' where number = 'T261120-AAAAA'`);
    await expect(db.unsafe(`insert into tickets (number, order_no, status, reason, source, diagnosis_id, opened_at, due_at, first_response_due_at, resolution_due_at)
      values ('T261120-DDDDD', 'K1', 'reopened', 'x', 'auto', 'd4', now(), now(), now(), now())`)).rejects.toThrow(/tickets_one_open_per_order_uq/);
  });
});

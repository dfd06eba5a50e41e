/**
 * SLA breaches are recorded exactly once when checks race (two sweepers, each on its own
 * connection pool as separate processes would be; and an agent's late first reply against a
 * check): one breached_at per clock, one audit row per breach. Real Postgres only (PGlite is a
 * single connection); skipped without it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { auditLog, tickets } from '../../src/db/schema.ts';
import { escalate } from '../../src/actions/escalate.ts';
import { checkBreaches, recordBreaches } from '../../src/tickets/breaches.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';

const PG = await requires('postgres');
const N = 40;
const OPENED = new Date('2026-11-24T02:00:00Z');

describe.skipIf(!PG)('SLA breaches under concurrent checks (real Postgres)', () => {
  let tdb: TestDatabase;
  let second: Database;

  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 10);
    second = await openDatabase({ url: tdb.url!, maxConnections: 10 });
    for (let i = 0; i < N; i++) {
      await tdb.database.db.transaction((tx) => escalate(tx, {
        orderNo: `K20261124${String(i).padStart(5, '0')}`, reason: 'DELIVERY_DELAYED', source: 'auto', now: OPENED,
        actor: { kind: 'sweep' }, diagnosisId: globalThis.crypto.randomUUID(),
      }));
    }
  }, 60_000);

  afterAll(async () => {
    await second?.close();
    await tdb?.drop();
  });

  it('two checks at once, several times over: each breach recorded once, with one audit row', async () => {
    // 3 h later both clocks (15 min, 2 h) are past due on every ticket
    const now = new Date(OPENED.getTime() + 3 * 3600_000);
    const runs = await Promise.all([0, 1, 2, 3].map((i) => checkBreaches((i % 2 ? second : tdb.database).db, now)));
    expect(runs.flat()).toHaveLength(2 * N);
    const [counts] = await tdb.database.rows<{ fr: number; res: number; audits: number }>(sql`
      select count(first_response_breached_at)::int as fr, count(resolution_breached_at)::int as res,
             (select count(*)::int from audit_log where action = 'sla_breached') as audits
        from tickets`);
    expect(counts).toEqual({ fr: N, res: N, audits: 2 * N });
    const [one] = await tdb.database.db.select().from(tickets).limit(1);
    expect(one!.firstResponseBreachedAt).toEqual(one!.firstResponseDueAt);
    expect(await checkBreaches(second.db, now)).toEqual([]);
  });

  it('a late reply racing a check: the breach is recorded once either way', async () => {
    const orderNo = 'K2026112499999';
    const t = await tdb.database.db.transaction((tx) => escalate(tx, { orderNo, reason: 'OUT_OF_STOCK', source: 'auto', now: OPENED, actor: { kind: 'sweep' }, diagnosisId: globalThis.crypto.randomUUID() }));
    const now = new Date(OPENED.getTime() + 20 * 60_000);
    const reply = second.db.transaction(async (tx) => {
      const [row] = await tx.select().from(tickets).where(eq(tickets.number, t.number)).for('update');
      await recordBreaches(tx, now, row!.id);
      await tx.update(tickets).set({ firstRespondedAt: now }).where(eq(tickets.id, row!.id));
    });
    await Promise.all([reply, checkBreaches(tdb.database.db, now)]);
    const rows = await tdb.database.db.select().from(auditLog).where(eq(auditLog.orderNo, orderNo));
    expect(rows.filter((r) => r.action === 'sla_breached').map((r) => (r.detail as { clock: string }).clock)).toEqual(['first_response']);
  });
});

/**
 * A bulk apply confirmed by three supervisors at once, on real Postgres (the pool gives each run its
 * own connections, so the console_applies claims and the engine's row locks really race; PGlite is
 * a single connection): every order of the incident gets its key once, one agent_applied row each,
 * every ticket resolved once. Skipped without Postgres.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, inArray } from 'drizzle-orm';
import { auditLog, consoleApplies, issuedKeys, tickets } from '../../src/db/schema.ts';
import { escalate } from '../../src/actions/escalate.ts';
import { createAgentAccount, type AgentAccount } from '../../src/agents/accounts.ts';
import { authenticateAgent } from '../../src/engine/agents.ts';
import { confirmIncident, previewIncident } from '../../src/incidents/bulk.ts';
import { incidentByKey } from '../../src/incidents/group.ts';
import type { Services } from '../../src/services.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { paidOrdersWorld, servicesWithWorld } from '../support/services.ts';
import { NO_LOG_CONTEXT } from '../../src/observability/context.ts';

const PG = await requires('postgres');
const N = 12;

describe.skipIf(!PG)('bulk apply under concurrent confirmations (real Postgres)', { timeout: 180_000 }, () => {
  let tdb: TestDatabase;
  let svc: Services;
  const sups: AgentAccount[] = [];

  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 20);
    svc = await servicesWithWorld(tdb.database, paidOrdersWorld({ orders: N, stock: N + 3, channel: 'epay' }));
    for (let i = 0; i < 3; i++) {
      const { token } = await createAgentAccount(svc, { name: `race-sup-${i}`, role: 'supervisor', by: { kind: 'system', id: 'test' } });
      sups.push((await authenticateAgent(svc, token))!);
    }
    for (let i = 1; i <= N; i++) {
      const orderNo = `K20261122${String(i).padStart(5, '0')}`;
      await svc.database.db.transaction((tx) => escalate(tx, {
        orderNo, reason: 'PAID_NOT_DELIVERED', source: 'buyer', now: svc.now(), actor: { kind: 'customer' }, diagnosisId: globalThis.crypto.randomUUID(),
      }));
    }
  }, 120_000);
  afterAll(async () => {
    await svc?.close();
    await tdb?.drop();
  });

  it('three confirmations of one preview at once: N keys, N applies, N tickets resolved, each once', async () => {
    // before any diagnosis the tickets' reason stands in for the verdict, its fact unknown
    const key = 'PAID_NOT_DELIVERED.channel.unknown';
    const incident = (await incidentByKey(svc, key))!;
    expect(incident.items).toHaveLength(N);
    const rows = await previewIncident(svc, { agent: sups[0]!, incident, logContext: NO_LOG_CONTEXT });
    expect(rows.every((r) => r.applies && r.verdict === 'PAID_NOT_DELIVERED')).toBe(true);
    // the preview's diagnoses, now the latest, name the channel
    expect((await incidentByKey(svc, 'PAID_NOT_DELIVERED.channel.epay'))!.items).toHaveLength(N);
    const pairs = rows.map((r) => ({ orderNo: r.orderNo, diagnosisId: r.diagnosisId }));
    const runs = await Promise.all(sups.map((agent) => confirmIncident(svc, { agent, incidentKey: key, pairs, logContext: NO_LOG_CONTEXT })));
    const outcomes = runs.flat().map((r) => r.outcome);
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(N);
    expect(outcomes.filter((o) => o === 'used')).toHaveLength(2 * N);
    const db = svc.database.db;
    const orderNos = rows.map((r) => r.orderNo);
    expect(await db.select().from(issuedKeys)).toHaveLength(N);
    expect(await db.select().from(consoleApplies)).toHaveLength(N);
    const applied = await db.select().from(auditLog).where(eq(auditLog.action, 'agent_applied'));
    expect(new Set(applied.map((a) => a.orderNo)).size).toBe(N);
    expect(applied).toHaveLength(N);
    expect(await db.select().from(auditLog).where(eq(auditLog.action, 'ticket_resolved'))).toHaveLength(N);
    const t = await db.select().from(tickets).where(inArray(tickets.orderNo, orderNos));
    expect(t.every((x) => x.status === 'resolved')).toBe(true);
    expect(await db.select().from(auditLog).where(eq(auditLog.action, 'incident_bulk_applied'))).toHaveLength(3);
  });
});

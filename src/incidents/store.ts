/**
 * Incidents as records (db/schema.ts incidents): the live grouping (group.ts) is stored the first
 * time it is seen, then agents acknowledge it ("we are on it") and close it ("the cause is fixed"),
 * each once, with who and when, audited in the same transaction. Conditional updates make racing
 * clicks lose cleanly: the second acknowledgement or close finds the row moved on and changes nothing.
 */
import { and, desc, eq, inArray, isNotNull, max, ne, sql } from 'drizzle-orm';
import { agents, incidents } from '../db/schema.ts';
import { audit, type Actor } from '../actions/audit.ts';
import type { Services } from '../services.ts';
import type { AgentAccount } from '../agents/accounts.ts';
import { agentActor } from '../agents/accounts.ts';

export type IncidentRecord = typeof incidents.$inferSelect & { acknowledgedByName: string | null; closedByName: string | null };

const SYSTEM: Actor = { kind: 'system', id: 'incidents' };
/** the closed incidents the list page shows */
const CLOSED_SHOWN = 20;

/** Per cause, when its latest incident was closed: tickets opened up to then stay with that incident. */
export async function closedCutoffs(svc: Services): Promise<Map<string, Date>> {
  const rows = await svc.database.db.select({ key: incidents.causeKey, at: max(incidents.closedAt) }).from(incidents)
    .where(eq(incidents.status, 'closed')).groupBy(incidents.causeKey);
  return new Map(rows.flatMap((r) => (r.at ? [[r.key, r.at] as const] : [])));
}

/**
 * The live record of each cause, stored now for the causes seen for the first time (or first since
 * their last incident closed). Two consoles at once: the partial unique index keeps one, and each
 * reads that one back.
 */
export async function recordsFor(svc: Services, groups: { key: string; title: string; tickets: number }[]): Promise<Map<string, IncidentRecord>> {
  if (groups.length === 0) return new Map();
  const db = svc.database.db;
  const now = svc.now();
  await db.transaction(async (tx) => {
    const made = await tx.insert(incidents).values(groups.map((g) => ({ causeKey: g.key, title: g.title, status: 'open' as const, openedAt: now })))
      .onConflictDoNothing({ target: incidents.causeKey, where: sql`${incidents.status} <> 'closed'` })
      .returning({ id: incidents.id, key: incidents.causeKey });
    for (const m of made) {
      await audit(tx, { at: now, actor: SYSTEM, action: 'incident_opened', detail: { incident: m.id, cause: m.key, tickets: groups.find((g) => g.key === m.key)?.tickets ?? 0 } });
    }
  });
  const rows = await withNames(svc).where(and(inArray(incidents.causeKey, groups.map((g) => g.key)), ne(incidents.status, 'closed')));
  return new Map(rows.map((r) => [r.causeKey, r]));
}

/** The most recently closed incidents, newest first. */
export async function recentlyClosed(svc: Services): Promise<IncidentRecord[]> {
  return withNames(svc).where(isNotNull(incidents.closedAt)).orderBy(desc(incidents.closedAt), desc(incidents.id)).limit(CLOSED_SHOWN);
}

function withNames(svc: Services) {
  const ack = sql`(select name from ${agents} where ${agents.id} = ${incidents.acknowledgedBy})`;
  const closer = sql`(select name from ${agents} where ${agents.id} = ${incidents.closedBy})`;
  return svc.database.db.select({
    id: incidents.id, causeKey: incidents.causeKey, title: incidents.title, status: incidents.status, openedAt: incidents.openedAt,
    acknowledgedAt: incidents.acknowledgedAt, acknowledgedBy: incidents.acknowledgedBy, closedAt: incidents.closedAt, closedBy: incidents.closedBy,
    acknowledgedByName: ack.mapWith(String).as('acknowledged_by_name'), closedByName: closer.mapWith(String).as('closed_by_name'),
  }).from(incidents).$dynamic();
}

export type IncidentStep = 'acknowledge' | 'close';
export type StepOutcome = { kind: 'done'; record: IncidentRecord } | { kind: 'already'; status: string } | { kind: 'not_found' };

/**
 * Acknowledges (open -> acknowledged) or closes (open or acknowledged -> closed) incident `id`,
 * once: a second click, or a colleague's, is told what the row says now.
 */
export async function stepIncident(svc: Services, input: { agent: AgentAccount; id: number; step: IncidentStep; tickets: number }): Promise<StepOutcome> {
  const now = svc.now();
  const { agent, id, step } = input;
  const moved = await svc.database.db.transaction(async (tx) => {
    const [row] = step === 'acknowledge'
      ? await tx.update(incidents).set({ status: 'acknowledged', acknowledgedAt: now, acknowledgedBy: agent.id })
        .where(and(eq(incidents.id, id), eq(incidents.status, 'open'))).returning()
      : await tx.update(incidents).set({ status: 'closed', closedAt: now, closedBy: agent.id })
        .where(and(eq(incidents.id, id), ne(incidents.status, 'closed'))).returning();
    if (!row) return null;
    await audit(tx, {
      at: now, actor: agentActor(agent), action: step === 'acknowledge' ? 'incident_acknowledged' : 'incident_closed',
      detail: { incident: row.id, cause: row.causeKey, tickets: input.tickets },
    });
    return row;
  });
  const [now2] = await withNames(svc).where(eq(incidents.id, id)).limit(1);
  if (!now2) return { kind: 'not_found' };
  return moved ? { kind: 'done', record: now2 } : { kind: 'already', status: now2.status };
}

/**
 * Incidents: active tickets (not resolved) grouped by the cause of their order's latest diagnosis
 * (cause.ts). A group is shown once it has INCIDENT_THRESHOLD tickets: one ticket is a case, two on
 * the same cause are worth handling together. The grouping is what the open tickets say now (it
 * ends by itself when its tickets are resolved); each group has a stored record (store.ts) that
 * agents acknowledge and close. A closed incident keeps its tickets: only tickets of the cause
 * opened after it closed can group again, as a new incident.
 */
import { asc, desc, inArray, ne } from 'drizzle-orm';
import { diagnoses, tickets } from '../db/schema.ts';
import type { DiagnosisRow, TicketRow } from '../agents/history.ts';
import type { Services } from '../services.ts';
import { causeOf, describeCause, type Cause } from './cause.ts';
import { closedCutoffs, recordsFor, type IncidentRecord } from './store.ts';

export const INCIDENT_THRESHOLD = 2;
/** the open tickets looked at: a desk's backlog, far above any day's incidents */
const ACTIVE_LIMIT = 2000;

export interface IncidentTicket {
  ticket: TicketRow;
  /** the order's latest diagnosis (null: none recorded, the ticket's reason stands in) */
  latest: DiagnosisRow | null;
}

export interface Incident {
  cause: Cause;
  title: string;
  items: IncidentTicket[];
  oldestOpenedAt: Date;
  soonestDueAt: Date;
  /** its stored record (listIncidents sets it; groupByCause, pure, does not) */
  record?: IncidentRecord;
}

/** A ticket's cause: its order's latest diagnosis, else the ticket's own reason. */
const causeOfTicket = (r: IncidentTicket): Cause => causeOf(r.latest ?? { verdict: r.ticket.reason, facts: {}, findings: {} });

/** Groups tickets by cause (pure: the tests call it on rows). Largest first, then soonest due. */
export function groupByCause(rows: IncidentTicket[], threshold = INCIDENT_THRESHOLD): Incident[] {
  const groups = new Map<string, { cause: Cause; items: IncidentTicket[] }>();
  for (const r of rows) {
    const cause = causeOfTicket(r);
    const g = groups.get(cause.key) ?? { cause, items: [] };
    g.items.push(r);
    groups.set(cause.key, g);
  }
  return [...groups.values()]
    .filter((g) => g.items.length >= threshold)
    .map((g) => ({
      ...g,
      title: describeCause(g.cause),
      oldestOpenedAt: new Date(Math.min(...g.items.map((i) => i.ticket.openedAt.getTime()))),
      soonestDueAt: new Date(Math.min(...g.items.map((i) => i.ticket.dueAt.getTime()))),
    }))
    .sort((a, b) => b.items.length - a.items.length || a.soonestDueAt.getTime() - b.soonestDueAt.getTime());
}

/** Active tickets with their order's latest diagnosis. */
export async function activeWithLatest(svc: Services): Promise<IncidentTicket[]> {
  const db = svc.database.db;
  const open = await db.select().from(tickets).where(ne(tickets.status, 'resolved')).orderBy(asc(tickets.dueAt)).limit(ACTIVE_LIMIT);
  if (open.length === 0) return [];
  const latest = await db.selectDistinctOn([diagnoses.orderNo]).from(diagnoses)
    .where(inArray(diagnoses.orderNo, open.map((t) => t.orderNo)))
    .orderBy(diagnoses.orderNo, desc(diagnoses.startedAt), desc(diagnoses.id));
  const byOrder = new Map(latest.map((d) => [d.orderNo, d]));
  return open.map((ticket) => ({ ticket, latest: byOrder.get(ticket.orderNo) ?? null }));
}

export async function listIncidents(svc: Services): Promise<Incident[]> {
  const [rows, cutoffs] = await Promise.all([activeWithLatest(svc), closedCutoffs(svc)]);
  // a ticket opened before its cause's last incident closed belongs to that closed incident
  const live = rows.filter((r) => {
    const closed = cutoffs.get(causeOfTicket(r).key);
    return !closed || r.ticket.openedAt > closed;
  });
  const groups = groupByCause(live);
  const records = await recordsFor(svc, groups.map((g) => ({ key: g.cause.key, title: g.title, tickets: g.items.length })));
  return groups.map((g) => ({ ...g, record: records.get(g.cause.key) }));
}

export async function incidentByKey(svc: Services, key: string): Promise<Incident | null> {
  return (await listIncidents(svc)).find((i) => i.cause.key === key) ?? null;
}

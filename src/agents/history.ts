/**
 * Everything order-doctor already knows about an order, for the agent beside the diagnosis: every
 * earlier diagnosis (whoever asked), every ticket, and the audit trail (keys issued, reveals,
 * failed verifications, tickets, deferrals), so nobody has to ask the buyer again.
 */
import { asc, desc, eq, ne } from 'drizzle-orm';
import { auditLog, diagnoses, tickets } from '../db/schema.ts';
import type { Services } from '../services.ts';

export type DiagnosisRow = typeof diagnoses.$inferSelect;
export type TicketRow = typeof tickets.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;

export interface OrderHistory {
  diagnoses: DiagnosisRow[];
  tickets: TicketRow[];
  audit: AuditRow[];
}

/** a busy order (a buyer refreshing for a day) keeps its most recent ones on the page */
const MAX_ROWS = 200;

export async function orderHistory(svc: Services, orderNo: string): Promise<OrderHistory> {
  const db = svc.database.db;
  const [d, t, a] = await Promise.all([
    db.select().from(diagnoses).where(eq(diagnoses.orderNo, orderNo)).orderBy(desc(diagnoses.startedAt), desc(diagnoses.id)).limit(MAX_ROWS),
    db.select().from(tickets).where(eq(tickets.orderNo, orderNo)).orderBy(desc(tickets.openedAt)),
    db.select().from(auditLog).where(eq(auditLog.orderNo, orderNo)).orderBy(asc(auditLog.at), asc(auditLog.id)).limit(MAX_ROWS),
  ]);
  return { diagnoses: d, tickets: t, audit: a };
}

/** One diagnosis of the order by id (null when it is not this order's). */
export async function diagnosisOf(svc: Services, orderNo: string, id: string): Promise<DiagnosisRow | null> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return null;
  const [row] = await svc.database.db.select().from(diagnoses).where(eq(diagnoses.id, id)).limit(1);
  return row && row.orderNo === orderNo ? row : null;
}

/** The orders the machine could not close: active tickets (not resolved), soonest due first. */
export async function openTickets(svc: Services, limit = 50): Promise<TicketRow[]> {
  return svc.database.db.select().from(tickets).where(ne(tickets.status, 'resolved')).orderBy(asc(tickets.dueAt)).limit(limit);
}

/**
 * One re-diagnosis for every order of an incident, in two steps like the single confirmation:
 * - the preview diagnoses each order without applying (apply: false). It writes no key, no ticket
 *   change and no audit row; each dry run is recorded as a diagnosis row (action 'none', the agent
 *   as its actor), because that row is what the confirmation carries;
 * - confirming hands each (order, diagnosis) pair to agents/apply.ts confirmApply: each pair is used
 *   once (console_applies), a stale one is diagnosed again instead of applied, and the engine's row
 *   lock settles the rest. Two agents confirming the same preview, or one clicking twice, do
 *   everything once. An order that got its keys has its ticket resolved (audited as usual).
 */
import { and, eq, ne } from 'drizzle-orm';
import { tickets } from '../db/schema.ts';
import { audit } from '../actions/audit.ts';
import { agentActor, type AgentAccount } from '../agents/accounts.ts';
import { confirmApply, type ConfirmOutcome } from '../agents/apply.ts';
import { describeAction } from '../agents/describe.ts';
import { diagnose } from '../engine/diagnose.ts';
import { resolveOrder } from '../engine/resolve.ts';
import { transition } from '../tickets/lifecycle.ts';
import type { LogContext } from '../observability/context.ts';
import type { Services } from '../services.ts';
import type { Incident } from './group.ts';
import { mapLimit } from './pool.ts';

/** orders per bulk run: the confirmation form carries one pair each, within the console's body limit */
export const BULK_LIMIT = 100;
/** diagnoses at once: each may wait on a gateway and holds a connection */
export const BULK_CONCURRENCY = 4;

export interface PreviewRow {
  orderNo: string;
  ticket: string;
  diagnosisId: string;
  verdict: string;
  /** what confirming would do, or why nothing */
  would: string;
  applies: boolean;
}

export interface BulkRow {
  orderNo: string;
  outcome: ConfirmOutcome['kind'];
  verdict?: string;
  action?: string;
  keysIssued?: number;
  ticketResolved?: boolean;
  text: string;
}

export async function previewIncident(svc: Services, input: { agent: AgentAccount; incident: Incident; logContext: LogContext }): Promise<PreviewRow[]> {
  const items = input.incident.items.slice(0, BULK_LIMIT);
  return mapLimit(items, BULK_CONCURRENCY, async ({ ticket }) => {
    const lookup = await resolveOrder(svc, ticket.orderNo, input.logContext);
    const r = await diagnose(svc, { orderNo: ticket.orderNo, lookup, actor: agentActor(input.agent), apply: false, logContext: input.logContext });
    const action = describeAction({ orderNo: r.orderNo, verdict: r.verdict, suggested: r.suggested ?? null, facts: r.facts, findings: r.findings });
    return {
      orderNo: r.orderNo, ticket: ticket.number, diagnosisId: r.id, verdict: r.verdict, applies: action !== null,
      would: action ?? `nothing to apply: ${r.verdict.toLowerCase().replace(/_/g, ' ')}`,
    };
  });
}

/** The pairs a preview form carries ("orderNo:diagnosisId" each); null when malformed. */
export function parsePairs(raw: unknown): { orderNo: string; diagnosisId: string }[] | null {
  const list = typeof raw === 'string' ? raw.split(/\s+/).filter(Boolean) : [];
  const pairs = list.map((p) => /^([A-Za-z0-9_-]{1,64}):([0-9a-f-]{36})$/.exec(p)).map((m) => (m ? { orderNo: m[1]!, diagnosisId: m[2]! } : null));
  if (pairs.length === 0 || pairs.length > BULK_LIMIT || pairs.some((p) => p === null)) return null;
  return pairs as { orderNo: string; diagnosisId: string }[];
}

export async function confirmIncident(
  svc: Services,
  input: { agent: AgentAccount; incidentKey: string; pairs: { orderNo: string; diagnosisId: string }[]; logContext: LogContext },
): Promise<BulkRow[]> {
  const actor = agentActor(input.agent);
  const rows = await mapLimit(input.pairs, BULK_CONCURRENCY, async (p): Promise<BulkRow> => {
    const out = await confirmApply(svc, { agent: input.agent, orderNo: p.orderNo, diagnosisId: p.diagnosisId, logContext: input.logContext });
    switch (out.kind) {
      case 'applied': {
        const r = out.result;
        const fixed = r.action === 'reissued' || r.action === 'restored' || r.verdict === 'DELIVERED';
        const ticketResolved = fixed ? await resolveTicketOf(svc, p.orderNo, actor) : false;
        const keys = r.keysIssued ?? 0;
        return {
          orderNo: p.orderNo, outcome: out.kind, verdict: r.verdict, action: r.action, keysIssued: keys, ticketResolved,
          text: `${r.verdict}: ${r.action}${keys ? `, ${keys} key${keys === 1 ? '' : 's'} issued` : ''}${ticketResolved ? ', ticket resolved' : ''}`,
        };
      }
      case 'stale':
        return { orderNo: p.orderNo, outcome: out.kind, verdict: out.result.verdict, text: `changed since the preview (${out.why}): diagnosed again, nothing applied (${out.result.verdict})` };
      case 'used':
        return { orderNo: p.orderNo, outcome: out.kind, text: 'already confirmed (another click or another agent): nothing done twice' };
      case 'nothing_to_apply':
        return { orderNo: p.orderNo, outcome: out.kind, text: 'nothing to apply' };
      case 'not_found':
        return { orderNo: p.orderNo, outcome: out.kind, text: 'no such diagnosis for this order' };
      // a bulk confirmation never overrides the replacement limit: only a supervisor's own override can be refused
      case 'forbidden':
        return { orderNo: p.orderNo, outcome: out.kind, text: 'not allowed' };
    }
  });
  const count = (k: BulkRow['outcome']) => rows.filter((r) => r.outcome === k).length;
  await audit(svc.database.db, {
    at: svc.now(), actor, action: 'incident_bulk_applied',
    detail: {
      incident: input.incidentKey, orders: rows.length, applied: count('applied'), used: count('used'), stale: count('stale'),
      nothing: count('nothing_to_apply'), keysIssued: rows.reduce((n, r) => n + (r.keysIssued ?? 0), 0),
      ticketsResolved: rows.filter((r) => r.ticketResolved).length,
    },
  });
  return rows;
}

/** Resolves the order's active ticket, if any, as an agent's "resolve" would (audited ticket_resolved). */
async function resolveTicketOf(svc: Services, orderNo: string, actor: ReturnType<typeof agentActor>): Promise<boolean> {
  return svc.database.db.transaction(async (tx) => {
    const [row] = await tx.select().from(tickets).where(and(eq(tickets.orderNo, orderNo), ne(tickets.status, 'resolved'))).for('update');
    if (!row) return false;
    await transition(tx, row, 'resolve', { now: svc.now(), actor });
    return true;
  });
}

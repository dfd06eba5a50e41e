/** The order's timeline and its earlier diagnoses, tickets and reveals. */
import type { OrderFacts } from '../../../domain/findings.ts';
import type { AuditRow, OrderHistory } from '../../../agents/history.ts';
import { When } from './layout.tsx';

interface Event {
  at: Date;
  what: string;
  who?: string;
  detail?: string;
}

const actorOf = (kind: string, id: string | null) => (id ? `${kind} ${id}` : kind);

/** what an audit row says, in a few words (its detail never holds a key) */
function auditLine(a: AuditRow): string {
  const d = a.detail as Record<string, unknown>;
  const parts = Object.entries(d).filter(([, v]) => v !== null && typeof v !== 'object').map(([k, v]) => `${k}: ${String(v)}`);
  if (Array.isArray(d.slots)) parts.push(`slots: ${(d.slots as number[]).join(', ')}`);
  return parts.join(' · ');
}

export function Timeline(p: { order?: OrderFacts; history: OrderHistory }) {
  const events: Event[] = [];
  if (p.order) {
    events.push({ at: new Date(p.order.createdAt), what: 'order created', detail: `${p.order.quantity} × ${p.order.productTitle}` });
    if (p.order.paidAt) events.push({ at: new Date(p.order.paidAt), what: 'paid (shop record)', detail: p.order.tradeNo ? `transaction ${p.order.tradeNo}` : undefined });
  }
  for (const d of p.history.diagnoses) {
    events.push({ at: d.startedAt, what: `diagnosed: ${d.verdict}`, who: actorOf(d.actorKind, d.actorId), detail: d.action !== 'none' ? `did: ${d.action}` : d.suggested ? `suggested: ${d.suggested}` : undefined });
  }
  // an agent's diagnosis is on the line above already, as the diagnosis itself
  for (const a of p.history.audit.filter((x) => x.action !== 'agent_diagnosed')) events.push({ at: a.at, what: a.action.replaceAll('_', ' '), who: actorOf(a.actorKind, a.actorId), detail: auditLine(a) });
  events.sort((x, y) => x.at.getTime() - y.at.getTime());
  return (
    <section class="card" aria-labelledby="timeline-h">
      <h2 id="timeline-h">Timeline</h2>
      <ol class="timeline">
        {events.map((e) => (
          <li>
            <When at={e.at} /> <strong>{e.what}</strong>
            {e.who ? <span class="meta">{` by ${e.who}`}</span> : null}
            {e.detail ? <div class="meta">{e.detail}</div> : null}
          </li>
        ))}
      </ol>
    </section>
  );
}

export function Earlier(p: { orderNo: string; history: OrderHistory; shownId?: string }) {
  const h = p.history;
  const reveals = h.audit.filter((a) => a.action === 'keys_revealed');
  const href = (id: string) => `/agent/orders/${encodeURIComponent(p.orderNo)}?d=${id}`;
  return (
    <>
      <section class="card" aria-labelledby="diagnoses-h">
        <h2 id="diagnoses-h">{`Diagnoses (${h.diagnoses.length})`}</h2>
        <table>
          <thead><tr><th>When</th><th>Who</th><th>Verdict</th><th>Action</th><th>Took</th></tr></thead>
          <tbody>
            {h.diagnoses.map((d) => (
              <tr class={d.id === p.shownId ? 'current' : undefined}>
                <td><a href={href(d.id)}><When at={d.startedAt} /></a></td>
                <td>{actorOf(d.actorKind, d.actorId)}</td>
                <td>{d.verdict}</td>
                <td>{d.action !== 'none' ? d.action : d.suggested ? `suggested ${d.suggested}` : 'none'}</td>
                <td>{`${d.durationMs} ms`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="card" aria-labelledby="tickets-h">
        <h2 id="tickets-h">{`Tickets (${h.tickets.length})`}</h2>
        {h.tickets.length === 0 ? <p class="meta">None.</p> : (
          <table>
            <thead><tr><th>Ticket</th><th>Status</th><th>Reason</th><th>Source</th><th>Opened</th><th>Due</th><th>Resolved</th></tr></thead>
            <tbody>
              {h.tickets.map((t) => (
                <tr><td><a class="mono" href={`/agent/tickets/${t.number}`}>{t.number}</a></td><td>{t.status}</td><td>{t.reason}</td><td>{t.source}</td><td><When at={t.openedAt} /></td><td><When at={t.dueAt} /></td><td><When at={t.resolvedAt} /></td></tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section class="card" aria-labelledby="reveals-h">
        <h2 id="reveals-h">{`Key reveals (${reveals.length})`}</h2>
        {reveals.length === 0 ? <p class="meta">None.</p> : (
          <table>
            <thead><tr><th>When</th><th>Who</th><th>What</th></tr></thead>
            <tbody>{reveals.map((a) => <tr><td><When at={a.at} /></td><td>{actorOf(a.actorKind, a.actorId)}</td><td>{auditLine(a)}</td></tr>)}</tbody>
          </table>
        )}
      </section>
    </>
  );
}

/** The ticket queue: soonest due first, filters, the running clock of each. */
import { CATEGORIES } from '../../../tickets/category.ts';
import type { QueueFilters, QueueItem } from '../../../tickets/queue.ts';
import { TICKET_STATES } from '../../../tickets/states.ts';
import { Clock } from './clock.tsx';
import { When } from './layout.tsx';

export function Queue(p: { items: QueueItem[]; f: QueueFilters; agents: { id: number; name: string }[] }) {
  const sel = (v: string | undefined, x: string) => v === x;
  return (
    <section class="card" aria-labelledby="queue-h">
      <h1 id="queue-h">{`Tickets (${p.items.length})`}</h1>
      <form method="get" action="/agent/tickets" class="filters" aria-label="Filters">
        <div><label for="f-state">State</label>
          <select id="f-state" name="state">
            <option value="active" selected={!p.f.state || p.f.state === 'active'}>active (not resolved)</option>
            {TICKET_STATES.map((s) => <option value={s} selected={sel(p.f.state, s)}>{s.replaceAll('_', ' ')}</option>)}
            <option value="all" selected={sel(p.f.state, 'all')}>all</option>
          </select></div>
        <div><label for="f-category">Category</label>
          <select id="f-category" name="category">
            <option value="">any</option>
            {CATEGORIES.map((c) => <option value={c} selected={sel(p.f.category, c)}>{c}</option>)}
          </select></div>
        <div><label for="f-assignee">Assignee</label>
          <select id="f-assignee" name="assignee">
            <option value="">anyone</option>
            <option value="me" selected={sel(p.f.assignee, 'me')}>me</option>
            <option value="none" selected={sel(p.f.assignee, 'none')}>unassigned</option>
            {p.agents.map((a) => <option value={String(a.id)} selected={sel(p.f.assignee, String(a.id))}>{a.name}</option>)}
          </select></div>
        <div><label><input type="checkbox" name="risk" value="1" checked={p.f.atRisk} /> at risk only</label></div>
        <button type="submit">Filter</button>
      </form>
      {p.items.length === 0 ? <p class="meta">No ticket matches.</p> : (
        <table class="queue">
          <thead><tr><th>Ticket</th><th>Order</th><th>State</th><th>Category</th><th>Priority</th><th>Assignee</th><th>Clock</th><th>Opened</th></tr></thead>
          <tbody>
            {p.items.map((i) => (
              <tr class={i.clock.atRisk ? 'at-risk' : undefined} data-ticket={i.ticket.number} data-at-risk={String(i.clock.atRisk)}>
                <td><a class="mono" href={`/agent/tickets/${i.ticket.number}`}>{i.ticket.number}</a></td>
                <td class="mono">{i.ticket.orderNo}</td>
                <td>{i.ticket.status.replaceAll('_', ' ')}</td>
                <td>{i.ticket.category}</td>
                <td>{i.ticket.priority}</td>
                <td>{i.assignee ?? '-'}</td>
                <td><Clock clock={i.clock} status={i.ticket.status} /></td>
                <td><When at={i.ticket.openedAt} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The ticket queue: soonest due first, filters, the running clock of each. */
import { CATEGORIES } from '../../../tickets/category.ts';
import type { QueueFilters, QueueItem } from '../../../tickets/queue.ts';
import { TICKET_STATES } from '../../../tickets/states.ts';
import { Clock } from './clock.tsx';
import { useStrings } from '../strings.ts';
import { When } from './layout.tsx';

export function Queue(p: { items: QueueItem[]; f: QueueFilters; agents: { id: number; name: string }[] }) {
  const t = useStrings();
  const sel = (v: string | undefined, x: string) => v === x;
  return (
    <section class="card" aria-labelledby="queue-h">
      <h1 id="queue-h">{t.ticketsTitle(p.items.length)}</h1>
      <form method="get" action="/agent/tickets" class="filters" aria-label={t.filters}>
        <div><label for="f-state">{t.col.state}</label>
          <select id="f-state" name="state">
            <option value="active" selected={!p.f.state || p.f.state === 'active'}>{t.activeState}</option>
            {TICKET_STATES.map((s) => <option value={s} selected={sel(p.f.state, s)}>{s.replaceAll('_', ' ')}</option>)}
            <option value="all" selected={sel(p.f.state, 'all')}>{t.all}</option>
          </select></div>
        <div><label for="f-category">{t.col.category}</label>
          <select id="f-category" name="category">
            <option value="">{t.any}</option>
            {CATEGORIES.map((c) => <option value={c} selected={sel(p.f.category, c)}>{c}</option>)}
          </select></div>
        <div><label for="f-assignee">{t.col.assignee}</label>
          <select id="f-assignee" name="assignee">
            <option value="">{t.anyone}</option>
            <option value="me" selected={sel(p.f.assignee, 'me')}>{t.me}</option>
            <option value="none" selected={sel(p.f.assignee, 'none')}>{t.unassigned}</option>
            {p.agents.map((a) => <option value={String(a.id)} selected={sel(p.f.assignee, String(a.id))}>{a.name}</option>)}
          </select></div>
        <div><label><input type="checkbox" name="risk" value="1" checked={p.f.atRisk} />{` ${t.atRiskOnly}`}</label></div>
        <div><label><input type="checkbox" name="buyer" value="1" checked={p.f.buyerWrote} />{` ${t.buyerWroteOnly}`}</label></div>
        <button type="submit">{t.filter}</button>
      </form>
      {p.items.length === 0 ? <p class="meta">{t.noTicket}</p> : (
        <table class="queue">
          <thead><tr><th>{t.col.ticket}</th><th>{t.col.order}</th><th>{t.col.state}</th><th>{t.col.category}</th><th>{t.col.priority}</th><th>{t.col.assignee}</th><th>{t.col.clock}</th><th>{t.col.opened}</th></tr></thead>
          <tbody>
            {p.items.map((i) => (
              <tr class={i.clock.atRisk ? 'at-risk' : undefined} data-ticket={i.ticket.number} data-at-risk={String(i.clock.atRisk)} data-buyer-waiting={String(i.buyerWaiting)}>
                <td><a class="mono" href={`/agent/tickets/${i.ticket.number}`}>{i.ticket.number}</a>{i.buyerWaiting ? <span class="tag new">{t.buyerWroteTag}</span> : null}</td>
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

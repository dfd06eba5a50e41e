/**
 * A ticket: its state and clocks, who holds it, the conversation (replies the buyer sees, notes
 * they never do), macros, re-diagnose; then the order's own page (facts, latest diagnosis, keys,
 * timeline), reused as it is.
 */
import type { AgentAccount } from '../../../agents/accounts.ts';
import { CATEGORIES, PRIORITIES } from '../../../tickets/category.ts';
import type { TicketRow } from '../../../tickets/lifecycle.ts';
import { MACROS } from '../../../tickets/macros.ts';
import type { MessageRow } from '../../../tickets/messages.ts';
import type { ClockView } from '../../../tickets/sla.ts';
import { allowedEvents, type TicketEvent, type TicketState } from '../../../tickets/states.ts';
import type { OrderPageModel } from '../order-model.ts';
import { Clock } from './clock.tsx';
import { Csrf, Notice, When } from './layout.tsx';
import { OrderPage, type OrderNote } from './order.tsx';

export interface TicketPageModel {
  ticket: TicketRow;
  assignee: string | null;
  clock: ClockView;
  messages: MessageRow[];
  order: OrderPageModel | null;
  agents: { id: number; name: string }[];
  /** the reply box's text (a macro expanded) */
  draft?: string;
}

const EVENT_LABEL: Partial<Record<TicketEvent, string>> = { wait: 'Wait on buyer (pause clocks)', resume: 'Resume', resolve: 'Resolve', reopen: 'Reopen' };

export function TicketPage(p: { m: TicketPageModel; me: AgentAccount; csrf: string; note?: OrderNote }) {
  const { ticket: t } = p.m;
  const base = `/agent/tickets/${t.number}`;
  const events = allowedEvents(t.status as TicketState).filter((e) => EVENT_LABEL[e]);
  return (
    <>
      <section class="card" aria-labelledby="ticket-h" data-ticket={t.number} data-status={t.status}>
        <h1 id="ticket-h">Ticket <span class="mono">{t.number}</span></h1>
        {p.note ? <Notice kind={p.note.kind}>{p.note.text}</Notice> : null}
        <dl class="facts">
          <dt>State</dt><dd data-state>{t.status.replaceAll('_', ' ')}</dd>
          <dt>Clock</dt><dd><Clock clock={p.m.clock} status={t.status} /></dd>
          <dt>First response due</dt><dd><When at={t.firstResponseDueAt} />{t.firstRespondedAt ? <> · answered <When at={t.firstRespondedAt} /></> : null}{t.firstResponseBreachedAt ? <strong> · breached</strong> : null}</dd>
          <dt>Resolution due</dt><dd><When at={t.resolutionDueAt} />{t.resolutionBreachedAt ? <strong> · breached</strong> : null}</dd>
          <dt>Terms</dt><dd>{`${t.priority}: first response ${t.firstResponseMinutes} min, resolution ${t.resolutionMinutes} min${t.businessHours ? ', business hours' : ''}${t.pausedMs ? `, ${Math.round(t.pausedMs / 60_000)} min paused so far` : ''}`}</dd>
          <dt>Order</dt><dd><a class="mono" href={`/agent/orders/${encodeURIComponent(t.orderNo)}`}>{t.orderNo}</a></dd>
          <dt>Reason</dt><dd>{`${t.reason} (${t.source})`}</dd>
          <dt>Assignee</dt><dd data-assignee>{p.m.assignee ?? 'nobody'}</dd>
        </dl>
        <div class="actions">
          {t.assigneeId !== p.me.id ? (
            <form method="post" action={`${base}/claim`}><Csrf token={p.csrf} /><button type="submit">Claim</button></form>
          ) : null}
          {p.me.role === 'supervisor' ? (
            <form method="post" action={`${base}/assign`}>
              <Csrf token={p.csrf} />
              <label for="assignee">Assign to</label>
              <select id="assignee" name="assignee">
                <option value="">nobody</option>
                {p.m.agents.map((a) => <option value={String(a.id)} selected={a.id === t.assigneeId}>{a.name}</option>)}
              </select>
              <button type="submit">Assign</button>
            </form>
          ) : null}
          {events.map((e) => (
            <form method="post" action={`${base}/state`}><Csrf token={p.csrf} /><input type="hidden" name="event" value={e} /><button type="submit">{EVENT_LABEL[e]}</button></form>
          ))}
          <form method="post" action={`${base}/diagnose`}><Csrf token={p.csrf} /><button class="primary" type="submit">Re-diagnose</button></form>
        </div>
        <form method="post" action={`${base}/triage`} class="actions">
          <Csrf token={p.csrf} />
          <div><label for="priority">Priority</label>
            <select id="priority" name="priority">{PRIORITIES.map((x) => <option value={x} selected={x === t.priority}>{x}</option>)}</select></div>
          <div><label for="category">Category</label>
            <select id="category" name="category">{CATEGORIES.map((x) => <option value={x} selected={x === t.category}>{x}</option>)}</select></div>
          <button type="submit">Save</button>
        </form>
      </section>
      <Conversation m={p.m} base={base} csrf={p.csrf} />
      {p.m.order ? <OrderPage m={p.m.order} csrf={p.csrf} /> : <section class="card"><p class="meta">The order is not found any more.</p></section>}
    </>
  );
}

function Conversation(p: { m: TicketPageModel; base: string; csrf: string }) {
  return (
    <section class="card" aria-labelledby="conv-h">
      <h2 id="conv-h">{`Conversation (${p.m.messages.length})`}</h2>
      {p.m.messages.map((m) => (
        <article class={`msg ${m.kind}`} data-message={m.kind}>
          <p class="meta">{m.kind === 'reply' ? 'Reply to the buyer' : 'Internal note (never shown to the buyer)'}{` · ${m.authorName} · `}<When at={m.createdAt} /></p>
          <p>{m.body}</p>
        </article>
      ))}
      <h3>Reply to the buyer</h3>
      <p class="macros">
        <span class="meta">Macros:</span>
        {Object.entries(MACROS).map(([k, v]) => <a href={`${p.base}?macro=${k}#reply`}>{v.title}</a>)}
      </p>
      <form method="post" action={`${p.base}/reply`}>
        <Csrf token={p.csrf} />
        <label for="reply">Reply (shown on the buyer's ticket page, and emailed when mail is configured)</label>
        <textarea id="reply" name="body" required maxlength={4000}>{p.m.draft ?? ''}</textarea>
        <label for="then">Then</label>
        <select id="then" name="then">
          <option value="">keep the ticket as it is</option>
          <option value="wait">wait on the buyer (pause the clocks)</option>
          <option value="resolve">resolve</option>
        </select>
        <button class="primary" type="submit">Send reply</button>
      </form>
      <h3>Internal note</h3>
      <form method="post" action={`${p.base}/note`}>
        <Csrf token={p.csrf} />
        <label for="note">Note (agents only)</label>
        <textarea id="note" name="body" required maxlength={4000}></textarea>
        <button type="submit">Add note</button>
      </form>
    </section>
  );
}

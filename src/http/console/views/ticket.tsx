/**
 * A ticket: its state and clocks, who holds it, the conversation (replies the buyer sees, notes
 * they never do), macros, re-diagnose; then the order's own page (facts, latest diagnosis, keys,
 * timeline), reused as it is.
 */
import type { AgentAccount } from '../../../agents/accounts.ts';
import { mayOverride } from '../../../agents/override.ts';
import { CATEGORIES, PRIORITIES } from '../../../tickets/category.ts';
import type { TicketRow } from '../../../tickets/lifecycle.ts';
import { MACROS } from '../../../tickets/macros.ts';
import type { MessageRow } from '../../../tickets/messages.ts';
import type { ClockView } from '../../../tickets/sla.ts';
import { allowedEvents, type TicketEvent, type TicketState } from '../../../tickets/states.ts';
import type { OrderPageModel } from '../order-model.ts';
import { Clock } from './clock.tsx';
import { useStrings } from '../strings.ts';
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

export function TicketPage(p: { m: TicketPageModel; me: AgentAccount; csrf: string; note?: OrderNote }) {
  const { ticket: t } = p.m;
  const s = useStrings();
  const base = `/agent/tickets/${t.number}`;
  // buyer_reply is the buyer's, never a button
  const events = allowedEvents(t.status as TicketState).filter((e): e is TicketEvent => Boolean(s.events[e]));
  return (
    <>
      <section class="card" aria-labelledby="ticket-h" data-ticket={t.number} data-status={t.status}>
        <h1 id="ticket-h">{`${s.ticketTitle} `}<span class="mono">{t.number}</span></h1>
        {p.note ? <Notice kind={p.note.kind}>{p.note.text}</Notice> : null}
        <dl class="facts">
          <dt>{s.col.state}</dt><dd data-state>{t.status.replaceAll('_', ' ')}</dd>
          <dt>{s.col.clock}</dt><dd><Clock clock={p.m.clock} status={t.status} /></dd>
          <dt>{s.firstResponseDue}</dt><dd><When at={t.firstResponseDueAt} />{t.firstRespondedAt ? <>{` · ${s.answered} `}<When at={t.firstRespondedAt} /></> : null}{t.firstResponseBreachedAt ? <strong>{` · ${s.breached}`}</strong> : null}</dd>
          <dt>{s.resolutionDue}</dt><dd><When at={t.resolutionDueAt} />{t.resolutionBreachedAt ? <strong>{` · ${s.breached}`}</strong> : null}</dd>
          <dt>{s.terms}</dt><dd>{`${t.priority}: first response ${t.firstResponseMinutes} min, resolution ${t.resolutionMinutes} min${t.businessHours ? ', business hours' : ''}${t.pausedMs ? `, ${Math.round(t.pausedMs / 60_000)} min paused so far` : ''}`}</dd>
          <dt>{s.col.order}</dt><dd><a class="mono" href={`/agent/orders/${encodeURIComponent(t.orderNo)}`}>{t.orderNo}</a></dd>
          <dt>{s.col.reason}</dt><dd>{`${t.reason} (${t.source})`}</dd>
          <dt>{s.col.assignee}</dt><dd data-assignee>{p.m.assignee ?? s.nobody}</dd>
        </dl>
        <div class="actions">
          {t.assigneeId !== p.me.id ? (
            <form method="post" action={`${base}/claim`}><Csrf token={p.csrf} /><button type="submit">{s.claim}</button></form>
          ) : null}
          {p.me.role === 'supervisor' ? (
            <form method="post" action={`${base}/assign`}>
              <Csrf token={p.csrf} />
              <label for="assignee">{s.assignTo}</label>
              <select id="assignee" name="assignee">
                <option value="">{s.nobody}</option>
                {p.m.agents.map((a) => <option value={String(a.id)} selected={a.id === t.assigneeId}>{a.name}</option>)}
              </select>
              <button type="submit">{s.assign}</button>
            </form>
          ) : null}
          {events.map((e) => (
            <form method="post" action={`${base}/state`}><Csrf token={p.csrf} /><input type="hidden" name="event" value={e} /><button type="submit">{s.events[e]}</button></form>
          ))}
          <form method="post" action={`${base}/diagnose`}><Csrf token={p.csrf} /><button class="primary" type="submit">{s.rediagnose}</button></form>
        </div>
        <form method="post" action={`${base}/triage`} class="actions">
          <Csrf token={p.csrf} />
          <div><label for="priority">{s.col.priority}</label>
            <select id="priority" name="priority">{PRIORITIES.map((x) => <option value={x} selected={x === t.priority}>{x}</option>)}</select></div>
          <div><label for="category">{s.col.category}</label>
            <select id="category" name="category">{CATEGORIES.map((x) => <option value={x} selected={x === t.category}>{x}</option>)}</select></div>
          <button type="submit">{s.save}</button>
        </form>
      </section>
      <Conversation m={p.m} base={base} csrf={p.csrf} />
      {p.m.order ? <OrderPage m={p.m.order} csrf={p.csrf} supervisor={mayOverride(p.me)} /> : <section class="card"><p class="meta">{s.orderGone}</p></section>}
    </>
  );
}

function Conversation(p: { m: TicketPageModel; base: string; csrf: string }) {
  const t = useStrings();
  return (
    <section class="card" aria-labelledby="conv-h">
      <h2 id="conv-h">{t.conversation(p.m.messages.length)}</h2>
      {p.m.messages.map((m) => (
        <article class={`msg ${m.kind}`} data-message={m.kind}>
          <p class="meta">{t.messageLabel[m.kind]}{m.kind === 'buyer' ? ' · ' : ` · ${m.authorName} · `}<When at={m.createdAt} /></p>
          <p>{m.body}</p>
        </article>
      ))}
      <h3>{t.replyHeading}</h3>
      <p class="macros">
        <span class="meta">{t.macros}</span>
        {Object.entries(MACROS).map(([k, v]) => <a href={`${p.base}?macro=${k}#reply`}>{v.title}</a>)}
      </p>
      <form method="post" action={`${p.base}/reply`}>
        <Csrf token={p.csrf} />
        <label for="reply">{t.replyLabel}</label>
        <textarea id="reply" name="body" required maxlength={4000}>{p.m.draft ?? ''}</textarea>
        <label for="then">{t.then}</label>
        <select id="then" name="then">
          <option value="">{t.thenKeep}</option>
          <option value="wait">{t.thenWait}</option>
          <option value="resolve">{t.thenResolve}</option>
        </select>
        <button class="primary" type="submit">{t.sendReply}</button>
      </form>
      <h3>{t.noteHeading}</h3>
      <form method="post" action={`${p.base}/note`}>
        <Csrf token={p.csrf} />
        <label for="note">{t.noteLabel}</label>
        <textarea id="note" name="body" required maxlength={4000}></textarea>
        <button type="submit">{t.addNote}</button>
      </form>
    </section>
  );
}

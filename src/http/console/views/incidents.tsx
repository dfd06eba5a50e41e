/** Incidents: the list (cause in words, how many, oldest and soonest due, the orders) and one incident. */
import type { Incident } from '../../../incidents/group.ts';
import type { IncidentRecord } from '../../../incidents/store.ts';
import { MAX_MESSAGE_LENGTH } from '../../../tickets/messages.ts';
import { Csrf, Notice, When } from './layout.tsx';

export const incidentUrl = (key: string) => `/agent/incidents/${encodeURIComponent(key)}`;

/** Who moved the record and when: "acknowledged by ann at ..., closed by bob at ...". */
export function RecordLine(p: { r: IncidentRecord }) {
  const r = p.r;
  return (
    <span class="meta" data-incident-status={r.status}>
      {`#${r.id} · opened `}<When at={r.openedAt} />
      {r.acknowledgedAt ? <>{` · acknowledged by ${r.acknowledgedByName ?? `agent ${r.acknowledgedBy}`} `}<When at={r.acknowledgedAt} /></> : null}
      {r.closedAt ? <>{` · closed by ${r.closedByName ?? `agent ${r.closedBy}`} `}<When at={r.closedAt} /></> : null}
    </span>
  );
}

export function IncidentList(p: { incidents: Incident[]; closed: IncidentRecord[]; threshold: number; note?: string }) {
  return (
    <>
    <section class="card" aria-labelledby="incidents-h">
      <h1 id="incidents-h">{`Incidents (${p.incidents.length})`}</h1>
      {p.note ? <Notice kind="done">{p.note}</Notice> : null}
      <p class="meta">{`Open tickets whose orders' latest diagnoses share a cause (the verdict and the channel, product or migration batch behind it), shown from ${p.threshold} tickets.`}</p>
      {p.incidents.length === 0 ? <p class="meta">No shared cause among the open tickets.</p> : (
        <table class="queue">
          <thead><tr><th>Cause</th><th>State</th><th>Tickets</th><th>Oldest opened</th><th>Soonest due</th><th>Orders</th></tr></thead>
          <tbody>
            {p.incidents.map((i) => (
              <tr data-incident={i.cause.key}>
                <td><a href={incidentUrl(i.cause.key)}>{i.title}</a><br /><span class="meta mono">{i.cause.verdict}</span></td>
                <td data-state>{i.record ? <>{i.record.status}<br /><RecordLine r={i.record} /></> : '-'}</td>
                <td data-count>{String(i.items.length)}</td>
                <td><When at={i.oldestOpenedAt} /></td>
                <td><When at={i.soonestDueAt} /></td>
                <td class="mono">{i.items.slice(0, 5).map((t) => t.ticket.orderNo).join(' ')}{i.items.length > 5 ? ` +${i.items.length - 5}` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
    <section class="card" aria-labelledby="closed-h">
      <h2 id="closed-h">{`Recently closed (${p.closed.length})`}</h2>
      {p.closed.length === 0 ? <p class="meta">None.</p> : (
        <ul class="closed-incidents">
          {p.closed.map((r) => <li data-closed-incident={r.causeKey}><strong>{r.title}</strong> <RecordLine r={r} /></li>)}
        </ul>
      )}
    </section>
    </>
  );
}

export function IncidentPage(p: { incident: Incident; csrf: string; once: string; supervisor: boolean; note?: { kind: 'error' | 'info' | 'done'; text: string } }) {
  const { incident: i } = p;
  const base = incidentUrl(i.cause.key);
  return (
    <>
      <section class="card" aria-labelledby="incident-h">
        <h1 id="incident-h">{i.title}</h1>
        {p.note ? <Notice kind={p.note.kind}>{p.note.text}</Notice> : null}
        <p class="meta">{`${i.items.length} open tickets · ${i.cause.verdict}${i.cause.fact ? ` · ${i.cause.fact} ${i.cause.value}` : ''} · oldest opened `}<When at={i.oldestOpenedAt} />{' · soonest due '}<When at={i.soonestDueAt} /></p>
        {i.record ? (
          <div class="actions" data-record={String(i.record.id)}>
            <p><strong data-state>{i.record.status}</strong> <RecordLine r={i.record} /></p>
            {i.record.status === 'open' ? (
              <form method="post" action={`${base}/acknowledge`}><Csrf token={p.csrf} /><input type="hidden" name="incident" value={String(i.record.id)} /><button type="submit">Acknowledge (we are on it)</button></form>
            ) : null}
            <form method="post" action={`${base}/close`}><Csrf token={p.csrf} /><input type="hidden" name="incident" value={String(i.record.id)} /><button type="submit">Close (the cause is fixed)</button></form>
          </div>
        ) : null}
        <table class="queue">
          <thead><tr><th>Ticket</th><th>Order</th><th>State</th><th>Latest verdict</th><th>Diagnosed</th><th>Due</th></tr></thead>
          <tbody>
            {i.items.map(({ ticket: t, latest }) => (
              <tr data-ticket={t.number}>
                <td><a class="mono" href={`/agent/tickets/${t.number}`}>{t.number}</a></td>
                <td><a class="mono" href={`/agent/orders/${encodeURIComponent(t.orderNo)}`}>{t.orderNo}</a></td>
                <td>{t.status.replaceAll('_', ' ')}</td>
                <td data-verdict={latest?.verdict ?? t.reason}>{latest?.verdict ?? t.reason}</td>
                <td><When at={latest?.startedAt} /></td>
                <td><When at={t.dueAt} /></td>
              </tr>
            ))}
          </tbody>
        </table>
        <form method="post" action={`${base}/preview`}>
          <Csrf token={p.csrf} />
          <button class="primary" type="submit">Re-diagnose all (preview, changes nothing)</button>
        </form>
      </section>
      <section class="card" aria-labelledby="message-h">
        <h2 id="message-h">Message all their buyers</h2>
        {p.supervisor ? (
          <form method="post" action={`${base}/message`}>
            <Csrf token={p.csrf} />
            <input type="hidden" name="once" value={p.once} />
            <label for="incident-body">{`A reply on each of the ${i.items.length} tickets: shown on each buyer's ticket page and emailed once when mail is configured.`}</label>
            <textarea id="incident-body" name="body" rows={5} maxlength={MAX_MESSAGE_LENGTH} required></textarea>
            <button type="submit">{`Send to ${i.items.length} buyers`}</button>
          </form>
        ) : <p class="meta">Supervisors send one message to all the buyers of an incident; reply on each ticket otherwise.</p>}
      </section>
    </>
  );
}

/** Incidents: the list (cause in words, how many, oldest and soonest due, the orders) and one incident. */
import type { Incident } from '../../../incidents/group.ts';
import { MAX_MESSAGE_LENGTH } from '../../../tickets/messages.ts';
import { Csrf, Notice, When } from './layout.tsx';

export const incidentUrl = (key: string) => `/agent/incidents/${encodeURIComponent(key)}`;

export function IncidentList(p: { incidents: Incident[]; threshold: number }) {
  return (
    <section class="card" aria-labelledby="incidents-h">
      <h1 id="incidents-h">{`Incidents (${p.incidents.length})`}</h1>
      <p class="meta">{`Open tickets whose orders' latest diagnoses share a cause (the verdict and the channel, product or migration batch behind it), shown from ${p.threshold} tickets.`}</p>
      {p.incidents.length === 0 ? <p class="meta">No shared cause among the open tickets.</p> : (
        <table class="queue">
          <thead><tr><th>Cause</th><th>Tickets</th><th>Oldest opened</th><th>Soonest due</th><th>Orders</th></tr></thead>
          <tbody>
            {p.incidents.map((i) => (
              <tr data-incident={i.cause.key}>
                <td><a href={incidentUrl(i.cause.key)}>{i.title}</a><br /><span class="meta mono">{i.cause.verdict}</span></td>
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

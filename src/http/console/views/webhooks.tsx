/** The shop's webhooks: each event's delivery state, with a resend button. */
import type { WebhookRow } from '../../../push/webhook-admin.ts';
import { Csrf, Notice, When } from './layout.tsx';

export function WebhooksPage(p: { rows: WebhookRow[]; csrf: string; configured: boolean; note?: string; error?: string }) {
  return (
    <section class="card" aria-labelledby="webhooks-h">
      <h1 id="webhooks-h">Shop webhooks</h1>
      {p.error ? <Notice kind="error">{p.error}</Notice> : null}
      {p.note ? <Notice kind="done">{p.note}</Notice> : null}
      <p class="hint">
        {p.configured
          ? 'Deliveries announced to the shop (SHOP_WEBHOOK_URL). Failed events were retried for a day; a resend sends the same event id, which the shop de-duplicates on.'
          : 'SHOP_WEBHOOK_URL is not set: no webhooks are sent. Events queued before are listed.'}
      </p>
      {p.rows.length === 0 ? <p>No webhooks yet.</p> : (
        <table>
          <thead><tr><th>Event</th><th>Order</th><th>Status</th><th>Attempts</th><th>Last answer</th><th>Created</th><th></th></tr></thead>
          <tbody>
            {p.rows.map((r) => (
              <tr>
                <td><code>{r.eventId}</code><br />{r.type}</td>
                <td><a href={`/agent/orders/${encodeURIComponent(r.orderNo)}`}>{r.orderNo}</a></td>
                <td>{r.status}{r.status === 'pending' && r.attempts > 0 ? <> (next <When at={r.nextAt} />)</> : ''}</td>
                <td>{String(r.attempts)}</td>
                <td>{r.lastStatus !== null ? `HTTP ${r.lastStatus}` : ''}{r.lastError ? ` ${r.lastError}` : ''}</td>
                <td><When at={r.createdAt} /></td>
                <td>
                  {r.status === 'sending' ? 'sending…' : (
                    <form method="post" action={`/agent/webhooks/${r.id}/resend`}>
                      <Csrf token={p.csrf} />
                      <button type="submit">Resend</button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

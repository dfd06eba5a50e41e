/** The bulk re-diagnosis: the dry run (what confirming would do per order) and the results. */
import type { BulkRow, PreviewRow } from '../../../incidents/bulk.ts';
import { Csrf } from './layout.tsx';
import { incidentUrl } from './incidents.tsx';

export function BulkPreview(p: { incidentKey: string; title: string; rows: PreviewRow[]; csrf: string; supervisor: boolean }) {
  const base = incidentUrl(p.incidentKey);
  const applying = p.rows.filter((r) => r.applies);
  return (
    <section class="card confirm" aria-labelledby="preview-h">
      <h1 id="preview-h">{`Preview: ${p.title}`}</h1>
      <p class="meta">Each order was diagnosed just now without applying anything (recorded as a diagnosis, nothing else changed).
        Confirming applies these diagnoses once each, however often it is clicked; an order that changed since, or a preview older than 10 minutes, is diagnosed again instead.</p>
      <table class="queue">
        <thead><tr><th>Order</th><th>Ticket</th><th>Verdict now</th><th>Confirming would</th></tr></thead>
        <tbody>
          {p.rows.map((r) => (
            <tr data-order={r.orderNo} data-applies={String(r.applies)}>
              <td class="mono">{r.orderNo}</td><td class="mono">{r.ticket}</td><td data-verdict={r.verdict}>{r.verdict}</td><td data-would>{r.would}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {applying.length === 0 ? <p class="meta">Nothing to apply for any order.</p> : p.supervisor ? (
        <form method="post" action={`${base}/apply`}>
          <Csrf token={p.csrf} />
          <input type="hidden" name="pairs" value={applying.map((r) => `${r.orderNo}:${r.diagnosisId}`).join(' ')} />
          <button class="primary danger" type="submit">{`Yes: apply to ${applying.length} order${applying.length === 1 ? '' : 's'}`}</button>
        </form>
      ) : <p class="meta">A supervisor confirms a bulk apply; each order can also be applied from its own page.</p>}
      <p><a href={base}>Back to the incident</a></p>
    </section>
  );
}

export function BulkResults(p: { incidentKey: string; rows: BulkRow[] }) {
  return (
    <section class="card" aria-labelledby="results-h">
      <h1 id="results-h">{`Applied: ${p.rows.filter((r) => r.outcome === 'applied').length} of ${p.rows.length}`}</h1>
      <table class="queue">
        <thead><tr><th>Order</th><th>Outcome</th></tr></thead>
        <tbody>
          {p.rows.map((r) => (
            <tr data-order={r.orderNo} data-outcome={r.outcome}>
              <td><a class="mono" href={`/agent/orders/${encodeURIComponent(r.orderNo)}`}>{r.orderNo}</a></td><td>{r.text}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p><a href={incidentUrl(p.incidentKey)}>Back to the incident</a> · <a href="/agent/incidents">All incidents</a></p>
    </section>
  );
}

import { formatMoney } from '../../../domain/format.ts';
import type { SearchHit } from '../../../agents/search.ts';
import type { TicketRow } from '../../../agents/history.ts';
import { Csrf, Notice, When } from './layout.tsx';

const BY: Record<SearchHit['by'], string> = { order_no: 'order number', trade_no: 'transaction number', legacy: 'legacy number', contact: 'buyer contact' };

export function Home(p: { csrf: string; q?: string; hits?: SearchHit[]; open: TicketRow[] }) {
  return (
    <>
      <section class="card" aria-labelledby="search-h">
        <h1 id="search-h">Find an order</h1>
        <form method="post" action="/agent/search" class="search">
          <Csrf token={p.csrf} />
          <label for="q">Order number, payment transaction number or buyer email</label>
          <div class="row">
            <input id="q" name="q" type="text" value={p.q ?? ''} required maxlength={200} spellcheck={false} autocomplete="off" />
            <button class="primary" type="submit">Search</button>
          </div>
        </form>
      </section>
      {p.hits ? <Results q={p.q ?? ''} hits={p.hits} /> : null}
      <section class="card" aria-labelledby="open-h">
        <h2 id="open-h">Open tickets</h2>
        <p><a href="/agent/tickets">The ticket queue, with clocks and filters</a></p>
        {p.open.length === 0 ? <p class="meta">None.</p> : (
          <table>
            <thead><tr><th>Ticket</th><th>Order</th><th>Reason</th><th>Opened</th><th>Due</th></tr></thead>
            <tbody>
              {p.open.map((t) => (
                <tr>
                  <td><a class="mono" href={`/agent/tickets/${t.number}`}>{t.number}</a></td>
                  <td><a class="mono" href={`/agent/orders/${encodeURIComponent(t.orderNo)}`}>{t.orderNo}</a></td>
                  <td>{t.reason}</td>
                  <td><When at={t.openedAt} /></td>
                  <td><When at={t.dueAt} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function Results(p: { q: string; hits: SearchHit[] }) {
  return (
    <section class="card" aria-labelledby="results-h">
      <h2 id="results-h">{`Results for “${p.q}”`}</h2>
      {p.hits.length === 0 ? <Notice kind="info">No order matches: not an order or transaction number any record or gateway knows, nor a buyer's contact.</Notice> : (
        <table class="results">
          <thead><tr><th>Order</th><th>Matched by</th><th>Status</th><th>Product</th><th>Amount</th><th>Created</th><th>Contact</th></tr></thead>
          <tbody>
            {p.hits.map((h) => (
              <tr>
                <td><a class="mono" href={`/agent/orders/${encodeURIComponent(h.orderNo)}`}>{h.orderNo}</a></td>
                <td>{BY[h.by]}</td>
                <td>{h.status}</td>
                <td>{h.productTitle ?? '-'}</td>
                <td>{h.amountCents === undefined ? '-' : formatMoney(h.amountCents)}</td>
                <td><When at={h.createdAt} /></td>
                <td>{h.contact ?? '-'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

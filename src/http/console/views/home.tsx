import { formatMoney } from '../../../domain/format.ts';
import type { SearchHit } from '../../../agents/search.ts';
import type { TicketRow } from '../../../agents/history.ts';
import { useStrings } from '../strings.ts';
import { Csrf, Notice, When } from './layout.tsx';

export function Home(p: { csrf: string; q?: string; hits?: SearchHit[]; open: TicketRow[] }) {
  const t = useStrings();
  return (
    <>
      <section class="card" aria-labelledby="search-h">
        <h1 id="search-h">{t.findOrder}</h1>
        <form method="post" action="/agent/search" class="search">
          <Csrf token={p.csrf} />
          <label for="q">{t.searchLabel}</label>
          <div class="row">
            <input id="q" name="q" type="text" value={p.q ?? ''} required maxlength={200} spellcheck={false} autocomplete="off" />
            <button class="primary" type="submit">{t.searchButton}</button>
          </div>
        </form>
      </section>
      {p.hits ? <Results q={p.q ?? ''} hits={p.hits} /> : null}
      <section class="card" aria-labelledby="open-h">
        <h2 id="open-h">{t.openTickets}</h2>
        <p><a href="/agent/tickets">{t.queueLink}</a></p>
        {p.open.length === 0 ? <p class="meta">{t.none}</p> : (
          <table>
            <thead><tr><th>{t.col.ticket}</th><th>{t.col.order}</th><th>{t.col.reason}</th><th>{t.col.opened}</th><th>{t.col.due}</th></tr></thead>
            <tbody>
              {p.open.map((k) => (
                <tr>
                  <td><a class="mono" href={`/agent/tickets/${k.number}`}>{k.number}</a></td>
                  <td><a class="mono" href={`/agent/orders/${encodeURIComponent(k.orderNo)}`}>{k.orderNo}</a></td>
                  <td>{k.reason}</td>
                  <td><When at={k.openedAt} /></td>
                  <td><When at={k.dueAt} /></td>
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
  const t = useStrings();
  return (
    <section class="card" aria-labelledby="results-h">
      <h2 id="results-h">{t.resultsFor(p.q)}</h2>
      {p.hits.length === 0 ? <Notice kind="info">{t.noMatch}</Notice> : (
        <table class="results">
          <thead><tr><th>{t.col.order}</th><th>{t.col.matchedBy}</th><th>{t.col.status}</th><th>{t.col.product}</th><th>{t.col.amount}</th><th>{t.col.created}</th><th>{t.col.contact}</th></tr></thead>
          <tbody>
            {p.hits.map((h) => (
              <tr>
                <td><a class="mono" href={`/agent/orders/${encodeURIComponent(h.orderNo)}`}>{h.orderNo}</a></td>
                <td>{t.matchedBy[h.by]}</td>
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

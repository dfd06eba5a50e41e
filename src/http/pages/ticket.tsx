/** The ticket's status, for the verified buyer of its order only. */
import type { TicketView } from './answer-model.ts';
import { TicketBox } from './answer.tsx';
import { Notice } from './layout.tsx';
import { strings, withLang, type Lang } from './strings.ts';

export function TicketPage(p: { lang: Lang; orderNo?: string; ticket?: TicketView }) {
  const t = strings(p.lang);
  return (
    <>
      <h1>{t.ticketTitle}</h1>
      {p.ticket ? (
        <section class="card" aria-label={t.ticketTitle}>
          <p>
            {t.order} <span class="order-no">{p.orderNo}</span>
          </p>
          <TicketBox ticket={p.ticket} lang={p.lang} />
          <p class="hint">{t.ticketComeBack}</p>
        </section>
      ) : (
        <Notice kind="error">{t.ticketNotFound}</Notice>
      )}
      <p class="again">
        {p.ticket ? <a href={withLang('/order', p.lang)}>{t.back}</a> : null} <a href={withLang('/', p.lang)}>{t.newLookup}</a>
      </p>
    </>
  );
}

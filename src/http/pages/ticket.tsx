/**
 * The ticket's status, for the verified buyer of its order only, with the messages so far and a
 * form to write to support (tickets/buyer-messages.ts): the same CSRF field as the page's other
 * forms; every message is text, escaped by JSX on the way out.
 */
import { BUYER_MESSAGE_MAX } from '../../tickets/buyer-messages.ts';
import type { TicketView } from './answer-model.ts';
import { TicketBox } from './answer.tsx';
import { CsrfField, Notice } from './layout.tsx';
import { strings, withLang, type Lang } from './strings.ts';

export interface TicketNote {
  kind: 'error' | 'info';
  text: string;
}

export function TicketPage(p: { lang: Lang; orderNo?: string; ticket?: TicketView; csrf?: string; note?: TicketNote; draft?: string; canWrite?: boolean }) {
  const t = strings(p.lang);
  return (
    <>
      <h1>{t.ticketTitle}</h1>
      {p.note ? <Notice kind={p.note.kind}>{p.note.text}</Notice> : null}
      {p.ticket ? (
        <section class="card" aria-label={t.ticketTitle}>
          <p>
            {t.order} <span class="order-no">{p.orderNo}</span>
          </p>
          <TicketBox ticket={p.ticket} lang={p.lang} />
          {p.csrf && p.canWrite ? (
            <form method="post" action={withLang(`/ticket/reply?no=${encodeURIComponent(p.ticket.number)}`, p.lang)} class="write">
              <CsrfField token={p.csrf} />
              <label for="buyer-message">{t.ticketWrite}</label>
              <textarea id="buyer-message" name="body" required maxlength={BUYER_MESSAGE_MAX} aria-describedby="buyer-message-hint">{p.draft ?? ''}</textarea>
              <p class="hint" id="buyer-message-hint">{t.ticketWriteHint(BUYER_MESSAGE_MAX)}</p>
              <button type="submit" class="primary">{t.ticketSend}</button>
            </form>
          ) : null}
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

/**
 * The answer: the verdict in plain words, the verified facts, the timeline, the keys (masked until
 * a verified reveal), what happens next, and "did this solve it?".
 */
import { VERDICT_TITLES } from '../../domain/explain.ts';
import { channelName, formatMoney, formatTime } from '../../domain/format.ts';
import type { AnswerModel, ShownKey, TicketView } from './answer-model.ts';
import { CsrfField, Notice } from './layout.tsx';
import { strings, withLang, type Lang, type Strings } from './strings.ts';
import { Timeline } from './timeline.tsx';

export interface AnswerProps {
  model: AnswerModel;
  lang: Lang;
  csrf: string;
  notice?: { kind: 'error' | 'info'; text: string };
  /** after "no": the ticket just opened or reused */
  ticketJustOpened?: boolean;
  solved?: boolean;
}

const GOOD = new Set(['DELIVERED']);
const WAIT = new Set(['DELIVERY_IN_PROGRESS', 'MIGRATION_PENDING', 'UPSTREAM_UNAVAILABLE']);

function tone(m: AnswerModel): 'good' | 'wait' | 'bad' {
  if (GOOD.has(m.verdict) || m.action === 'reissued' || m.action === 'restored') return 'good';
  return WAIT.has(m.verdict) ? 'wait' : 'bad';
}

function factRows(m: AnswerModel, lang: Lang, t: Strings): [string, string][] {
  const f = m.facts;
  const rows: [string, string][] = [];
  if (f.paidAmountCents !== undefined) rows.push([t.facts_paidAmount, formatMoney(f.paidAmountCents)]);
  if (f.orderAmountCents !== undefined && f.orderAmountCents !== f.paidAmountCents) rows.push([t.facts_orderAmount, formatMoney(f.orderAmountCents)]);
  if (f.paidAt) rows.push([t.facts_paidAt, formatTime(f.paidAt)]);
  if (f.refundedAt) rows.push([t.facts_refundedAt, formatTime(f.refundedAt)]);
  if (m.verdict === 'REFUNDED') {
    const ch = channelName(f.channel ?? m.order?.channel ?? undefined, lang);
    rows.push([t.facts_refundTo, lang === 'en' ? `the account you paid from (${ch})` : `您付款时使用的账户（${ch}）`]);
  }
  if (f.deliveryDueAt) rows.push([t.facts_deliveryDueAt, formatTime(f.deliveryDueAt)]);
  // after a reissue or restore the "missing" count is history, not a fact about the order now
  if (f.missing && m.action !== 'reissued' && m.action !== 'restored') rows.push([t.facts_missing, String(f.missing)]);
  if (f.legacyOrderNo) rows.push([t.facts_legacyOrderNo, f.legacyOrderNo]);
  if (f.batch) rows.push([t.facts_batch, f.batch]);
  if (f.eta) rows.push([t.facts_eta, formatTime(f.eta)]);
  if (f.tradeNo) rows.push([t.facts_tradeNo, f.tradeNo]);
  if (m.nextCheckAt) rows.push([t.facts_nextCheckAt, formatTime(m.nextCheckAt)]);
  return rows;
}

function Keys(p: { keys: ShownKey[]; lang: Lang; csrf: string }) {
  const t = strings(p.lang);
  if (p.keys.length === 0) return null;
  return (
    <section class="card" aria-labelledby="keys-h">
      <h2 id="keys-h">{t.keys}</h2>
      <p class="hint">{t.keysNote}</p>
      <ul class="keys" data-copied={t.copied} data-copy-failed={t.copyFailed}>
        {p.keys.map((k) => (
          <li class="key">
            <span class="slot">
              {t.keySlot(k.slot)}
              {k.replacement ? <span class="tag">{t.replacement}</span> : null}
            </span>
            <code id={`key-${k.slot}`} class={k.secret ? 'secret shown' : 'secret'}>{k.secret ?? k.masked}</code>
            <span class="meta">
              {t.issuedAt} <time datetime={k.issuedAt}>{formatTime(k.issuedAt)}</time>
            </span>
            <form method="post" action={withLang('/reveal', p.lang)} class="reveal" data-slot={String(k.slot)}>
              <CsrfField token={p.csrf} />
              <input type="hidden" name="slot" value={String(k.slot)} />
              <button type="submit" aria-describedby={`key-${k.slot}`}>{t.revealSlot(k.slot)}</button>
            </form>
            <span class="copy-status" id={`copy-${k.slot}`} role="status" aria-live="polite"></span>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function TicketBox(p: { ticket: TicketView; lang: Lang }) {
  const t = strings(p.lang);
  const k = p.ticket;
  const status = k.status === 'resolved' ? t.ticketResolved : k.status === 'waiting_on_buyer' ? t.ticketWaiting : t.ticketOpen;
  return (
    <>
      <dl class="facts ticket">
        <dt>{t.ticketNo}</dt>
        <dd class="ticket-no">{k.number}</dd>
        <dt>{t.ticketStatus}</dt>
        <dd class={`status ${k.status}`}>{status}</dd>
        <dt>{t.ticketOpened}</dt>
        <dd><time datetime={k.openedAt}>{formatTime(k.openedAt)}</time></dd>
        {k.status === 'open' || k.status === 'reopened' ? (
          <>
            <dt>{t.ticketDue}</dt>
            <dd><time datetime={k.dueAt}>{formatTime(k.dueAt)}</time></dd>
          </>
        ) : k.status === 'resolved' && k.resolvedAt ? (
          <>
            <dt>{t.ticketResolvedAt}</dt>
            <dd><time datetime={k.resolvedAt}>{formatTime(k.resolvedAt)}</time></dd>
          </>
        ) : null}
      </dl>
      {k.replies.length ? (
        <section class="replies" aria-label={t.ticketReplies}>
          <h3>{t.ticketReplies}</h3>
          {k.replies.map((r) => (
            <article class={r.fromBuyer ? 'reply mine' : 'reply'} data-reply={r.fromBuyer ? 'buyer' : 'support'}>
              <p class="meta"><time datetime={r.at}>{formatTime(r.at)}</time>{` · ${r.fromBuyer ? t.ticketYou : r.author}`}</p>
              <p class="reply-body">{r.body}</p>
            </article>
          ))}
        </section>
      ) : null}
    </>
  );
}

function Feedback(p: AnswerProps) {
  const t = strings(p.lang);
  const { ticket } = p.model;
  return (
    <section class="card" aria-labelledby="solved-h">
      <h2 id="solved-h">{ticket ? t.ticketTitle : t.solvedTitle}</h2>
      {p.solved ? <Notice kind="info">{t.thanks}</Notice> : null}
      {ticket && p.ticketJustOpened ? <Notice kind="info">{t.ticketCreated(ticket.number, formatTime(ticket.dueAt))}</Notice> : null}
      {ticket ? (
        <>
          <TicketBox ticket={ticket} lang={p.lang} />
          <p class="hint">{t.ticketComeBack}</p>
          <p><a href={withLang(`/ticket?no=${encodeURIComponent(ticket.number)}`, p.lang)}>{t.ticketView}</a></p>
        </>
      ) : p.solved ? null : (
        <form method="post" action={withLang('/feedback', p.lang)} class="feedback">
          <CsrfField token={p.csrf} />
          <button type="submit" name="answer" value="yes">{t.yes}</button>
          <button type="submit" name="answer" value="no" class="primary">{t.no}</button>
        </form>
      )}
    </section>
  );
}

export function Answer(p: AnswerProps) {
  const t = strings(p.lang);
  const m = p.model;
  const facts = factRows(m, p.lang, t);
  return (
    <>
      <h1>
        {t.order} <span class="order-no">{m.orderNo}</span>
      </h1>
      {p.notice ? <Notice kind={p.notice.kind}>{p.notice.text}</Notice> : null}
      <section class={`card verdict ${tone(m)}`} aria-labelledby="verdict-h">
        <p class="eyebrow">{t.verdict}</p>
        <h2 id="verdict-h" data-verdict={m.verdict}>{VERDICT_TITLES[m.verdict][p.lang]}</h2>
        <p class="explanation">{m.explanation[p.lang]}</p>
      </section>
      <Keys keys={m.keys} lang={p.lang} csrf={p.csrf} />
      {m.order || facts.length ? (
        <section class="card" aria-labelledby="order-h">
          <h2 id="order-h">{t.facts}</h2>
          <dl class="facts">
            {[
              ...(m.order
                ? ([
                    [t.product, m.order.productTitle],
                    [t.quantity, String(m.order.quantity)],
                    [t.amount, formatMoney(m.order.amountCents)],
                  ] as [string, string][])
                : []),
              ...facts,
            ].map(([k, v]) => (
              <>
                <dt>{k}</dt>
                <dd>{v}</dd>
              </>
            ))}
          </dl>
        </section>
      ) : null}
      <Timeline model={m} lang={p.lang} />
      <Feedback {...p} />
      <p class="again">
        <a href={withLang('/', p.lang)}>{t.newLookup}</a>
      </p>
    </>
  );
}

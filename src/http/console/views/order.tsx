/** The order page: the order, the diagnosis (verdict, suggested action, evidence), keys, history. */
import type { Child } from 'hono/jsx';
import { formatMoney } from '../../../domain/format.ts';
import type { Explanation } from '../../../domain/verdicts.ts';
import type { FindingsView } from '../../../engine/findings-view.ts';
import type { OrderPageModel } from '../order-model.ts';
import { Evidence } from './evidence.tsx';
import { Earlier, Timeline } from './history.tsx';
import { useStrings } from '../strings.ts';
import { Csrf, Notice, When } from './layout.tsx';

export interface OrderNote {
  kind: 'info' | 'done' | 'error';
  text: string;
}

/** `supervisor`: the viewer may override the replacement limit (agents/override.ts); agents see no button */
export function OrderPage(p: { m: OrderPageModel; csrf: string; note?: OrderNote; supervisor?: boolean }) {
  const { m } = p;
  const t = useStrings();
  const base = `/agent/orders/${encodeURIComponent(m.orderNo)}`;
  return (
    <>
      <section class="card" aria-labelledby="order-h">
        <h1 id="order-h">{`${t.orderTitle} `}<span class="mono">{m.orderNo}</span></h1>
        {p.note ? <Notice kind={p.note.kind}>{p.note.text}</Notice> : null}
        <OrderFacts m={m} />
        <form method="post" action={`${base}/diagnose`}>
          <Csrf token={p.csrf} />
          <button class="primary" type="submit">{t.diagnoseNow}</button>
          <span class="hint">{t.diagnoseHint}</span>
        </form>
      </section>
      {m.shown ? <Diagnosis m={m} base={base} supervisor={p.supervisor === true} /> : <section class="card"><p class="meta">{t.notDiagnosed}</p></section>}
      <Keys m={m} base={base} csrf={p.csrf} />
      <Timeline order={m.order} history={m.history} />
      <Earlier orderNo={m.orderNo} history={m.history} shownId={m.shown?.id} />
    </>
  );
}

function Row(p: { k: string; children?: Child }) {
  return <><dt>{p.k}</dt><dd>{p.children}</dd></>;
}

function OrderFacts(p: { m: OrderPageModel }) {
  const o = p.m.order;
  const l = p.m.legacy;
  const f = useStrings().facts;
  return (
    <dl class="facts">
      {o ? (
        <>
          <Row k={f.product}>{`${o.productTitle} (${o.sku}, ${o.fulfilment})`}</Row>
          <Row k={f.quantity}>{String(o.quantity)}</Row>
          <Row k={f.amount}>{formatMoney(o.amountCents)}</Row>
          <Row k={f.paidWith}>{o.paymentMethod ?? o.channel ?? '-'}</Row>
          <Row k={f.shopStatus}>{o.status}</Row>
          <Row k={f.created}><When at={o.createdAt} /></Row>
          <Row k={f.paid}><When at={o.paidAt} /></Row>
          <Row k={f.transaction}>{o.tradeNo ?? '-'}</Row>
          <Row k={f.contact}>{p.m.contact ?? '-'}</Row>
        </>
      ) : null}
      {l ? <Row k={f.legacy}>{`${l.orderNo} · ${l.status}${l.migration ? ` · migration ${l.migration}` : ''}${l.batch ? ` · batch ${l.batch}` : ''}`}</Row> : null}
    </dl>
  );
}

const TONE: Record<string, string> = { DELIVERED: 'good', DELIVERY_IN_PROGRESS: 'wait', MIGRATION_PENDING: 'wait', UPSTREAM_UNAVAILABLE: 'wait' };

function Diagnosis(p: { m: OrderPageModel; base: string; supervisor: boolean }) {
  const d = p.m.shown!;
  const t = useStrings();
  const explanation = d.explanation as Explanation;
  const latest = p.m.history.diagnoses[0]?.id === d.id;
  return (
    <section class={`card verdict ${TONE[d.verdict] ?? 'bad'}`} aria-labelledby="diagnosis-h" data-verdict={d.verdict} data-diagnosis={d.id}>
      <p class="eyebrow">{`${latest ? t.latestDiagnosis : t.earlierDiagnosis} · ${t.by} ${d.actorId ? `${d.actorKind} ${d.actorId}` : d.actorKind} · `}<When at={d.startedAt} />{` · ${d.durationMs} ms`}</p>
      <h2 id="diagnosis-h">{d.verdict}</h2>
      {t.htmlLang === 'zh-CN' ? (
        <><p class="explanation">{explanation['zh-CN']}</p><p lang="en" class="meta">{explanation.en}</p></>
      ) : (
        <><p class="explanation">{explanation.en}</p><p lang="zh-CN" class="meta">{explanation['zh-CN']}</p></>
      )}
      {d.action !== 'none' ? <Notice kind="done">{`${t.doneByThis}: ${d.action}${d.ticketNumber ? ` (ticket ${d.ticketNumber})` : ''}`}</Notice> : null}
      {p.m.action ? (
        <div class="suggested">
          <p><strong>{t.suggested}</strong> {p.m.action}</p>
          {p.m.usedBy !== undefined
            ? <p class="meta">{t.appliedAlready(p.m.usedBy)}</p>
            : <a class="button primary" href={`${p.base}/confirm?d=${d.id}`}>{t.apply}</a>}
        </div>
      ) : null}
      {p.m.override && p.m.usedBy === undefined ? (
        <div class="suggested override" data-override>
          {p.supervisor
            ? <><p><strong>{t.supervisorLabel}</strong> {t.overrideOffer(p.m.override)}</p>
                <a class="button danger" href={`${p.base}/override?d=${d.id}`}>{t.overrideLink}</a></>
            : <p class="meta">{t.overrideAgents}</p>}
        </div>
      ) : null}
      {(d.facts as { limitOverridden?: boolean }).limitOverridden
        ? <Notice kind="info">{t.limitLifted}</Notice>
        : null}
      <details open>
        <summary>{t.factsUsed}</summary>
        <pre tabindex={0}>{JSON.stringify(d.facts, null, 2)}</pre>
      </details>
      <h3>{t.evidence}</h3>
      <Evidence findings={d.findings as FindingsView} />
    </section>
  );
}

function Keys(p: { m: OrderPageModel; base: string; csrf: string }) {
  const t = useStrings();
  return (
    <section class="card" aria-labelledby="keys-h">
      <h2 id="keys-h">{t.keysHeld(p.m.keys.length)}</h2>
      {p.m.keys.length === 0 ? <p class="meta">{t.none}</p> : (
        <ul class="keys">
          {p.m.keys.map((k) => (
            <li class="key">
              <span>{t.key(k.slot)}{k.replacement ? <span class="tag">{t.replacementTag}</span> : null} <span class="meta">{`${t.issued} `}<When at={k.issuedAt} /></span></span>
              <code class={k.secret ? 'secret shown' : 'secret'} id={`key-${k.slot}`}>{k.secret ?? k.masked}</code>
              {k.secret ? <span class="meta">{t.revealedNow}</span> : (
                <form method="post" action={`${p.base}/reveal`}>
                  <Csrf token={p.csrf} />
                  <input type="hidden" name="slot" value={String(k.slot)} />
                  <button type="submit" aria-label={t.revealLabel(k.slot)}>{t.reveal}</button>
                </form>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

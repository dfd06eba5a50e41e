/** The order page: the order, the diagnosis (verdict, suggested action, evidence), keys, history. */
import type { Child } from 'hono/jsx';
import { formatMoney } from '../../../domain/format.ts';
import type { Explanation } from '../../../domain/verdicts.ts';
import type { FindingsView } from '../../../engine/findings-view.ts';
import type { OrderPageModel } from '../order-model.ts';
import { Evidence } from './evidence.tsx';
import { Earlier, Timeline } from './history.tsx';
import { Csrf, Notice, When } from './layout.tsx';

export interface OrderNote {
  kind: 'info' | 'done' | 'error';
  text: string;
}

export function OrderPage(p: { m: OrderPageModel; csrf: string; note?: OrderNote }) {
  const { m } = p;
  const base = `/agent/orders/${encodeURIComponent(m.orderNo)}`;
  return (
    <>
      <section class="card" aria-labelledby="order-h">
        <h1 id="order-h">Order <span class="mono">{m.orderNo}</span></h1>
        {p.note ? <Notice kind={p.note.kind}>{p.note.text}</Notice> : null}
        <OrderFacts m={m} />
        <form method="post" action={`${base}/diagnose`}>
          <Csrf token={p.csrf} />
          <button class="primary" type="submit">Diagnose now</button>
          <span class="hint"> asks the gateway, the issuance records and the migration state again; changes nothing</span>
        </form>
      </section>
      {m.shown ? <Diagnosis m={m} base={base} /> : <section class="card"><p class="meta">Not diagnosed yet.</p></section>}
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
  return (
    <dl class="facts">
      {o ? (
        <>
          <Row k="Product">{`${o.productTitle} (${o.sku}, ${o.fulfilment})`}</Row>
          <Row k="Quantity">{String(o.quantity)}</Row>
          <Row k="Amount">{formatMoney(o.amountCents)}</Row>
          <Row k="Paid with">{o.paymentMethod ?? o.channel ?? '-'}</Row>
          <Row k="Shop status">{o.status}</Row>
          <Row k="Created"><When at={o.createdAt} /></Row>
          <Row k="Paid"><When at={o.paidAt} /></Row>
          <Row k="Transaction">{o.tradeNo ?? '-'}</Row>
          <Row k="Buyer contact">{p.m.contact ?? '-'}</Row>
        </>
      ) : null}
      {l ? <Row k="Legacy order">{`${l.orderNo} · ${l.status}${l.migration ? ` · migration ${l.migration}` : ''}${l.batch ? ` · batch ${l.batch}` : ''}`}</Row> : null}
    </dl>
  );
}

const TONE: Record<string, string> = { DELIVERED: 'good', DELIVERY_IN_PROGRESS: 'wait', MIGRATION_PENDING: 'wait', UPSTREAM_UNAVAILABLE: 'wait' };

function Diagnosis(p: { m: OrderPageModel; base: string }) {
  const d = p.m.shown!;
  const explanation = d.explanation as Explanation;
  const latest = p.m.history.diagnoses[0]?.id === d.id;
  return (
    <section class={`card verdict ${TONE[d.verdict] ?? 'bad'}`} aria-labelledby="diagnosis-h" data-verdict={d.verdict} data-diagnosis={d.id}>
      <p class="eyebrow">{`${latest ? 'Latest diagnosis' : 'Earlier diagnosis'} · by ${d.actorId ? `${d.actorKind} ${d.actorId}` : d.actorKind} · `}<When at={d.startedAt} />{` · ${d.durationMs} ms`}</p>
      <h2 id="diagnosis-h">{d.verdict}</h2>
      <p class="explanation">{explanation.en}</p>
      <p lang="zh-CN" class="meta">{explanation['zh-CN']}</p>
      {d.action !== 'none' ? <Notice kind="done">{`Done by this diagnosis: ${d.action}${d.ticketNumber ? ` (ticket ${d.ticketNumber})` : ''}`}</Notice> : null}
      {p.m.action ? (
        <div class="suggested">
          <p><strong>Suggested:</strong> {p.m.action}</p>
          {p.m.usedBy !== undefined
            ? <p class="meta">Applied already from this diagnosis (agent {p.m.usedBy}).</p>
            : <a class="button primary" href={`${p.base}/confirm?d=${d.id}`}>Apply…</a>}
        </div>
      ) : null}
      <details open>
        <summary>Facts the decision used</summary>
        <pre tabindex={0}>{JSON.stringify(d.facts, null, 2)}</pre>
      </details>
      <h3>Evidence, checker by checker</h3>
      <Evidence findings={d.findings as FindingsView} />
    </section>
  );
}

function Keys(p: { m: OrderPageModel; base: string; csrf: string }) {
  return (
    <section class="card" aria-labelledby="keys-h">
      <h2 id="keys-h">{`Keys held (${p.m.keys.length})`}</h2>
      {p.m.keys.length === 0 ? <p class="meta">None.</p> : (
        <ul class="keys">
          {p.m.keys.map((k) => (
            <li class="key">
              <span>{`Key ${k.slot}`}{k.replacement ? <span class="tag">replacement</span> : null} <span class="meta">issued <When at={k.issuedAt} /></span></span>
              <code class={k.secret ? 'secret shown' : 'secret'} id={`key-${k.slot}`}>{k.secret ?? k.masked}</code>
              {k.secret ? <span class="meta">Revealed to you now; this reveal is in the audit log.</span> : (
                <form method="post" action={`${p.base}/reveal`}>
                  <Csrf token={p.csrf} />
                  <input type="hidden" name="slot" value={String(k.slot)} />
                  <button type="submit" aria-label={`Reveal key ${k.slot}`}>Reveal (audited)</button>
                </form>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

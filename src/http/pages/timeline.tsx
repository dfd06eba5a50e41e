/**
 * The order's timeline: ordered → paid → delivered, each with its time, or what stands in its way
 * (not paid, closed, refunded, expected delivery time).
 */
import { formatTime } from '../../domain/format.ts';
import type { AnswerModel } from './answer-model.ts';
import { strings, type Lang } from './strings.ts';

type StepState = 'done' | 'current' | 'pending' | 'stopped';
interface Step {
  label: string;
  at?: string;
  note?: string;
  state: StepState;
}

const UNPAID = new Set(['NOT_PAID', 'PAYMENT_CLOSED', 'PAYMENT_FAILED']);

export function timelineSteps(m: AnswerModel, lang: Lang): Step[] {
  const t = strings(lang);
  const o = m.order;
  if (!o) return [];
  const steps: Step[] = [{ label: t.ordered, at: o.createdAt, state: 'done' }];
  const paidAt = m.facts.paidAt ?? o.paidAt;
  if (UNPAID.has(m.verdict)) {
    steps.push({ label: m.verdict === 'PAYMENT_CLOSED' ? t.closed : t.notPaid, state: 'stopped' });
    return steps;
  }
  steps.push(paidAt ? { label: t.paid, at: paidAt, state: 'done' } : { label: t.paid, state: 'pending' });
  if (m.verdict === 'REFUNDED') {
    steps.push({ label: t.refunded, at: m.facts.refundedAt, state: 'stopped' });
    return steps;
  }
  const lastIssued = m.keys.map((k) => k.issuedAt).sort().at(-1);
  if (m.keys.length >= o.quantity && lastIssued) {
    steps.push({ label: t.delivered, at: lastIssued, state: 'done' });
  } else if (m.facts.deliveryDueAt) {
    steps.push({ label: t.waitingDelivery, note: t.deliveryDue(formatTime(m.facts.deliveryDueAt)), state: 'current' });
  } else {
    steps.push({ label: t.waitingDelivery, state: paidAt ? 'current' : 'pending' });
  }
  return steps;
}

export function Timeline(p: { model: AnswerModel; lang: Lang }) {
  const steps = timelineSteps(p.model, p.lang);
  if (steps.length === 0) return null;
  return (
    <section class="card" aria-labelledby="timeline-h">
      <h2 id="timeline-h">{strings(p.lang).timeline}</h2>
      <ol class="timeline">
        {steps.map((s) => (
          <li class={`step ${s.state}`}>
            <span class="label">{s.label}</span>
            {s.at ? <time datetime={s.at}>{formatTime(s.at)}</time> : null}
            {s.note ? <span class="note">{s.note}</span> : null}
          </li>
        ))}
      </ol>
    </section>
  );
}

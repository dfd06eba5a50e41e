/** The confirmation: names exactly what will happen, and carries the diagnosis it was made from. */
import { Csrf, When } from './layout.tsx';

export function Confirm(p: { orderNo: string; diagnosisId: string; verdict: string; at: Date; action: string; csrf: string }) {
  const base = `/agent/orders/${encodeURIComponent(p.orderNo)}`;
  return (
    <section class="card confirm" aria-labelledby="confirm-h">
      <h1 id="confirm-h">Confirm</h1>
      <p class="big" data-action-text>{`This will ${p.action}.`}</p>
      <p class="meta">From the diagnosis of <When at={p.at} /> ({p.verdict}). If the order changed since, or that diagnosis is older than
        10 minutes, it is diagnosed again and shown to you instead, with nothing applied. Done once, however often it is clicked.</p>
      <form method="post" action={`${base}/apply`}>
        <Csrf token={p.csrf} />
        <input type="hidden" name="diagnosis" value={p.diagnosisId} />
        <button class="primary danger" type="submit">{`Yes: ${p.action}`}</button>
      </form>
      <p><a href={`${base}?d=${p.diagnosisId}`}>Cancel</a></p>
    </section>
  );
}

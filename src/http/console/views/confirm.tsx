/** The confirmation: names exactly what will happen, and carries the diagnosis it was made from. */
import { useStrings } from '../strings.ts';
import { Csrf, When } from './layout.tsx';

export function Confirm(p: { orderNo: string; diagnosisId: string; verdict: string; at: Date; action: string; csrf: string }) {
  const t = useStrings();
  const base = `/agent/orders/${encodeURIComponent(p.orderNo)}`;
  return (
    <section class="card confirm" aria-labelledby="confirm-h">
      <h1 id="confirm-h">{t.confirm}</h1>
      <p class="big" data-action-text>{t.thisWill(p.action)}</p>
      <p class="meta">{`${t.confirmFrom} `}<When at={p.at} />{` (${p.verdict}). ${t.confirmMeta}`}</p>
      <form method="post" action={`${base}/apply`}>
        <Csrf token={p.csrf} />
        <input type="hidden" name="diagnosis" value={p.diagnosisId} />
        <button class="primary danger" type="submit">{t.yes(p.action)}</button>
      </form>
      <p><a href={`${base}?d=${p.diagnosisId}`}>{t.cancel}</a></p>
    </section>
  );
}

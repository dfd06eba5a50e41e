/**
 * A supervisor's override of the replacement limit: names what will happen, asks why, and carries
 * the diagnosis it was made from (the same once-only confirmation as an apply, views/confirm.tsx).
 */
import { OVERRIDE_REASON_MAX, OVERRIDE_REASON_MIN } from '../../../agents/override.ts';
import { useStrings } from '../strings.ts';
import { Csrf, Notice, When } from './layout.tsx';

export function OverrideConfirm(p: { orderNo: string; diagnosisId: string; at: Date; action: string; csrf: string; error?: string; reason?: string }) {
  const t = useStrings();
  const base = `/agent/orders/${encodeURIComponent(p.orderNo)}`;
  return (
    <section class="card confirm" aria-labelledby="override-h">
      <h1 id="override-h">{t.overrideTitle}</h1>
      {p.error ? <Notice kind="error">{p.error}</Notice> : null}
      <p class="big" data-action-text>{t.thisWill(p.action)}</p>
      <p class="meta">{`${t.confirmFrom} `}<When at={p.at} />{` (REISSUE_LIMIT_REACHED). ${t.overrideMeta}`}</p>
      <form method="post" action={`${base}/override`}>
        <Csrf token={p.csrf} />
        <input type="hidden" name="diagnosis" value={p.diagnosisId} />
        <label for="override-reason">{t.overrideWhy(OVERRIDE_REASON_MIN, OVERRIDE_REASON_MAX)}</label>
        <textarea id="override-reason" name="reason" rows={3} required minlength={OVERRIDE_REASON_MIN} maxlength={OVERRIDE_REASON_MAX}>{p.reason ?? ''}</textarea>
        <button class="primary danger" type="submit">{t.yes(p.action)}</button>
      </form>
      <p><a href={`${base}?d=${p.diagnosisId}`}>{t.cancel}</a></p>
    </section>
  );
}

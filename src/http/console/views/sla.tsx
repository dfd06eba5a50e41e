/** Supervisors: the SLA policy per priority, and the business hours clocks may run on. */
import type { SlaPolicy } from '../../../tickets/policy.ts';
import { MAX_HOLIDAYS } from '../../../tickets/sla.ts';
import { Csrf, Notice } from './layout.tsx';

export const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

export function SlaPage(p: { policy: SlaPolicy; csrf: string; note?: string; error?: string }) {
  const bh = p.policy.businessHours;
  return (
    <section class="card" aria-labelledby="sla-h">
      <h1 id="sla-h">SLA policy</h1>
      {p.error ? <Notice kind="error">{p.error}</Notice> : null}
      {p.note ? <Notice kind="done">{p.note}</Notice> : null}
      <p class="hint">New tickets take these terms; a ticket keeps the terms it opened with unless its priority changes.</p>
      <form method="post" action="/agent/sla">
        <Csrf token={p.csrf} />
        <table>
          <thead><tr><th>Priority</th><th>First response (min)</th><th>Resolution (min)</th><th>On business hours</th></tr></thead>
          <tbody>
            {(['urgent', 'normal'] as const).map((k) => (
              <tr>
                <th scope="row">{k}</th>
                <td><input type="number" min={1} name={`${k}_first`} aria-label={`${k} first response minutes`} value={String(p.policy[k].firstResponseMinutes)} required /></td>
                <td><input type="number" min={1} name={`${k}_resolution`} aria-label={`${k} resolution minutes`} value={String(p.policy[k].resolutionMinutes)} required /></td>
                <td><input type="checkbox" name={`${k}_bh`} value="on" aria-label={`${k} on business hours`} checked={p.policy[k].onBusinessHours} /></td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2>Business hours</h2>
        <label for="tz">Time zone (IANA; empty: no business hours)</label>
        <input id="tz" name="tz" type="text" value={bh?.timeZone ?? ''} placeholder="Asia/Shanghai" maxlength={64} />
        <table>
          <thead><tr><th>Day</th><th>Opens</th><th>Closes</th></tr></thead>
          <tbody>
            {DAYS.map((d, i) => (
              <tr>
                <th scope="row">{d}</th>
                <td><input type="time" name={`d${i}_from`} aria-label={`${d} opens`} value={bh?.week[i]?.from ?? ''} /></td>
                <td><input type="time" name={`d${i}_to`} aria-label={`${d} closes`} value={bh?.week[i]?.to ?? ''} /></td>
              </tr>
            ))}
          </tbody>
        </table>
        <p class="hint">A day left empty is closed. Clocks on business hours run only inside these hours, in this zone.</p>
        <label for="holidays">{`Holidays (closed all day, in this zone): one date per line, YYYY-MM-DD, at most ${MAX_HOLIDAYS}`}</label>
        <textarea id="holidays" name="holidays" rows={5} maxlength={MAX_HOLIDAYS * 11 + 100} placeholder={'2027-01-01\n2027-02-06'}>{(bh?.holidays ?? []).join('\n')}</textarea>
        <p class="hint">A ticket keeps the holidays it opened with, like the rest of its terms.</p>
        <button class="primary" type="submit">Save policy</button>
      </form>
    </section>
  );
}

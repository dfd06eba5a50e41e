/** Which SLA clock runs and how long is left (or how long overdue), in one cell. */
import { formatDuration, type ClockView } from '../../../tickets/sla.ts';
import { useStrings } from '../strings.ts';
import { When } from './layout.tsx';

export function Clock(p: { clock: ClockView; status: string }) {
  const t = useStrings();
  const k = p.clock;
  if (!k.clock) return <span class="clock meta">{t.clockStopped}</span>;
  const left = k.leftMs > 0 ? t.left(formatDuration(k.leftMs)) : t.overdueBy(formatDuration(k.leftMs));
  const cls = !k.running ? 'paused' : k.leftMs <= 0 ? 'overdue' : k.atRisk ? 'risk' : '';
  return (
    <span class={`clock ${cls}`} data-clock={k.clock} data-running={String(k.running)}>
      {`${t.clockName[k.clock]}: ${k.running ? left : t.paused(p.status.replaceAll('_', ' '), left)}`}
      {k.running && k.dueAt ? <span class="meta">{` · ${t.dueAt} `}<When at={k.dueAt} /></span> : null}
    </span>
  );
}

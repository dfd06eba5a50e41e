/** Which SLA clock runs and how long is left (or how long overdue), in one cell. */
import { formatDuration, type ClockView } from '../../../tickets/sla.ts';
import { When } from './layout.tsx';

const NAME = { first_response: 'first response', resolution: 'resolution' } as const;

export function Clock(p: { clock: ClockView; status: string }) {
  const k = p.clock;
  if (!k.clock) return <span class="clock meta">stopped: resolved</span>;
  const left = k.leftMs > 0 ? `${formatDuration(k.leftMs)} left` : `overdue by ${formatDuration(k.leftMs)}`;
  const cls = !k.running ? 'paused' : k.leftMs <= 0 ? 'overdue' : k.atRisk ? 'risk' : '';
  return (
    <span class={`clock ${cls}`} data-clock={k.clock} data-running={String(k.running)}>
      {`${NAME[k.clock]}: ${k.running ? left : `paused (${p.status.replaceAll('_', ' ')}), ${left}`}`}
      {k.running && k.dueAt ? <span class="meta"> · due <When at={k.dueAt} /></span> : null}
    </span>
  );
}

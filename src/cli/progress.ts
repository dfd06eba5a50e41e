/**
 * The sweep's progress bar on a terminal: done of the estimated total, rate and time left.
 * The total is an estimate taken at the start (other sweepers may take some orders, new ones may
 * turn up), so the bar never claims more than it knows: past the estimate it shows the count.
 *
 * @example
 * progressLine({ done: 420, total: 1000, elapsedMs: 2000 })
 * // '[████████░░░░░░░░░░░░]  420/1000  42%  210/s  ~3 s left'
 */
import { formatDuration } from './duration.ts';

const WIDTH = 20;

export function progressLine(p: { done: number; total: number; elapsedMs: number }): string {
  const rate = p.elapsedMs > 0 ? (p.done * 1000) / p.elapsedMs : 0;
  const rateText = `${rate >= 10 ? Math.round(rate) : rate.toFixed(1)}/s`;
  if (p.total <= 0 || p.done > p.total) return `sweep: ${p.done} orders  ${rateText}`;
  const filled = Math.round((p.done / p.total) * WIDTH);
  const bar = '█'.repeat(filled) + '░'.repeat(WIDTH - filled);
  const percent = Math.floor((p.done / p.total) * 100);
  const left = rate > 0 ? `  ~${formatDuration((p.total - p.done) / rate)} left` : '';
  return `[${bar}]  ${String(p.done).padStart(String(p.total).length)}/${p.total}  ${percent}%  ${rateText}${left}`;
}

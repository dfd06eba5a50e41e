/**
 * The report's figures in words, one way for every reader: the console's report page and
 * `order-doctor report` say a rate, a share and an SLA count alike.
 *
 * @example
 * share(2, 3, 2 / 3) // '2 of 3 (66.7%)'
 */
import type { SlaCounts } from './sla.ts';

/** `66.7%`, or `-` when there was nothing to divide */
export function percent(x: number | null): string {
  return x === null ? '-' : `${(x * 100).toFixed(1)}%`;
}

/** `2 of 3 (66.7%)` */
export function share(part: number, whole: number, r: number | null): string {
  return whole === 0 ? '0 of 0' : `${part} of ${whole} (${percent(r)})`;
}

/** `66.7% (2 met, 1 breached, 1 running)` */
export function slaText(c: SlaCounts): string {
  return `${percent(c.rate)} (${c.met} met, ${c.breached} breached, ${c.running} running)`;
}

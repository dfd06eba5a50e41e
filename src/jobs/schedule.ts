/**
 * The backoff schedule of a stuck order: re-checked often while a late payment notification is
 * likely, cheaply later, and given up once no gateway would still deliver one (the horizon: Alipay
 * retries its notify for ~25 h, WeChat Pay ~24 h, EPay about an hour).
 */

/** Verdicts after which the order needs no more sweeping: the case is closed one way or another. */
const RETRY_VERDICTS = new Set(['NOT_PAID', 'UPSTREAM_UNAVAILABLE', 'DELIVERY_IN_PROGRESS', 'OUT_OF_STOCK']);

export interface Schedule {
  /** delay before re-check number attempt+1, by attempt; the last step repeats */
  backoffMs: number[];
  /** measured from the order's creation */
  horizonMs: number;
}

/** The delay after `attempts` completed checks (0 = after the first). */
export function backoffDelay(schedule: Schedule, attempts: number): number {
  const steps = schedule.backoffMs;
  return steps[Math.min(Math.max(attempts, 0), steps.length - 1)]!;
}

export type NextStep =
  | { kind: 'done' }
  /** keep the row, look again at `at` */
  | { kind: 'retry'; at: Date };

/**
 * What happens to a queue row after a diagnosis at `now`.
 * - a final verdict (DELIVERED, REFUNDED, PAYMENT_CLOSED, escalated...) closes it;
 * - a verdict that may still change is re-checked by the backoff until the horizon, the last check
 *   landing exactly on it; after that the gateways have given up, so the sweep does too;
 * (`createdAt`: the order's; for a legacy-only order, when it was queued.)
 * - OUT_OF_STOCK is a paid order waiting for stock (its ticket is open): it does not expire, and is
 *   only picked again once its product has stock.
 */
export function nextStep(
  schedule: Schedule,
  input: { verdict: string; attempts: number; now: Date; createdAt: Date },
): NextStep {
  if (!RETRY_VERDICTS.has(input.verdict)) return { kind: 'done' };
  const now = input.now.getTime();
  const due = now + backoffDelay(schedule, input.attempts);
  if (input.verdict === 'OUT_OF_STOCK') return { kind: 'retry', at: new Date(due) };
  const horizon = input.createdAt.getTime() + schedule.horizonMs;
  if (now >= horizon) return { kind: 'done' };
  return { kind: 'retry', at: new Date(Math.min(due, horizon)) };
}

/** Whether a verdict ends the order's stay in the queue. */
export function isFinal(verdict: string): boolean {
  return !RETRY_VERDICTS.has(verdict);
}

/**
 * When a buyer email that the SMTP server definitely did not take is tried again: soon at first (a
 * blip, a restart), then every few hours, for about a day, as long as the buyer plausibly still
 * cares and an operator can still fix a broken SMTP setting. Then it is `failed`, with its reason.
 */

/** waits after the 1st, 2nd, ... failed attempt; the last repeats */
export const MAIL_BACKOFF_MS = [60_000, 5 * 60_000, 15 * 60_000, 3_600_000, 4 * 3_600_000];

/** no attempt later than this after the email was queued */
export const MAIL_GIVE_UP_MS = 24 * 3_600_000;

/** and never more attempts than this, whatever the schedule says */
export const MAIL_MAX_ATTEMPTS = 10;

/** A retry schedule: the buyer emails' here; the shop webhooks' (jobs/webhooks.ts) use the same rule with their own. */
export interface RetrySchedule {
  /** waits after the 1st, 2nd, ... failed attempt; the last repeats */
  backoffMs: readonly number[];
  /** no attempt later than this after the first */
  giveUpMs: number;
  maxAttempts: number;
}

export const MAIL_RETRY: RetrySchedule = { backoffMs: MAIL_BACKOFF_MS, giveUpMs: MAIL_GIVE_UP_MS, maxAttempts: MAIL_MAX_ATTEMPTS };

/**
 * The next attempt's time after `attempts` attempts failed, or null to give up.
 *
 * @example
 * nextAttemptAt(1, queuedAt, now) // now + 1 min
 */
export function nextAttemptAt(attempts: number, createdAt: Date, now: Date, schedule: RetrySchedule = MAIL_RETRY): Date | null {
  if (attempts >= schedule.maxAttempts) return null;
  const wait = schedule.backoffMs[Math.min(Math.max(attempts, 1), schedule.backoffMs.length) - 1]!;
  const at = new Date(now.getTime() + wait);
  return at.getTime() - createdAt.getTime() > schedule.giveUpMs ? null : at;
}

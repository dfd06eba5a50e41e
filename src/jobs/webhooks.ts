/**
 * The webhook dispatcher: sends the events queued in webhook_outbox (push/webhook-outbox.ts) to the
 * pushing shop's SHOP_WEBHOOK_URL, each AT LEAST once, signed like the shop's own pushes
 * (push/signature.ts). Unlike a buyer's email, a webhook may safely go twice: the shop de-duplicates
 * on the event's id, which every attempt carries unchanged. So a send whose answer was lost (a
 * timeout, a dispatcher that died mid-send and left the row `sending` past its lease) is simply
 * tried again, and only a 2xx answer settles it `delivered`. Anything else retries on the backoff
 * below (mail/retry.ts's rule) for a day, then `failed`, until an agent resends it from the console.
 *
 * Claims are mail's (jobs/mail.ts): one row at a time, `FOR UPDATE SKIP LOCKED` and marked
 * `sending` in the same autocommitted statement, so any number of dispatchers share the queue and
 * PGlite's single connection runs it too; a settle only lands if the row is still that attempt's.
 *
 * @example
 * const s = await dispatchWebhooks(svc);  // { delivered: 2, retried: 1, failed: 0 }
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Config } from '../config.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Database } from '../db/client.ts';
import { issuedKeys, webhookOutbox } from '../db/schema.ts';
import { nextAttemptAt, type RetrySchedule } from '../mail/retry.ts';
import { signedHeaders } from '../push/signature.ts';
import { startLoop, type Loop } from './loop.ts';
import { describeError } from '../observability/errors.ts';
import { lineLogger, type Logger } from '../observability/logger.ts';

/** Soon at first (a deploy, a blip), then hourly and four-hourly, for a day. */
export const WEBHOOK_RETRY: RetrySchedule = {
  backoffMs: [30_000, 2 * 60_000, 10 * 60_000, 30 * 60_000, 3_600_000, 2 * 3_600_000, 4 * 3_600_000],
  giveUpMs: 24 * 3_600_000,
  maxAttempts: 20,
};
/** one attempt, the answer's body included */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** a row `sending` this long lost its dispatcher: it goes again (the shop de-duplicates) */
export const WEBHOOK_LEASE_MS = 2 * 60_000;
export const WEBHOOK_BATCH = 50;
export const EVENT_ID_HEADER = 'order-doctor-event-id';

export interface WebhookDeps {
  database: Database;
  box: SecretBox;
  config: Pick<Config, 'push'>;
  now: () => Date;
  log?: (line: string) => void;
  logger?: Logger;
}

export interface WebhookSummary {
  delivered: number;
  /** not answered with a 2xx: tried again later */
  retried: number;
  /** given up for now (a day of attempts, or an event that cannot be built): the console resends */
  failed: number;
}

export interface WebhookEvent {
  id: string;
  type: 'keys.delivered';
  createdAt: string;
  data: Record<string, unknown> & { keys: string[] };
}

interface Claimed {
  id: number;
  eventId: string;
  type: 'keys.delivered';
  payload: Record<string, unknown>;
  issuedKeyIds: number[];
  attempts: number;
  retryFrom: Date;
  createdAt: Date;
}

/** @param opts.signal stops taking rows (serve's shutdown); the send in flight finishes and is settled */
export async function dispatchWebhooks(deps: WebhookDeps, opts: { limit?: number; signal?: AbortSignal } = {}): Promise<WebhookSummary> {
  const summary: WebhookSummary = { delivered: 0, retried: 0, failed: 0 };
  const url = deps.config.push?.webhookUrl;
  if (!url || !deps.config.push) return summary;
  const log = deps.log ?? (deps.logger ? lineLogger(deps.logger, { component: 'webhooks' }) : (l: string) => console.error(l));
  for (let i = 0; i < (opts.limit ?? WEBHOOK_BATCH) && !opts.signal?.aborted; i++) {
    const row = await claimOne(deps.database, deps.now());
    if (!row) break;
    const outcome = await attempt(deps, deps.config.push.secret, url, row);
    summary[await settle(deps, row, outcome, log)]++;
  }
  return summary;
}

/** The oldest due row, or one whose sender died mid-send, marked `sending` in one statement. */
async function claimOne(database: Database, now: Date): Promise<Claimed | null> {
  const at = now.toISOString();
  const lapsed = new Date(now.getTime() - WEBHOOK_LEASE_MS).toISOString();
  const [row] = await database.rows<{
    id: number | string; event_id: string; type: 'keys.delivered'; payload: unknown; issued_key_ids: unknown;
    attempts: number; retry_from: string | Date; created_at: string | Date;
  }>(sql`
    with picked as (
      select id from webhook_outbox
       where (status = 'pending' and next_at <= ${at}::timestamptz)
          or (status = 'sending' and sending_at < ${lapsed}::timestamptz)
       order by next_at, id
       limit 1
       for update skip locked
    )
    update webhook_outbox w set status = 'sending', attempts = w.attempts + 1, sending_at = ${at}::timestamptz
      from picked where w.id = picked.id
    returning w.id, w.event_id, w.type, w.payload, w.issued_key_ids, w.attempts, w.retry_from, w.created_at`);
  if (!row) return null;
  const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
  return {
    id: Number(row.id), eventId: row.event_id, type: row.type, payload: json(row.payload) as Record<string, unknown>,
    issuedKeyIds: (json(row.issued_key_ids) as unknown[]).map(Number), attempts: Number(row.attempts),
    retryFrom: new Date(row.retry_from), createdAt: new Date(row.created_at),
  };
}

type Outcome = { ok: true; status: number } | { ok: false; status: number | null; reason: string; retryable: boolean };

async function attempt(deps: WebhookDeps, secret: string, url: string, row: Claimed): Promise<Outcome> {
  let body: string;
  try {
    body = JSON.stringify(await buildEvent(deps, row));
  } catch (err) {
    // no later attempt would read the rows differently: failed, for an operator to look at
    return { ok: false, status: null, retryable: false, reason: err instanceof Error ? err.message : String(err) };
  }
  const target = new URL(url);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'order-doctor-webhooks/1',
    [EVENT_ID_HEADER]: row.eventId,
    ...signedHeaders(secret, { method: 'POST', path: target.pathname, timestamp: Math.floor(deps.now().getTime() / 1000), body }),
  };
  try {
    const signal = AbortSignal.timeout(WEBHOOK_TIMEOUT_MS);
    // a redirect is not followed: the keys go only where the operator said
    const res = await fetch(target, { method: 'POST', headers, body, redirect: 'manual', signal });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
    return { ok: false, status: res.status, retryable: true, reason: `the shop answered HTTP ${res.status}` };
  } catch (err) {
    const timeout = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return { ok: false, status: null, retryable: true, reason: timeout ? `no answer within ${WEBHOOK_TIMEOUT_MS} ms` : `could not reach the shop${cause}` };
  }
}

/** The event as the shop receives it: the stored data, and the delivery's keys opened from issued_keys. */
export async function buildEvent(deps: Pick<WebhookDeps, 'database' | 'box'>, row: Pick<Claimed, 'eventId' | 'type' | 'payload' | 'issuedKeyIds' | 'createdAt'>): Promise<WebhookEvent> {
  const rows = row.issuedKeyIds.length
    ? await deps.database.db.select({ secretEnc: issuedKeys.secretEnc }).from(issuedKeys)
      .where(inArray(issuedKeys.id, row.issuedKeyIds)).orderBy(asc(issuedKeys.slot), asc(issuedKeys.id))
    : [];
  if (rows.length !== row.issuedKeyIds.length) throw new Error('some of the delivery\'s keys are gone from issued_keys');
  const keys = [];
  for (const r of rows) keys.push(await deps.box.decrypt(r.secretEnc));
  return { id: row.eventId, type: row.type, createdAt: row.createdAt.toISOString(), data: { ...row.payload, keys } };
}

async function settle(deps: WebhookDeps, row: Claimed, out: Outcome, log: (line: string) => void): Promise<keyof WebhookSummary> {
  const now = deps.now();
  const mine = and(eq(webhookOutbox.id, row.id), eq(webhookOutbox.attempts, row.attempts), eq(webhookOutbox.status, 'sending'));
  const set = (v: Partial<typeof webhookOutbox.$inferInsert>) => deps.database.db.update(webhookOutbox).set(v).where(mine);
  const label = `webhook ${row.eventId} attempt ${row.attempts}`;
  if (out.ok) {
    await set({ status: 'delivered', deliveredAt: now, lastStatus: out.status, lastError: null, sendingAt: null });
    return 'delivered';
  }
  const next = out.retryable ? nextAttemptAt(row.attempts, row.retryFrom, now, WEBHOOK_RETRY) : null;
  if (!next) {
    await set({ status: 'failed', lastStatus: out.status, lastError: out.reason, sendingAt: null });
    log(`${label} failed for good: ${out.reason}`);
    return 'failed';
  }
  await set({ status: 'pending', nextAt: next, lastStatus: out.status, lastError: out.reason, sendingAt: null });
  log(`${label} not delivered, next try ${next.toISOString()}: ${out.reason}`);
  return 'retried';
}

/** serve's schedule: one dispatch every `intervalMs`, awaited before the next is timed, errors logged. */
export function startWebhookLoop(deps: WebhookDeps, intervalMs: number): Loop {
  return startLoop(async (signal) => {
    const s = await dispatchWebhooks(deps, { signal });
    if (s.delivered + s.retried + s.failed) deps.logger?.info({ component: 'webhooks', ...s }, `webhooks: ${s.delivered} delivered`);
  }, intervalMs, (err) => {
    if (deps.logger) deps.logger.error({ component: 'webhooks', error: describeError(err, { stacks: false }) }, 'webhook dispatch failed');
    else (deps.log ?? console.error)(`webhook dispatch failed: ${err instanceof Error ? err.message : String(err)}`);
  });
}

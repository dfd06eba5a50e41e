/**
 * The mail dispatcher: sends the buyer emails queued in mail_outbox (mail/outbox.ts), each AT MOST
 * ONCE. A row is claimed with `FOR UPDATE SKIP LOCKED` (any number of dispatchers share the queue
 * without waiting on each other) and marked `sending` in that same statement, committed before a
 * byte goes to the SMTP server. So a dispatcher that dies mid-send leaves the row `sending`, never
 * `pending`: after the lease it becomes `unknown` and is never tried again. A buyer may miss an
 * email that way (the keys are still on the check page); a buyer never gets two.
 *
 * Only failures the SMTP server proves (it refused, or the message never left: mail/transport.ts)
 * go back to `pending`, on a backoff (mail/retry.ts); anything that may have been delivered is
 * `unknown`. One row at a time: a crash costs at most the one email in flight.
 * Every step is one autocommitted statement, so PGlite's single connection runs it as well.
 *
 * @example
 * const s = await dispatchMail(svc);  // { sent: 3, retried: 1, failed: 0, unknown: 0 }
 */
import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Config } from '../config.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Database } from '../db/client.ts';
import { mailOutbox } from '../db/schema.ts';
import { composeDeliveryMail, deliveryMailPayload } from '../mail/compose.ts';
import { composeTicketReplyMail, ticketReplyPayload } from '../mail/ticket-reply.ts';
import { nextAttemptAt } from '../mail/retry.ts';
import { startLoop, type Loop } from './loop.ts';
import { describeError } from '../observability/errors.ts';
import { lineLogger, type Logger } from '../observability/logger.ts';
import { createSmtpTransport, type MailTransport, type OutgoingMail, type SendOutcome } from '../mail/transport.ts';

export interface MailDeps {
  database: Database;
  box: SecretBox;
  config: Config;
  now: () => Date;
  /** default: SMTP to config.mail.smtpUrl */
  transport?: MailTransport;
  /**
   * one line per attempt that did not end `sent` (never an address or a key); default: `logger`
   * (warn), else console.error
   */
  log?: (line: string) => void;
  /** the services' logger, when `log` is not given */
  logger?: Logger;
}

function lineLog(deps: MailDeps): (line: string) => void {
  return deps.log ?? (deps.logger ? lineLogger(deps.logger, { component: 'mail' }) : (line: string) => console.error(line));
}

export interface MailSummary {
  sent: number;
  /** definitely not sent, tried again later */
  retried: number;
  /** given up (or unsendable): last_error says why */
  failed: number;
  /** may or may not have gone out: never tried again (includes sends that outlived their lease) */
  unknown: number;
}

/** Emails one dispatch sends at most; the next run takes the rest. */
export const MAIL_BATCH = 50;

/**
 * A send still `sending` this long after it started has lost its dispatcher (a send gives up after
 * DEFAULT_SMTP_TIMEOUTS.totalMs, far less): it may have gone out, so it becomes `unknown`.
 */
export const MAIL_LEASE_MS = 10 * 60_000;

/**
 * @param opts.signal stops taking rows (serve's shutdown): the email being sent finishes and is
 * settled, the rest wait for the next dispatcher
 */
export async function dispatchMail(deps: MailDeps, opts: { limit?: number; signal?: AbortSignal } = {}): Promise<MailSummary> {
  const summary: MailSummary = { sent: 0, retried: 0, failed: 0, unknown: 0 };
  const mail = deps.config.mail;
  // without SMTP settings queued rows wait (none are queued while mail is off)
  if (!mail) return summary;
  const log = lineLog(deps);
  summary.unknown += await expireLeases(deps, log);
  const transport = deps.transport ?? createSmtpTransport(mail.smtpUrl);
  const limit = opts.limit ?? MAIL_BATCH;
  for (let i = 0; i < limit && !opts.signal?.aborted; i++) {
    const row = await claimOne(deps.database, deps.now());
    if (!row) break;
    const outcome = await attempt(deps, mail, transport, row);
    summary[await settle(deps, row, outcome, log)]++;
  }
  return summary;
}

interface ClaimedRow {
  id: number;
  kind: string;
  orderNo: string;
  toAddress: string;
  payload: unknown;
  keysEnc: string | null;
  /** this attempt's number, the claim's fingerprint: only the holder of this attempt settles it */
  attempts: number;
  createdAt: Date;
}

/** Takes the oldest due row and marks it `sending`, in one statement that commits on its own. */
async function claimOne(database: Database, now: Date): Promise<ClaimedRow | null> {
  const at = now.toISOString();
  const [row] = await database.rows<{
    id: number | string; kind: string; order_no: string; to_address: string; payload: unknown; keys_enc: string | null;
    attempts: number; created_at: string | Date;
  }>(sql`
    with picked as (
      select id from mail_outbox
       where status = 'pending' and next_at <= ${at}::timestamptz
       order by next_at, id
       limit 1
       for update skip locked
    )
    update mail_outbox m set status = 'sending', attempts = m.attempts + 1, sending_at = ${at}::timestamptz
      from picked where m.id = picked.id and m.status = 'pending'
    returning m.id, m.kind, m.order_no, m.to_address, m.payload, m.keys_enc, m.attempts, m.created_at`);
  if (!row) return null;
  return {
    id: Number(row.id), kind: row.kind, orderNo: row.order_no, toAddress: row.to_address, payload: row.payload, keysEnc: row.keys_enc,
    attempts: Number(row.attempts), createdAt: new Date(row.created_at),
  };
}

async function attempt(deps: MailDeps, mail: NonNullable<Config['mail']>, transport: MailTransport, row: ClaimedRow): Promise<SendOutcome> {
  let email: OutgoingMail;
  try {
    email = await prepare(deps.box, mail, row);
  } catch (err) {
    // nothing reached the server, and no later attempt would read the row differently
    return { kind: 'not_sent', retryable: false, reason: err instanceof Error ? err.message : String(err) };
  }
  try {
    return await transport.send(email);
  } catch (err) {
    // a transport is meant to answer, never throw; one that did may have sent
    return { kind: 'unknown', reason: `transport threw: ${err instanceof Error ? err.message : String(err)}` };
  }
}

async function prepare(box: SecretBox, mail: NonNullable<Config['mail']>, row: ClaimedRow): Promise<OutgoingMail> {
  if (row.kind === 'ticket_reply') {
    const reply = ticketReplyPayload.safeParse(typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload);
    if (!reply.success) throw new Error('payload does not match the email it should become');
    return { from: mail.from, to: row.toAddress, ...composeTicketReplyMail(reply.data), messageId: messageId(row.id, mail.from) };
  }
  const payload = deliveryMailPayload.safeParse(typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload);
  if (!payload.success) throw new Error('payload does not match the email it should become');
  let keys: string[] = [];
  // the keys go out only while the operator still opts in, even if the row was queued with them
  if (mail.includeKeys && row.keysEnc) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await box.decrypt(row.keysEnc));
    } catch {
      // never the parser's own message: it would quote the decrypted text
      throw new Error('keys_enc does not decrypt to JSON (CARD_KEY_SECRET changed?)');
    }
    if (!Array.isArray(parsed) || !parsed.every((k) => typeof k === 'string')) throw new Error('keys_enc is not a list of keys');
    keys = parsed;
  }
  const { subject, text, html } = composeDeliveryMail(payload.data, keys);
  return { from: mail.from, to: row.toAddress, subject, text, html, messageId: messageId(row.id, mail.from) };
}

/**
 * Records the attempt's outcome, if the row is still this attempt's. The lease may have made it
 * `unknown` meanwhile; what the attempt actually learned is better than that guess.
 * Keys leave the row with the last attempt: the outbox holds them only while it may still send them.
 */
async function settle(deps: MailDeps, row: ClaimedRow, out: SendOutcome, log: (line: string) => void): Promise<keyof MailSummary> {
  const now = deps.now();
  const mine = and(eq(mailOutbox.id, row.id), eq(mailOutbox.attempts, row.attempts), inArray(mailOutbox.status, ['sending', 'unknown']));
  const label = `mail: outbox ${row.id} (order ${row.orderNo}) attempt ${row.attempts}`;
  const set = (values: Partial<typeof mailOutbox.$inferInsert>) => deps.database.db.update(mailOutbox).set(values).where(mine);

  if (out.kind === 'sent') {
    await set({ status: 'sent', sentAt: now, lastError: null, keysEnc: null });
    return 'sent';
  }
  if (out.kind === 'unknown') {
    await set({ status: 'unknown', lastError: out.reason, keysEnc: null });
    log(`${label} may have been delivered, not retried: ${out.reason}`);
    return 'unknown';
  }
  const next = out.retryable ? nextAttemptAt(row.attempts, row.createdAt, now) : null;
  if (!next) {
    await set({ status: 'failed', lastError: out.reason, keysEnc: null });
    log(`${label} failed for good: ${out.reason}`);
    return 'failed';
  }
  await set({ status: 'pending', nextAt: next, sendingAt: null, lastError: out.reason });
  log(`${label} not sent, next try ${next.toISOString()}: ${out.reason}`);
  return 'retried';
}

/** Sends that outlived their lease: their dispatcher died mid-send, so they may have gone out. */
async function expireLeases(deps: MailDeps, log: (line: string) => void): Promise<number> {
  const cutoff = new Date(deps.now().getTime() - MAIL_LEASE_MS);
  const expired = await deps.database.db
    .update(mailOutbox)
    .set({ status: 'unknown', lastError: 'the sender stopped mid-send (lease expired): it may have been delivered', keysEnc: null })
    .where(and(eq(mailOutbox.status, 'sending'), lt(mailOutbox.sendingAt, cutoff)))
    .returning({ id: mailOutbox.id, orderNo: mailOutbox.orderNo });
  for (const r of expired) log(`mail: outbox ${r.id} (order ${r.orderNo}) was left sending past its lease: unknown, not retried`);
  return expired.length;
}

/** Stable per row: should a copy ever go out twice, the receiver sees one message. */
function messageId(id: number, from: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'order-doctor.invalid';
  return `<outbox-${id}.order-doctor@${domain}>`;
}

export type MailLoop = Loop;

/**
 * The in-process schedule of `serve`: one dispatch every `intervalMs`, each awaited before the next
 * is timed (dispatches of one process never overlap), errors logged and never thrown.
 */
export function startMailLoop(deps: MailDeps, intervalMs: number): MailLoop {
  const log = lineLog(deps);
  // with the services' logger: the summary at info and the failure at error, as structured lines
  const logger = deps.log ? undefined : deps.logger;
  return startLoop(async (signal) => {
    const s = await dispatchMail({ ...deps, log }, { signal });
    if (!(s.sent + s.retried + s.failed + s.unknown)) return;
    if (logger) logger.info({ component: 'mail', ...s }, `mail: ${s.sent} sent`);
    else log(`mail: ${JSON.stringify(s)}`);
  }, intervalMs, (err) => {
    if (logger) logger.error({ component: 'mail', error: describeError(err, { stacks: false }) }, 'mail dispatch failed');
    else log(`mail dispatch failed: ${err instanceof Error ? err.message : String(err)}`);
  });
}

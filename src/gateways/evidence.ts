/**
 * Evidence builders the adapters share. Every failure becomes evidence with a fault, never an
 * exception, so the decision can say UPSTREAM_UNAVAILABLE instead of guessing "unpaid".
 */
import type { Channel } from '../domain/verdicts.ts';
import { UpstreamError } from '../net/types.ts';
import type { Exchange, FaultKind, PaymentEvidence } from '../domain/payment.ts';
import type { Reading } from './reading.ts';
import { truncateBody } from './redact.ts';
import { tradeIds } from './reading.ts';

export function untrusted(
  channel: Channel,
  fault: { kind: FaultKind; message: string },
  exchange: Exchange[],
  attempts: number,
  ms: number,
): PaymentEvidence {
  return { channel, trust: 'untrusted', fault, exchange, attempts, ms };
}

/** 'aborted' means the caller's own deadline ran out: to the diagnosis that is a timeout. */
export function faultKindOf(err: UpstreamError): FaultKind {
  return err.kind === 'aborted' ? 'timeout' : err.kind;
}

/** No answer at all (timeout, refused/reset, open breaker, caller abort): keep what was asked. */
export function evidenceFromUpstreamError(channel: Channel, err: unknown, exchange: Exchange, ms: number): PaymentEvidence {
  if (!(err instanceof UpstreamError)) {
    const message = err instanceof Error ? err.message : String(err);
    return untrusted(channel, { kind: 'network', message }, [{ ...exchange, error: message, ms }], 1, ms);
  }
  const failed: Exchange = {
    ...exchange,
    error: `${err.kind}: ${err.message}`,
    ms,
    ...(err.status !== undefined ? { status: err.status } : {}),
    ...(err.body !== undefined ? { responseBody: truncateBody(err.body, 4096) } : {}),
  };
  return untrusted(channel, { kind: faultKindOf(err), message: err.message }, [failed], err.attempts, ms);
}

/** A signature-verified answer: its facts are trusted; a fault in it is not, but its trade numbers are kept. */
export function evidenceFromReading(
  channel: Channel,
  reading: Reading,
  exchange: Exchange,
  attempts: number,
  ms: number,
): PaymentEvidence {
  if (!reading.ok) return { ...untrusted(channel, reading.fault, [exchange], attempts, ms), ...tradeIds(reading.tradeNo, reading.outTradeNo) };
  const { ok: _ok, ...facts } = reading;
  return { channel, trust: 'verified', ...facts, exchange: [exchange], attempts, ms };
}

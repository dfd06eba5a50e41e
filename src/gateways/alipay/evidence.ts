/**
 * Untrusted evidence builders. Every failure becomes evidence with a fault, never an exception, so
 * the decision can say UPSTREAM_UNAVAILABLE instead of guessing "unpaid".
 */
import { UpstreamError } from '../../net/types.ts';
import type { Exchange, FaultKind, PaymentEvidence } from '../types.ts';
import { truncateBody } from '../redact.ts';

export function untrusted(
  fault: { kind: FaultKind; message: string },
  exchange: Exchange[],
  attempts: number,
  ms: number,
): PaymentEvidence {
  return { channel: 'alipay', trust: 'untrusted', fault, exchange, attempts, ms };
}

/** No answer at all (timeout, refused/reset, open breaker, caller abort): keep what was asked. */
export function evidenceFromUpstreamError(err: unknown, exchange: Exchange, ms: number): PaymentEvidence {
  if (!(err instanceof UpstreamError)) {
    const message = err instanceof Error ? err.message : String(err);
    return untrusted({ kind: 'network', message }, [{ ...exchange, error: message, ms }], 1, ms);
  }
  // 'aborted' means the caller's own deadline ran out: to the diagnosis that is a timeout.
  const kind: FaultKind = err.kind === 'aborted' ? 'timeout' : err.kind;
  const failed: Exchange = {
    ...exchange,
    error: `${err.kind}: ${err.message}`,
    ms,
    ...(err.status !== undefined ? { status: err.status } : {}),
    ...(err.body !== undefined ? { responseBody: truncateBody(err.body, 4096) } : {}),
  };
  return untrusted({ kind, message: err.message }, [failed], err.attempts, ms);
}

/** Assertions the gateway contract tests share (apart from ./support.ts, which recorders run outside vitest). */
import { expect } from 'vitest';
import type { Channel } from '../../src/domain/verdicts.ts';
import type { FaultKind, PaymentEvidence } from '../../src/domain/payment.ts';

/**
 * @example
 * const expectUntrusted = untrustedOn('alipay');
 * expectUntrusted(await query(), 'timeout');
 */
export function untrustedOn(channel: Channel): (ev: PaymentEvidence, kind: FaultKind) => void {
  return (ev, kind) => {
    expect(ev.trust).toBe('untrusted');
    expect(ev.fault?.kind).toBe(kind);
    // an untrusted answer must never be readable as a state, least of all "unpaid"
    expect(ev.state).toBeUndefined();
    expect(ev.channel).toBe(channel);
  };
}

/**
 * A supervisor's override of the replacement limit (issue 11 item 1). When a diagnosis stops at
 * REISSUE_LIMIT_REACHED, a supervisor may replace the voided keys anyway, giving a reason. The
 * override is applied through apply.ts confirmApply (once per confirmation, whatever the number of
 * clicks or supervisors) and lifts only the limit: the payment must still be verified paid for the
 * right amount, since decide() reaches the limit rule only after those (domain/decide.ts).
 */
import type { AgentAccount } from './accounts.ts';

/** long enough to say why, short enough for an audit row */
export const OVERRIDE_REASON_MIN = 10;
export const OVERRIDE_REASON_MAX = 500;

/** Only supervisors override: an agent asking is refused (403 on the API, no button in the console). */
export function mayOverride(agent: Pick<AgentAccount, 'role'>): boolean {
  return agent.role === 'supervisor';
}

/** Whether a diagnosis is one an override can act on. */
export function overridable(d: { verdict: string }): boolean {
  return d.verdict === 'REISSUE_LIMIT_REACHED';
}

/** The reason, trimmed, or why it is refused (one line for the person asking). */
export function overrideReason(raw: unknown): { ok: true; reason: string } | { ok: false; error: string } {
  const reason = typeof raw === 'string' ? raw.trim() : '';
  if (reason.length < OVERRIDE_REASON_MIN || reason.length > OVERRIDE_REASON_MAX) {
    return { ok: false, error: `A reason of ${OVERRIDE_REASON_MIN}-${OVERRIDE_REASON_MAX} characters is required.` };
  }
  // newlines and tabs are fine in a reason; other control characters would corrupt logs and pages
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(reason)) return { ok: false, error: 'The reason holds control characters.' };
  return { ok: true, reason };
}

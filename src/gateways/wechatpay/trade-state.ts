import type { PaymentState } from '../../domain/payment.ts';

/** WeChat Pay's `trade_state`, the same enum in API v2 (XML) and v3 (JSON) (gateway-protocols.md 3.4, 3b). */
const WECHAT_TRADE_STATES: Readonly<Record<string, PaymentState>> = {
  SUCCESS: 'paid',
  REFUND: 'refunded',
  NOTPAY: 'unpaid',
  USERPAYING: 'in_progress',
  CLOSED: 'closed',
  REVOKED: 'closed',
  PAYERROR: 'failed',
};

/** The normalised state of a `trade_state` value; undefined for anything else (never an inherited key). */
export function wechatTradeState(value: unknown): PaymentState | undefined {
  return typeof value === 'string' && Object.hasOwn(WECHAT_TRADE_STATES, value) ? WECHAT_TRADE_STATES[value] : undefined;
}

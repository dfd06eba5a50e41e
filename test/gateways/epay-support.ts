/**
 * What the EPay recorder and tests add to ./support.ts: the fixed clock the EPay fixtures were
 * recorded at, their trade, the adapter config and the fixture file shape.
 */
import type { EpayConfig } from '../../src/gateways/epay/client.ts';
import type { TradeRef } from '../../src/domain/payment.ts';
import { GATEWAY_STATES, type GatewayAnswer, type GatewayAnswerState, type SandboxTrade } from '../../src/sandbox/types.ts';
import { ORDER_NO, keys, sandboxTrade } from './support.ts';

export { ORDER_NO, memoryWorld } from './support.ts';

export const epayKeys = keys.epay;
/** 10:16:30 Beijing, 28 s after the doc example's payment */
export const FIXED_NOW = new Date('2026-11-22T02:16:30.000Z');
export const TRADE_NO = '2026112210153012345';
export const PAID_AT = '2026-11-22T02:16:02.000Z';

export function trade(answer: GatewayAnswer, orderNo = ORDER_NO): SandboxTrade {
  return { ...sandboxTrade('epay', answer, orderNo), createdAt: '2026-11-22T02:15:30.000Z' };
}

export function adapterConfig(apiUrl: string, version: 'v1' | 'v2', overrides: Partial<EpayConfig> = {}): EpayConfig {
  return version === 'v1'
    ? { apiUrl, pid: epayKeys.pid, version, key: epayKeys.key, ...overrides }
    : {
        apiUrl,
        pid: epayKeys.pid,
        version,
        merchantPrivateKey: epayKeys.merchantPrivateKey,
        platformPublicKey: epayKeys.platformPublicKey,
        ...overrides,
      };
}

export const sandboxCreds = {
  pid: epayKeys.pid,
  key: epayKeys.key,
  merchantPublicKey: epayKeys.merchantPublicKey,
  platformPrivateKey: epayKeys.platformPrivateKey,
};

/** One recorded exchange: what the adapter sent and what the sandbox server answered. */
export interface EpayFixture {
  description: string;
  version: 'v1' | 'v2';
  ref: TradeRef;
  /** the adapter's clock when it was recorded (the server's was FIXED_NOW) */
  clock: string;
  /** adapter config that differs from the sandbox merchant's (e.g. a wrong key) */
  configOverrides?: Partial<EpayConfig>;
  request: { method: 'GET' | 'POST'; path: string; body?: string };
  response: { status: number; contentType: string; body: string };
}

export const FIXTURE_HOST = 'https://pay.example.com';

/** One trade per scenario state, each under its own order number: the end-to-end tables (adapter against the sandbox). */
export const E2E_ANSWERS: Record<GatewayAnswerState, GatewayAnswer> = {
  paid: { state: 'paid', amountCents: 5000, paidAt: PAID_AT, tradeNo: 'T-PAID-0001' },
  unpaid: { state: 'unpaid' },
  in_progress: { state: 'in_progress' },
  not_found: { state: 'not_found' },
  closed: { state: 'closed' },
  refunded: { state: 'refunded', paidAt: PAID_AT, refundedAt: '2026-11-22T03:00:00.000Z' },
  failed: { state: 'failed', reason: 'card declined' },
  unreachable: { state: 'unreachable' },
  timeout: { state: 'timeout' },
  http_500: { state: 'http_500' },
  malformed: { state: 'malformed' },
  bad_signature: { state: 'bad_signature', amountCents: 5000, paidAt: PAID_AT },
  stale: { state: 'stale', amountCents: 5000, paidAt: PAID_AT },
};
export const e2eOrderNo = (s: GatewayAnswerState) => `E2E-${s}`;
export const e2eTrades = (): SandboxTrade[] => GATEWAY_STATES.map((s) => trade(E2E_ANSWERS[s], e2eOrderNo(s)));

import type { Exchange, FaultKind } from '../../domain/payment.ts';
import type { SupplierEvidence } from '../types.ts';
import { cardSecret } from './cards.ts';
import {
  FULU_CODE_OK,
  FULU_MESSAGE_OK,
  fromBeijingWallClock,
  fuluEnvelopeSchema,
  fuluOrderSchema,
  isOrderNotFoundMessage,
  snakeCaseKeys,
} from './protocol.ts';
import { verifyResultSign } from './sign.ts';

/** What one HTTP answer means, before transport bookkeeping (attempts, ms, exchange) is added. */
export type FuluReading = Pick<SupplierEvidence, 'trust' | 'state' | 'keys' | 'since' | 'finishedAt' | 'reason' | 'fault'> & {
  signature: NonNullable<Exchange['signature']>;
};

const untrusted = (kind: FaultKind, message: string, signature: FuluReading['signature']): FuluReading => ({
  trust: 'untrusted',
  fault: { kind, message },
  signature,
});

/**
 * Reads an answer to `fulu.order.info.get` for `orderNo`. Pure: no I/O, never throws.
 *
 * Trust rules: a state is believed only when the `result` signature verifies and the answer is
 * about the order we asked for. "Not found" is an error answer; it is believed only when signed,
 * because acting on a forged "not found" would buy the keys a second time.
 */
export function readFuluAnswer(
  res: { status: number; body: string },
  orderNo: string,
  appSecret: string,
): FuluReading {
  if (res.status === 429) return untrusted('rate_limited', 'HTTP 429', 'absent');
  if (res.status !== 200) return untrusted('http', `HTTP ${res.status}`, 'absent');

  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    return untrusted('parse', 'body is not JSON', 'absent');
  }
  const envelope = fuluEnvelopeSchema.safeParse(json);
  if (!envelope.success) return untrusted('parse', 'body is not a Fulu envelope {code,message,result,sign}', 'absent');
  const { code, message, result, sign } = envelope.data;

  if (code !== FULU_CODE_OK) {
    const said = `Fulu code ${code}: ${message ?? ''}`.trim();
    if (!isOrderNotFoundMessage(message)) return untrusted('protocol', said, sign ? 'not_applicable' : 'absent');
    if (!sign) return untrusted('signature', `unsigned "not found" answer (${said})`, 'absent');
    if (!verifyResultSign(result, sign, appSecret)) return untrusted('signature', `bad signature on "not found" answer (${said})`, 'failed');
    return { trust: 'verified', state: 'not_found', signature: 'verified' };
  }

  if (!sign) return untrusted('signature', 'answer carries no sign', 'absent');
  if (result == null) return untrusted('parse', 'code 0 without a result', 'absent');
  if (!verifyResultSign(result, sign, appSecret)) return untrusted('signature', 'result signature does not verify', 'failed');

  let raw: unknown;
  try {
    raw = JSON.parse(result);
  } catch {
    return untrusted('parse', 'result is not JSON', 'verified');
  }
  const order = fuluOrderSchema.safeParse(snakeCaseKeys(raw));
  if (!order.success) return untrusted('parse', `result does not match an order: ${order.error.issues[0]?.path.join('.') ?? '?'}`, 'verified');
  const o = order.data;
  if (o.customer_order_no !== orderNo) {
    return untrusted('protocol', `answer is about order ${o.customer_order_no}, not ${orderNo}`, 'verified');
  }

  const since = fromBeijingWallClock(o.create_time);
  const base: FuluReading = { trust: 'verified', state: o.order_state, signature: 'verified', ...(since && { since }) };
  const finishedAt = fromBeijingWallClock(o.finish_time);
  switch (o.order_state) {
    case 'processing':
    case 'untreated':
      return base;
    case 'failed':
      // Fulu's order has no reason field; the envelope's message is the only human text (unsigned,
      // so it is shown, never acted upon).
      return {
        ...base,
        ...(finishedAt && { finishedAt }),
        ...(message && message !== FULU_MESSAGE_OK && { reason: message }),
      };
    case 'success': {
      const keys: string[] = [];
      for (const card of o.cards ?? []) {
        try {
          keys.push(cardSecret(card, appSecret));
        } catch (err) {
          return untrusted('parse', `a card could not be decrypted: ${(err as Error).message}`, 'verified');
        }
      }
      return { ...base, keys, ...(finishedAt && { finishedAt }) };
    }
  }
}

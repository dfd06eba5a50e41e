/**
 * A sandbox world held in memory, for benchmarks on a connected shop (dujiaoka): the sandbox knows
 * nothing of the shop's database, so each order's gateway answer is given up front, by order_sn,
 * in a JSON file (`bench/sandbox-server.ts --answers FILE`):
 *
 *   { "A1B2C3D4E5F6G7H8": { "channel": "alipay", "totalCents": 10000, "answer": { "state": "paid", ... },
 *                           "createdAt": "2026-11-22T01:30:00.000Z", "subject": "..." }, ... }
 *
 * `createdAt` and `subject` are optional (now, and the order number). No supplier orders.
 */
import type { Channel } from '../src/domain/verdicts.ts';
import type { TradeRef } from '../src/domain/payment.ts';
import { GATEWAY_STATES, type GatewayAnswer, type SandboxTrade, type SandboxWorld } from '../src/sandbox/types.ts';

export interface AnswerEntry {
  channel: Channel;
  totalCents: number;
  answer: GatewayAnswer;
  createdAt?: string;
  subject?: string;
}

export type AnswerFile = Record<string, AnswerEntry>;

const CHANNELS: readonly string[] = ['alipay', 'wechat', 'epay'];

/** Reads an answers file's content, naming the first entry that is not an answer. */
export function parseAnswers(json: unknown): AnswerFile {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('answers: expected an object order_sn -> entry');
  for (const [orderSn, e] of Object.entries(json as Record<string, Partial<AnswerEntry>>)) {
    const ok = e && typeof e === 'object' && CHANNELS.includes(e.channel as string) && Number.isInteger(e.totalCents)
      && e.answer && (GATEWAY_STATES as readonly string[]).includes(e.answer.state);
    if (!ok) throw new Error(`answers: entry ${orderSn}: expected { channel, totalCents, answer: { state, ... } }`);
  }
  return json as AnswerFile;
}

export function createAnswerWorld(answers: AnswerFile, now: () => Date): SandboxWorld {
  const byOrderNo = new Map<string, SandboxTrade>();
  const byTradeNo = new Map<string, SandboxTrade>();
  for (const [orderNo, e] of Object.entries(answers)) {
    const trade: SandboxTrade = {
      orderNo, channel: e.channel, subject: e.subject ?? orderNo, totalCents: e.totalCents,
      createdAt: e.createdAt ?? now().toISOString(), answer: e.answer,
    };
    byOrderNo.set(orderNo, trade);
    if (e.answer.tradeNo) byTradeNo.set(e.answer.tradeNo, trade);
  }
  return {
    async findTrade(channel: Channel, ref: TradeRef): Promise<SandboxTrade | null> {
      const t = 'orderNo' in ref ? byOrderNo.get(ref.orderNo) : byTradeNo.get(ref.tradeNo);
      return t && t.channel === channel ? t : null;
    },
    async findSupplierOrder() {
      return null;
    },
  };
}

/**
 * A sandbox world held in memory, for benchmarks on a connected shop (dujiaoka): the sandbox knows
 * nothing of the shop's database, so each order's gateway answer is given up front, by order_sn,
 * in a JSON file (`bench/sandbox-server.ts --answers FILE`):
 *
 *   { "A1B2C3D4E5F6G7H8": { "channel": "alipay", "totalCents": 10000, "answer": { "state": "paid", ... },
 *                           "createdAt": "2026-11-22T01:30:00.000Z", "subject": "..." }, ... }
 *
 * `createdAt` and `subject` are optional (now, and the order number). No supplier orders.
 *
 * The built-in store's benches use it too (`answersOfWorld`): the sandbox process keeps the
 * world's gateway and supplier answers in maps rather than in a PGlite of its own, whose queries
 * cost the stand-in gateways ~60% of their CPU, on the cores the measured server shares (a real
 * gateway's lookups run on its own machines). What each order's upstreams answer is the same as
 * createDbSandboxWorld would play from that world loaded unshifted.
 */
import type { Channel } from '../src/domain/verdicts.ts';
import type { TradeRef } from '../src/domain/payment.ts';
import { GATEWAY_STATES, type GatewayAnswer, type SandboxTrade, type SandboxWorld, type SupplierAnswer } from '../src/sandbox/types.ts';
import type { World } from '../src/world/schema.ts';

export interface AnswerEntry {
  channel: Channel;
  totalCents: number;
  answer: GatewayAnswer;
  createdAt?: string;
  subject?: string;
}

export type AnswerFile = Record<string, AnswerEntry>;

/** What the supplier sandbox answers for an order, by order number. */
export type SupplierAnswers = Record<string, { sku: string; quantity: number; answer: SupplierAnswer }>;

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

/**
 * A scenario world's upstream answers: each order's gateway answer (an order without one answers
 * not_found, as on the database world) and its supplier's.
 */
export function answersOfWorld(world: World): { answers: AnswerFile; suppliers: SupplierAnswers } {
  const titles = new Map(world.products.map((p) => [p.sku, p.title]));
  const answers: AnswerFile = {};
  const suppliers: SupplierAnswers = {};
  // times as the database world returns them (loadWorld stores them as instants)
  const iso = (t?: string) => (t ? new Date(t).toISOString() : undefined);
  for (const o of world.orders) {
    // an order paid by a method no sandbox speaks never reaches the sandbox
    if (!CHANNELS.includes(o.channel)) continue;
    const answer = world.gateway[o.orderNo];
    answers[o.orderNo] = {
      channel: o.channel as Channel, totalCents: o.amountCents, createdAt: iso(o.createdAt), subject: titles.get(o.sku) ?? o.sku,
      answer: answer ? { ...answer, paidAt: iso(answer.paidAt), refundedAt: iso(answer.refundedAt) } : { state: 'not_found' },
    };
    if (o.supplier) suppliers[o.orderNo] = { sku: o.sku, quantity: o.quantity, answer: { ...o.supplier, since: iso(o.supplier.since)! } };
  }
  return { answers, suppliers };
}

export function createAnswerWorld(answers: AnswerFile, now: () => Date, suppliers: SupplierAnswers = {}): SandboxWorld {
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
    async findSupplierOrder(orderNo: string) {
      return suppliers[orderNo] ?? null;
    },
  };
}

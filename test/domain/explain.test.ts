import { describe, expect, it } from 'vitest';
import { decide } from '../../src/domain/decide.ts';
import type { Decision, DecisionFacts } from '../../src/domain/decide.ts';
import { VERDICT_TITLES, explain } from '../../src/domain/explain.ts';
import type { ExplainInput } from '../../src/domain/explain.ts';
import type { OrderFacts } from '../../src/domain/findings.ts';
import { ACTION_FOR, VERDICTS } from '../../src/domain/verdicts.ts';
import type { Action, Explanation, Verdict } from '../../src/domain/verdicts.ts';
import { findings, order as makeOrder, payment } from './findings-factory.ts';

const KEY_SECRET = 'S100-SECRET-7731-XKQZ';
const TICKET = { number: 'T-20261122-0042', dueAt: '2026-11-23T02:00:00Z' }; // 10:00 Beijing
const TICKET_DUE_SHOWN = '2026-11-23 10:00';
const NEXT_CHECK = '2026-11-22T02:15:00Z';
const NEXT_CHECK_SHOWN = '2026-11-22 10:15';

const paid: DecisionFacts = {
  channel: 'alipay',
  paymentState: 'paid',
  paidAmountCents: 10000,
  orderAmountCents: 10000,
  paidAt: '2026-11-22T09:41:10+08:00',
  tradeNo: '2026112222001400001',
};

/** A representative decision per verdict and the facts its explanation must carry (zh, en). */
const SAMPLES: Record<Verdict, { facts: DecisionFacts; zh: string[]; en: string[] }> = {
  ORDER_NOT_FOUND: { facts: {}, zh: ['没有找到'], en: ['No order'] },
  MIGRATION_PENDING: {
    facts: { legacyOrderNo: 'L88001', batch: 'B7', eta: '2026-11-23T02:00:00+08:00' },
    zh: ['L88001', 'B7', '2026-11-23 02:00'],
    en: ['L88001', 'B7', '2026-11-23 02:00'],
  },
  MIGRATION_CONFLICT: {
    facts: { legacyOrderNo: 'L88002', conflictFields: ['amountCents', 'sku'] },
    zh: ['金额', '商品'],
    en: ['amount', 'product'],
  },
  MIGRATION_INCOMPLETE: { facts: { legacyOrderNo: 'L88003', missing: 2 }, zh: ['2 个卡密'], en: ['2 keys'] },
  DELIVERED: { facts: {}, zh: ['已发货'], en: ['delivered'] },
  PAYMENT_UNVERIFIABLE: {
    facts: { reason: 'unsupported_gateway', paymentMethod: 'Stripe[微信支付宝]' },
    zh: ['Stripe[微信支付宝]', '人工核实'],
    en: ['Stripe[微信支付宝]', 'a person must check'],
  },
  UPSTREAM_UNAVAILABLE: { facts: { upstreamProblem: 'payment: timeout', channel: 'alipay' }, zh: ['支付宝'], en: ['Alipay'] },
  REFUNDED: {
    facts: { ...paid, paymentState: 'refunded', refundedAt: '2026-11-21T15:00:00+08:00' },
    zh: ['¥100.00', '2026-11-21 15:00', '支付宝'],
    en: ['¥100.00', '2026-11-21 15:00', 'Alipay'],
  },
  PAYMENT_CLOSED: { facts: { channel: 'wechat', paymentState: 'closed' }, zh: ['微信', '关闭'], en: ['WeChat Pay', 'closed'] },
  PAYMENT_FAILED: {
    facts: { channel: 'wechat', paymentState: 'failed', reason: '银行卡余额不足' },
    zh: ['银行卡余额不足'],
    en: ['银行卡余额不足'],
  },
  NOT_PAID: { facts: { channel: 'alipay', paymentState: 'unpaid' }, zh: ['等待付款'], en: ['waiting for payment'] },
  AMOUNT_MISMATCH: { facts: { ...paid, paidAmountCents: 9900 }, zh: ['¥99.00', '¥100.00'], en: ['¥99.00', '¥100.00'] },
  DELIVERY_IN_PROGRESS: {
    facts: { ...paid, missing: 1, deliveryDueAt: '2026-11-22T01:51:10.000Z' },
    zh: ['2026-11-22 09:51', '2026-11-22 09:41'],
    en: ['2026-11-22 09:51', '2026-11-22 09:41'],
  },
  DELIVERY_DELAYED: {
    facts: { ...paid, missing: 1, deliveryDueAt: '2026-11-22T01:51:10.000Z' },
    zh: ['2026-11-22 09:51'],
    en: ['2026-11-22 09:51'],
  },
  KEY_VOIDED: { facts: { ...paid, missing: 1, voidedSlots: 1, neverDelivered: 0 }, zh: ['作废'], en: ['voided'] },
  REISSUE_LIMIT_REACHED: { facts: { ...paid, missing: 1, voidedSlots: 1, neverDelivered: 0 }, zh: ['更换次数'], en: ['replacements'] },
  OUT_OF_STOCK: { facts: { ...paid, missing: 2, voidedSlots: 0, neverDelivered: 2 }, zh: ['库存不足', '2 个卡密'], en: ['out of stock', '2 keys'] },
  PAID_NOT_DELIVERED: {
    facts: { ...paid, missing: 1, voidedSlots: 0, neverDelivered: 1 },
    zh: ['¥100.00', '支付宝', '2026-11-22 09:41'],
    en: ['¥100.00', 'Alipay', '2026-11-22 09:41'],
  },
};

const order: OrderFacts = makeOrder({ productTitle: `Steam 卡 ${KEY_SECRET}` });

function decision(verdict: Verdict): Decision {
  return { verdict, action: ACTION_FOR[verdict], facts: SAMPLES[verdict].facts, neededPayment: true };
}

/** As a customer check or the sweep: the verdict's action was applied. */
function applied(verdict: Verdict): ExplainInput['applied'] {
  const action = ACTION_FOR[verdict];
  return {
    action,
    keysIssued: action === 'reissued' || action === 'restored' ? (SAMPLES[verdict].facts.missing ?? 1) : undefined,
    ticket: action === 'escalated' ? TICKET : undefined,
    nextCheckAt: action === 'deferred' ? NEXT_CHECK : undefined,
  };
}

/** As an agent's diagnosis without apply: nothing done, the action only suggested. */
const suggested = (verdict: Verdict): ExplainInput['applied'] => ({ action: 'none', suggested: ACTION_FOR[verdict] });

function sentenceCount(text: string, lang: 'zh-CN' | 'en'): number {
  const ends = lang === 'zh-CN' ? text.match(/[。！？]/g) : text.match(/[.!?](?=\s|$)/g);
  return ends?.length ?? 0;
}

function expectWellFormed(e: Explanation) {
  for (const lang of ['zh-CN', 'en'] as const) {
    const text = e[lang];
    expect(text.trim().length, lang).toBeGreaterThan(0);
    expect(sentenceCount(text, lang), `${lang}: 1-3 sentences: ${text}`).toBeGreaterThanOrEqual(1);
    expect(sentenceCount(text, lang), `${lang}: 1-3 sentences: ${text}`).toBeLessThanOrEqual(3);
    expect(text).not.toContain('请耐心等待');
    expect(text).not.toMatch(/please wait/i);
    expect(text).not.toContain('undefined');
    expect(text).not.toContain('NaN');
    expect(text).not.toContain(KEY_SECRET);
  }
  expect(e['zh-CN']).toMatch(/。$/);
  expect(e.en).toMatch(/\.$/);
}

describe('explain: every verdict, as applied (customer / sweep)', () => {
  it.each([...VERDICTS])('%s has both languages and carries its facts', (verdict) => {
    const e = explain({ decision: decision(verdict), order, applied: applied(verdict) });
    expectWellFormed(e);
    for (const s of SAMPLES[verdict].zh) expect(e['zh-CN']).toContain(s);
    for (const s of SAMPLES[verdict].en) expect(e.en).toContain(s);
  });

  const escalating = VERDICTS.filter((v) => ACTION_FOR[v] === 'escalated');
  it.each(escalating)('%s names the ticket and its response deadline', (verdict) => {
    const e = explain({ decision: decision(verdict), order, applied: applied(verdict) });
    for (const text of [e['zh-CN'], e.en]) {
      expect(text).toContain(TICKET.number);
      expect(text).toContain(TICKET_DUE_SHOWN);
    }
  });

  it('deferred names the next automatic check time', () => {
    const e = explain({ decision: decision('UPSTREAM_UNAVAILABLE'), order, applied: applied('UPSTREAM_UNAVAILABLE') });
    expect(e['zh-CN']).toContain(NEXT_CHECK_SHOWN);
    expect(e.en).toContain(NEXT_CHECK_SHOWN);
  });

  it('reissue and restore say how many keys were issued, not the keys', () => {
    const e = explain({
      decision: decision('PAID_NOT_DELIVERED'),
      order: makeOrder({ quantity: 3 }),
      applied: { action: 'reissued', keysIssued: 2 },
    });
    expect(e['zh-CN']).toContain('补发 2 个卡密');
    expect(e.en).toContain('2 keys');
    const r = explain({ decision: decision('MIGRATION_INCOMPLETE'), order, applied: { action: 'restored', keysIssued: 2 } });
    expect(r['zh-CN']).toContain('恢复 2 个卡密');
  });
});

describe('explain: every verdict, as an agent suggestion', () => {
  it.each([...VERDICTS])('%s says what is suggested and claims nothing done', (verdict) => {
    const e = explain({ decision: decision(verdict), order, applied: suggested(verdict) });
    expectWellFormed(e);
    if (ACTION_FOR[verdict] === 'none') return;
    expect(e['zh-CN']).toContain('建议操作');
    expect(e['zh-CN']).toContain('尚未执行');
    expect(e.en).toContain('Suggested action');
    expect(e['zh-CN']).not.toMatch(/已为您|已转人工|工单号|系统将于/);
    expect(e.en).not.toMatch(/We (have now issued|replaced|restored|passed|will re-check)/);
  });

  it('an agent diagnosis with nothing to suggest still gives a next step', () => {
    for (const verdict of VERDICTS) {
      expectWellFormed(explain({ decision: decision(verdict), order, applied: { action: 'none' } }));
    }
  });
});

describe('explain: every verdict x every action produces a sentence', () => {
  const ACTIONS: Action[] = ['none', 'reissued', 'restored', 'escalated', 'deferred'];
  it.each([...VERDICTS])('%s', (verdict) => {
    for (const action of ACTIONS) {
      for (const facts of [SAMPLES[verdict].facts, {}]) {
        const d: Decision = { verdict, action: ACTION_FOR[verdict], facts, neededPayment: true };
        expectWellFormed(explain({ decision: d, applied: { action } }));
        expectWellFormed(explain({ decision: d, order, applied: { action: 'none', suggested: action } }));
      }
    }
  });
});

describe('explain: key secrets never leak', () => {
  it('ignores secrets smuggled into any input field', () => {
    const leaky = { keys: [{ secret: KEY_SECRET }], secret: KEY_SECRET };
    for (const verdict of VERDICTS) {
      const e = explain({
        decision: { ...decision(verdict), facts: { ...SAMPLES[verdict].facts, ...leaky } as DecisionFacts, ...leaky },
        order: { ...order, ...leaky } as OrderFacts,
        applied: { ...applied(verdict), ...leaky } as ExplainInput['applied'],
        ...leaky,
      } as ExplainInput);
      expect(JSON.stringify(e)).not.toContain(KEY_SECRET);
    }
  });
});

describe('explain: money goes back where it came from', () => {
  const refund = (channel: 'alipay' | 'wechat' | 'epay') =>
    explain({
      decision: decide(
        findings({
          order: makeOrder({ channel }),
          payment: payment({ channel, trust: 'verified', state: 'refunded', refundedAt: '2026-11-21T07:00:00Z' }),
        }),
        { epayV1Trust: 'reject' },
      ),
      applied: { action: 'none' },
    });
  it('alipay refunds name 支付宝', () => expect(refund('alipay')['zh-CN']).toContain('支付宝账户'));
  it('wechat refunds name 微信', () => expect(refund('wechat')['zh-CN']).toContain('微信支付账户'));
  it('epay refunds name the original channel', () => {
    expect(refund('epay')['zh-CN']).toContain('原支付渠道');
    expect(refund('epay').en).toContain('original payment channel');
  });
  it('refund time is shown in Beijing time by default and in the given zone on request', () => {
    expect(refund('alipay')['zh-CN']).toContain('2026-11-21 15:00');
    const d = decide(findings({ payment: payment({ state: 'refunded', refundedAt: '2026-11-21T07:00:00Z' }) }), {
      epayV1Trust: 'reject',
    });
    expect(explain({ decision: d, applied: { action: 'none' }, tz: 'UTC' }).en).toContain('2026-11-21 07:00');
  });
});

describe('explain: wording follows the facts', () => {
  it('a partially delivered order says how many keys are still missing', () => {
    const e = explain({ decision: decision('PAID_NOT_DELIVERED'), order: makeOrder({ quantity: 3 }), applied: { action: 'none' } });
    expect(e['zh-CN']).toContain('还有 1 个卡密');
    expect(e.en).toContain('1 of your 3 keys');
  });
  it('a held payment says the money is frozen, not that we guess', () => {
    const d: Decision = { ...decision('UPSTREAM_UNAVAILABLE'), facts: { paymentState: 'held', channel: 'epay' } };
    const e = explain({ decision: d, applied: { action: 'deferred', nextCheckAt: NEXT_CHECK } });
    expect(e['zh-CN']).toContain('冻结');
    expect(e.en).toContain('frozen');
  });
  it('a lost migration record says it was lost', () => {
    const d: Decision = { ...decision('MIGRATION_CONFLICT'), facts: { legacyOrderNo: 'L3', reason: 'migration_record_lost' } };
    expect(explain({ decision: d, applied: { action: 'escalated', ticket: TICKET } })['zh-CN']).toContain('丢失');
  });
  it('a payment in progress asks the buyer to finish paying', () => {
    const d: Decision = { ...decision('NOT_PAID'), facts: { channel: 'wechat', paymentState: 'in_progress' } };
    expect(explain({ decision: d, applied: { action: 'none' } })['zh-CN']).toContain('完成付款');
  });
  it('the upstream problem text (internals) is never shown to the buyer', () => {
    const d: Decision = { ...decision('UPSTREAM_UNAVAILABLE'), facts: { upstreamProblem: 'payment: ECONNREFUSED 10.0.0.7:443' } };
    const e = explain({ decision: d, applied: { action: 'deferred' } });
    expect(JSON.stringify(e)).not.toContain('ECONNREFUSED');
  });
});

describe('VERDICT_TITLES', () => {
  it('has a short zh-CN and en title for every verdict', () => {
    for (const v of VERDICTS) {
      expect(VERDICT_TITLES[v]['zh-CN'].length).toBeGreaterThan(0);
      expect(VERDICT_TITLES[v]['zh-CN'].length).toBeLessThanOrEqual(8);
      expect(VERDICT_TITLES[v].en.length).toBeGreaterThan(0);
    }
    expect(VERDICT_TITLES.DELIVERED).toEqual({ 'zh-CN': '已发货', en: 'Delivered' });
  });
});

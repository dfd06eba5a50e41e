import type { Decision, DecisionFacts } from './decide.ts';
import { REASON_MANUAL_FAILED, REASON_MIGRATION_RECORD_LOST } from './decide.ts';
import type { OrderFacts } from './findings.ts';
import { DEFAULT_TZ, channelName, formatMoney, formatTime } from './format.ts';
import type { Action, Explanation, Lang, Verdict } from './verdicts.ts';

/**
 * Plain-language explanations for buyers (zh-CN default, en), built only from the decision's facts
 * and what was actually done. One sentence says what is true, one or two say what was done (or, for
 * an agent's diagnosis, what is suggested) and what the buyer can do next. Never a bare "please
 * wait", never a key secret: this module reads named facts only, and keys are not among them.
 */

export interface ExplainInput {
  decision: Decision;
  order?: OrderFacts;
  /** what was actually done (an agent's diagnosis only suggests) */
  applied: {
    action: Action;
    suggested?: Action;
    keysIssued?: number;
    ticket?: { number: string; dueAt: string };
    nextCheckAt?: string;
  };
  /** display time zone, default 'Asia/Shanghai' */
  tz?: string;
}

export const VERDICT_TITLES: Record<Verdict, Explanation> = {
  ORDER_NOT_FOUND: { 'zh-CN': '未找到订单', en: 'Order not found' },
  MIGRATION_PENDING: { 'zh-CN': '等待迁移', en: 'Migration pending' },
  MIGRATION_CONFLICT: { 'zh-CN': '迁移记录不一致', en: 'Migration conflict' },
  MIGRATION_INCOMPLETE: { 'zh-CN': '迁移不完整', en: 'Migration incomplete' },
  DELIVERED: { 'zh-CN': '已发货', en: 'Delivered' },
  PAYMENT_UNVERIFIABLE: { 'zh-CN': '需人工核实付款', en: 'Payment needs a person to check' },
  UPSTREAM_UNAVAILABLE: { 'zh-CN': '暂时无法核实', en: 'Cannot verify yet' },
  REFUNDED: { 'zh-CN': '已退款', en: 'Refunded' },
  PAYMENT_CLOSED: { 'zh-CN': '付款已关闭', en: 'Payment closed' },
  PAYMENT_FAILED: { 'zh-CN': '付款失败', en: 'Payment failed' },
  NOT_PAID: { 'zh-CN': '未付款', en: 'Not paid' },
  AMOUNT_MISMATCH: { 'zh-CN': '金额不符', en: 'Amount mismatch' },
  DELIVERY_IN_PROGRESS: { 'zh-CN': '发货中', en: 'Delivery in progress' },
  DELIVERY_DELAYED: { 'zh-CN': '发货延迟', en: 'Delivery delayed' },
  KEY_VOIDED: { 'zh-CN': '卡密已作废', en: 'Key voided' },
  REISSUE_LIMIT_REACHED: { 'zh-CN': '更换次数已用完', en: 'Replacement limit reached' },
  OUT_OF_STOCK: { 'zh-CN': '缺货', en: 'Out of stock' },
  PAID_NOT_DELIVERED: { 'zh-CN': '已付款未发货', en: 'Paid, not delivered' },
};

/** One sentence in both languages. */
type Pair = [zh: string, en: string];

interface Ctx {
  facts: DecisionFacts;
  order?: OrderFacts;
  applied: ExplainInput['applied'];
  time: (iso: string) => string;
  money: (cents: number) => string;
  ch: (lang: Lang) => string;
}

/** fn, asked each distinct argument once: every time in an explanation is written in both languages */
function onceEach(fn: (iso: string) => string): (iso: string) => string {
  const seen = new Map<string, string>();
  return (iso) => {
    let out = seen.get(iso);
    if (out === undefined) seen.set(iso, (out = fn(iso)));
    return out;
  };
}

export function explain(input: ExplainInput): Explanation {
  const { decision, order, applied } = input;
  const tz = input.tz ?? DEFAULT_TZ;
  const facts = decision.facts;
  const ctx: Ctx = {
    facts,
    order,
    applied,
    time: onceEach((iso) => formatTime(iso, tz)),
    money: formatMoney,
    ch: (lang) => channelName(facts.channel ?? order?.channel ?? undefined, lang),
  };
  const sentences: Pair[] = [STATE[decision.verdict](ctx), ...actionSentences(decision.verdict, ctx)];
  return {
    'zh-CN': sentences.map(([zh]) => zh).join(''),
    en: sentences.map(([, en]) => en).join(' '),
  };
}

// ---------------------------------------------------------------------------------------------
// What is true

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const FIELD_WORDS: Record<string, Pair> = {
  amount: ['金额', 'amount'],
  amountCents: ['金额', 'amount'],
  sku: ['商品', 'product'],
  product: ['商品', 'product'],
  quantity: ['数量', 'quantity'],
  payment: ['付款记录', 'payment'],
  paidAt: ['付款记录', 'payment'],
  status: ['订单状态', 'order status'],
};

function fieldWords(fields: string[] | undefined): Pair {
  const words = (fields ?? []).map((f) => FIELD_WORDS[f] ?? (['订单信息', 'order details'] as Pair));
  const unique = (i: 0 | 1) => [...new Set(words.map((w) => w[i]))];
  if (words.length === 0) return ['订单信息', 'order details'];
  const en = unique(1);
  return [unique(0).join('、'), en.length > 1 ? `${en.slice(0, -1).join(', ')} and ${en.at(-1)}` : en.join('')];
}

/** Where a refund lands: the account the buyer paid from. */
function refundDestination(c: Ctx): Pair {
  switch (c.facts.channel ?? c.order?.channel) {
    case 'alipay':
      return ['您的支付宝账户', 'your Alipay account'];
    case 'wechat':
      return ['您的微信支付账户', 'your WeChat Pay account'];
    default:
      return ['您付款时使用的原支付渠道', 'the original payment channel you paid with'];
  }
}

/** Where the buyer sees the refund arrive. */
function billsWhere(c: Ctx): Pair {
  switch (c.facts.channel ?? c.order?.channel) {
    case 'alipay':
      return ['支付宝的账单', 'your Alipay bills'];
    case 'wechat':
      return ['微信支付的账单', 'your WeChat Pay bills'];
    default:
      return ['您付款所用 App 的账单', 'the bills of the app you paid with'];
  }
}

function paidAtPart(c: Ctx): Pair {
  return c.facts.paidAt ? [`（${c.time(c.facts.paidAt)}）`, ` (${c.time(c.facts.paidAt)})`] : ['', ''];
}

function unavailableState(c: Ctx): Pair {
  const f = c.facts;
  if (f.paymentState === 'held') {
    return [
      `您的付款在${c.ch('zh-CN')}处于冻结或预授权状态，款项尚未到账，所以暂时不能发货。`,
      `${cap(c.ch('en'))} shows your payment as frozen or pre-authorised, so the money has not reached us and we cannot deliver yet.`,
    ];
  }
  const source = (f.upstreamProblem ?? 'payment').split(':')[0];
  switch (source) {
    case 'issuance':
      return [
        '暂时无法读取您订单的发货记录，为避免重复或错误发货，现在不做处理。',
        "We could not read your order's delivery records just now, and we will not act on a guess.",
      ];
    case 'supplier':
      return [
        '您的付款已确认，但暂时无法从供货商确认出卡情况。',
        'Your payment is confirmed, but we could not reach the supplier to confirm your keys just now.',
      ];
    case 'migration':
      return [
        '暂时无法读取您订单在旧系统中的迁移状态。',
        "We could not read your order's migration status from our previous system just now.",
      ];
    default:
      return [
        `暂时无法从${c.ch('zh-CN')}得到可信的付款结果，为避免误判，我们不会猜测您是否已付款。`,
        `We could not get a trustworthy answer from ${c.ch('en')} about your payment just now, and we will not guess whether you paid.`,
      ];
  }
}

function notPaidState(c: Ctx): Pair {
  const [zh, en] = [c.ch('zh-CN'), cap(c.ch('en'))];
  switch (c.facts.paymentState) {
    case 'unpaid':
      return [`${zh}显示这笔订单还在等待付款，没有收到款项。`, `${en} shows this order still waiting for payment; no money has been received.`];
    case 'in_progress':
      return [`${zh}显示这笔付款还在进行中，尚未完成。`, `${en} shows the payment still in progress and not completed.`];
    default:
      return [
        `${zh}没有这笔订单的付款记录，通常是还没有打开收银台付款。`,
        `${en} has no payment for this order; usually the checkout page was never opened.`,
      ];
  }
}

const STATE: Record<Verdict, (c: Ctx) => Pair> = {
  ORDER_NOT_FOUND: () => [
    '新系统和旧系统中都没有找到这个订单号。',
    'No order with this number exists in our current system or the previous one.',
  ],
  MIGRATION_PENDING: (c) => {
    const { legacyOrderNo: no, batch, eta } = c.facts;
    const zhWhen = batch ? `将在迁移批次 ${batch} 中转入新系统` : '尚未转入新系统';
    const enWhen = batch ? `moves to the new one in migration batch ${batch}` : 'has not moved to the new one yet';
    return [
      `您的订单${no ? ` ${no} ` : ''}还在旧系统中，${zhWhen}${eta ? `，预计 ${c.time(eta)} 完成` : ''}。`,
      `Your order${no ? ` ${no}` : ''} is still in our previous system and ${enWhen}${eta ? `, expected by ${c.time(eta)}` : ''}.`,
    ];
  },
  MIGRATION_CONFLICT: (c) => {
    if (c.facts.reason === REASON_MIGRATION_RECORD_LOST) {
      return [
        '您的订单记录在系统迁移时丢失，需要人工重建。',
        'Your order record was lost while moving to our new system and must be recreated by hand.',
      ];
    }
    const [zh, en] = fieldWords(c.facts.conflictFields);
    return [
      `系统迁移后，您订单的新旧记录在${zh}上不一致，需要人工核对。`,
      `After our system migration, the old and new records of your order disagree on ${en}, so a person must check them.`,
    ];
  },
  MIGRATION_INCOMPLETE: (c) => {
    const n = c.facts.missing ?? 0;
    return [
      `您的订单已转入新系统，但旧系统记录中已发放的 ${n} 个卡密没有一起转过来。`,
      `Your order moved to our new system, but ${plural(n, 'key')} the old system had delivered did not come along.`,
    ];
  },
  DELIVERED: (c) => {
    const q = c.order?.quantity;
    if (q !== undefined && q > 1) {
      return [`您的订单已发货，全部 ${q} 个卡密都有效。`, `Your order has been delivered and all ${q} keys are valid.`];
    }
    return q === 1
      ? ['您的订单已发货，卡密有效。', 'Your order has been delivered and its key is valid.']
      : ['您的订单已发货，卡密都有效。', 'Your order has been delivered and its keys are valid.'];
  },
  PAYMENT_UNVERIFIABLE: (c) => {
    const method = c.facts.paymentMethod;
    if (c.facts.reason === 'no_credentials') {
      return [
        `这笔订单通过${method ? `「${method}」` : c.ch('zh-CN')}付款，本系统暂时无法向该支付渠道查询，需要人工核实付款。`,
        `This order was paid through ${method ? `"${method}"` : c.ch('en')}, which this system cannot query yet, so a person must check the payment.`,
      ];
    }
    return [
      `这笔订单通过${method ? `「${method}」` : '其他支付方式'}付款，本系统无法自动核实这种付款，需要人工核实。`,
      `This order was paid through ${method ? `"${method}", which` : 'a payment method that'} this system cannot verify automatically, so a person must check the payment.`,
    ];
  },
  UPSTREAM_UNAVAILABLE: unavailableState,
  REFUNDED: (c) => {
    const { paidAmountCents: amount, refundedAt } = c.facts;
    const [zhTo, enTo] = refundDestination(c);
    const zhWhat = amount !== undefined ? `这笔订单的 ${c.money(amount)} ` : '这笔订单';
    const enWhat = amount !== undefined ? `The ${c.money(amount)} you paid for this order` : 'Your payment for this order';
    return [
      `${zhWhat}已${refundedAt ? `于 ${c.time(refundedAt)} ` : ''}退款，按原路退回${zhTo}。`,
      `${enWhat} was refunded${refundedAt ? ` on ${c.time(refundedAt)}` : ''}, back to ${enTo}.`,
    ];
  },
  PAYMENT_CLOSED: (c) => [
    `${c.ch('zh-CN')}显示这笔订单的付款已关闭（超时未付或已撤销），没有扣款。`,
    `${cap(c.ch('en'))} shows the payment for this order was closed (timed out or cancelled), and nothing was charged.`,
  ],
  PAYMENT_FAILED: (c) => {
    const r = c.facts.reason;
    return [
      `这笔订单的付款没有成功${r ? `（原因：${r}）` : ''}，没有扣款。`,
      `The payment for this order did not go through${r ? ` (reason: ${r})` : ''}, and nothing was charged.`,
    ];
  },
  NOT_PAID: notPaidState,
  AMOUNT_MISMATCH: (c) => {
    const paid = c.facts.paidAmountCents;
    const total = c.facts.orderAmountCents ?? c.order?.amountCents;
    const zhPaid = paid !== undefined ? `实付 ${c.money(paid)}` : '实付金额';
    const enPaid = paid !== undefined ? `${c.money(paid)} paid` : 'a paid total';
    const zhTotal = total !== undefined ? `订单金额 ${c.money(total)} ` : '订单金额';
    const enTotal = total !== undefined ? `the order total of ${c.money(total)}` : 'the order total';
    return [
      `${c.ch('zh-CN')}显示${zhPaid}，与${zhTotal}不一致，需要人工核对后处理。`,
      `${cap(c.ch('en'))} shows ${enPaid}, which differs from ${enTotal}, so a person must check it.`,
    ];
  },
  DELIVERY_IN_PROGRESS: (c) => {
    const due = c.facts.deliveryDueAt;
    const [zhAt, enAt] = paidAtPart(c);
    const [zhWho, enWho] = c.order?.fulfilment === 'manual'
      ? ['商家正在人工处理您的订单', 'the shop is fulfilling your order by hand']
      : ['供货商正在出卡', 'the supplier is preparing your keys'];
    return [
      `您的付款已确认${zhAt}，${zhWho}${due ? `，预计 ${c.time(due)} 前发货` : ''}。`,
      `Your payment${enAt} is confirmed, and ${enWho}${due ? `, expected by ${c.time(due)}` : ''}.`,
    ];
  },
  DELIVERY_DELAYED: (c) => {
    const due = c.facts.deliveryDueAt;
    if (c.facts.reason === REASON_MANUAL_FAILED) {
      return [
        '您的付款已确认，但商家将这笔人工处理的订单标记为处理失败。',
        'Your payment is confirmed, but the shop marked this hand-fulfilled order as failed.',
      ];
    }
    const [zhWho, enWho] = c.order?.fulfilment === 'manual'
      ? ['商家人工处理', 'the shop has not fulfilled it']
      : ['供货商出卡', 'the supplier has not delivered'];
    return [
      `您的付款已确认，但${zhWho}已超过预计时间${due ? `（${c.time(due)}）` : ''}。`,
      `Your payment is confirmed, but ${enWho} by the expected time${due ? ` (${c.time(due)})` : ''}.`,
    ];
  },
  KEY_VOIDED: (c) => {
    const n = c.facts.voidedSlots ?? 1;
    return [
      `您订单中有 ${n} 个卡密已被作废（例如批次召回）。`,
      `${cap(plural(n, 'key'))} on your order ${n === 1 ? 'was' : 'were'} voided (for example, a recalled batch).`,
    ];
  },
  REISSUE_LIMIT_REACHED: (c) => {
    const n = c.facts.voidedSlots ?? 1;
    return [
      `您订单中有 ${n} 个卡密已作废，但本订单的自动更换次数已用完，需要人工处理。`,
      `${cap(plural(n, 'key'))} on your order ${n === 1 ? 'was' : 'were'} voided, but this order has used up its automatic replacements, so a person must handle it.`,
    ];
  },
  OUT_OF_STOCK: (c) => {
    const n = c.facts.missing ?? 1;
    return [
      `您的付款已确认，但该商品库存不足，暂时无法发放缺少的 ${n} 个卡密，补货后会为您补发。`,
      `Your payment is confirmed, but the product is out of stock, so the missing ${plural(n, 'key')} will be sent once it is restocked.`,
    ];
  },
  PAID_NOT_DELIVERED: (c) => {
    const { paidAmountCents: amount, missing } = c.facts;
    const q = c.order?.quantity;
    const partial = missing !== undefined && q !== undefined && missing < q;
    const [zhAt, enAt] = paidAtPart(c);
    const zhAmount = amount !== undefined ? ` ${c.money(amount)}` : '';
    const enAmount = amount !== undefined ? ` of ${c.money(amount)}` : '';
    return [
      `${c.ch('zh-CN')}确认已收到您的付款${zhAmount}${zhAt}，但${partial ? `还有 ${missing} 个卡密` : '卡密'}没有发放到您的订单。`,
      `${cap(c.ch('en'))} confirms your payment${enAmount}${enAt}, but ${partial ? `${missing} of your ${q} keys were` : q === 1 ? 'your key was' : 'the keys were'} not delivered to your order.`,
    ];
  },
};

// ---------------------------------------------------------------------------------------------
// What was done, or is suggested, and what the buyer can do next

function actionSentences(verdict: Verdict, c: Ctx): Pair[] {
  const { action, suggested } = c.applied;
  switch (action) {
    case 'none':
      return suggested && suggested !== 'none' ? [suggestion(verdict, suggested, c)] : [NEXT_STEP[verdict](c)];
    case 'reissued':
      return [reissuedSentence(verdict, c)];
    case 'restored':
      return [restoredSentence(c)];
    case 'escalated':
      return [escalatedSentence(c)];
    case 'deferred':
      return [deferredSentence(c)];
  }
}

function keyCount(c: Ctx): number | undefined {
  return c.applied.keysIssued ?? c.facts.missing;
}

/** `3 个` / `` (zh count before 卡密, omitted when unknown) */
function zhCount(n: number | undefined): string {
  return n !== undefined ? ` ${n} 个` : '';
}

function reissuedSentence(verdict: Verdict, c: Ctx): Pair {
  const n = keyCount(c);
  if (verdict === 'KEY_VOIDED') {
    return [
      `已为您更换${zhCount(n)}新卡密，现在即可在本页查看，作废的卡密请勿再使用。`,
      `We replaced ${n === 1 ? 'it' : 'them'} with ${n !== undefined ? plural(n, 'new key') : 'new keys'}, shown on this page now; please do not use the voided ${n === 1 ? 'key' : 'keys'}.`,
    ];
  }
  return [
    `已为您补发${zhCount(n)}卡密，现在即可在本页查看。`,
    `We have now issued ${n !== undefined ? `your ${plural(n, 'key')}` : 'your keys'}, shown on this page.`,
  ];
}

function restoredSentence(c: Ctx): Pair {
  const n = keyCount(c);
  return [
    `已按旧系统记录为您恢复${zhCount(n)}卡密，现在即可在本页查看。`,
    `We restored ${n !== undefined ? plural(n, 'key') : 'your keys'} from the old system's record; they are shown on this page now.`,
  ];
}

function escalatedSentence(c: Ctx): Pair {
  const t = c.applied.ticket;
  if (!t) {
    return [
      '已转人工处理，客服会按订单号联系您，无需重复提交。',
      'We passed this to our support team, who will contact you about this order; you do not need to submit it again.',
    ];
  }
  return [
    `已转人工处理，工单号 ${t.number}，客服将在 ${c.time(t.dueAt)} 前回复，无需重复提交。`,
    `We passed this to our support team as ticket ${t.number}; they will reply by ${c.time(t.dueAt)}, and you do not need to submit it again.`,
  ];
}

function deferredSentence(c: Ctx): Pair {
  const at = c.applied.nextCheckAt;
  if (!at) {
    return [
      '系统已将订单加入自动复查，恢复后会自动重新核实并处理，已付的款项不会丢失。',
      'We queued the order for an automatic re-check that will verify and act as soon as the answer is available; money you paid is not lost.',
    ];
  }
  return [
    `系统将于 ${c.time(at)} 自动重新核实并处理，之后用同一订单号和查询密码即可查看结果，已付的款项不会丢失。`,
    `We will re-check automatically at ${c.time(at)} and act on the result; check this page after that with the same order number and query password, and money you paid is not lost.`,
  ];
}

function suggestion(verdict: Verdict, suggested: Exclude<Action, 'none'>, c: Ctx): Pair {
  const n = c.facts.missing;
  switch (suggested) {
    case 'reissued': {
      const replace = verdict === 'KEY_VOIDED';
      return [
        `建议操作：${replace ? '更换' : '补发'}${zhCount(n)}卡密（尚未执行）。`,
        `Suggested action: ${replace ? 'replace' : 'issue'} ${n !== undefined ? plural(n, 'key') : 'the missing keys'} (not done yet).`,
      ];
    }
    case 'restored':
      return [
        `建议操作：按旧系统记录恢复${zhCount(n)}卡密（尚未执行）。`,
        `Suggested action: restore ${n !== undefined ? plural(n, 'key') : 'the keys'} from the old system's record (not done yet).`,
      ];
    case 'escalated':
      return ['建议操作：创建工单转人工处理（尚未执行）。', 'Suggested action: open a ticket for our support team (not done yet).'];
    case 'deferred':
      return [
        '建议操作：加入自动复查队列，稍后重新核实（尚未执行）。',
        'Suggested action: queue the order for an automatic re-check (not done yet).',
      ];
  }
}

const CONTACT_SUPPORT: Pair = [
  '请联系客服并提供订单号，人工核对后会为您处理。',
  'Please contact support with your order number, and a person will check and fix it.',
];

/** The buyer's next step when nothing was done (or the verdict calls for nothing). */
const NEXT_STEP: Record<Verdict, (c: Ctx) => Pair> = {
  ORDER_NOT_FOUND: () => [
    '请核对订单号是否与下单页面或付款通知中的一致；如果确实付了款，请带上支付宝或微信的付款记录联系客服。',
    'Please check the number against your order page or payment notice; if you did pay, contact support with your Alipay or WeChat payment record.',
  ],
  MIGRATION_PENDING: (c) => {
    const eta = c.facts.eta;
    return [
      `${eta ? `${c.time(eta)} 之后` : '迁移完成后'}用同一订单号和查询密码在本页即可查看卡密，无需重新付款。`,
      `${eta ? `After ${c.time(eta)}` : 'Once it has moved'}, check this page with the same order number and query password to see your keys; you do not need to pay again.`,
    ];
  },
  MIGRATION_CONFLICT: () => CONTACT_SUPPORT,
  MIGRATION_INCOMPLETE: () => CONTACT_SUPPORT,
  DELIVERED: () => [
    '卡密显示在本页的订单详情中；如兑换时提示无效，请联系客服并提供订单号。',
    'Your keys are shown with the order on this page; if one is rejected when you redeem it, contact support with the order number.',
  ],
  PAYMENT_UNVERIFIABLE: () => [
    '如需加快处理，可以准备好付款记录（交易单号或截图），客服联系您时提供即可。',
    'To speed things up, have your payment record (its transaction number or a screenshot) ready for when support contacts you.',
  ],
  UPSTREAM_UNAVAILABLE: () => [
    '系统会自动重试核实，您也可以过一会儿用同一订单号和查询密码重新查询，已付的款项不会丢失。',
    'We retry automatically, and you can check again later with the same order number and query password; money you paid is not lost.',
  ],
  REFUNDED: (c) => {
    const [zh, en] = billsWhere(c);
    return [
      `可在${zh}中查看这笔退款；如仍需要该商品，请重新下单。`,
      `You can see the refund in ${en}; to still get the product, please place a new order.`,
    ];
  },
  PAYMENT_CLOSED: () => [
    '如仍需要该商品，请重新下单付款；如果您确实看到扣款，请带上付款记录联系客服。',
    'To still get the product, please place a new order and pay; if you do see a charge, contact support with the payment record.',
  ],
  PAYMENT_FAILED: () => [
    '您可以重新下单并换一种付款方式；如果看到扣款，请带上付款记录联系客服。',
    'You can place a new order and try another payment method; if you do see a charge, contact support with the payment record.',
  ],
  NOT_PAID: (c) =>
    c.facts.paymentState === 'in_progress'
      ? [
          `请在${c.ch('zh-CN')}中完成付款（例如输入支付密码确认），完成后重新查询即可。`,
          `Please finish the payment in ${c.ch('en')} (for example, confirm it with your payment password), then check again.`,
        ]
      : [
          `如果您在${c.ch('zh-CN')}看到了这笔扣款，请带上交易单号联系客服；否则请重新下单付款。`,
          `If ${c.ch('en')} shows a charge for this order, contact support with its transaction number; otherwise please place a new order and pay.`,
        ],
  AMOUNT_MISMATCH: () => [
    '请联系客服并提供订单号和付款记录，人工核对后会为您处理。',
    'Please contact support with your order number and payment record, and a person will check and fix it.',
  ],
  DELIVERY_IN_PROGRESS: () => [
    '届时用同一订单号和查询密码在本页即可查看卡密；如果到时仍未到货，再次查询时系统会自动为您创建工单。',
    'Check this page then with the same order number and query password; if the keys are not there by that time, checking again opens a support ticket for you automatically.',
  ],
  DELIVERY_DELAYED: () => CONTACT_SUPPORT,
  KEY_VOIDED: () => CONTACT_SUPPORT,
  REISSUE_LIMIT_REACHED: () => CONTACT_SUPPORT,
  OUT_OF_STOCK: () => CONTACT_SUPPORT,
  PAID_NOT_DELIVERED: () => CONTACT_SUPPORT,
};

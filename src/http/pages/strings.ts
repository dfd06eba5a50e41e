/**
 * Every word of the buyer's page in zh-CN (default) and en. Verdict titles and explanations come
 * from the domain (VERDICT_TITLES, explain); this file holds only the page's own UI text.
 */
import type { Lang } from '../../domain/verdicts.ts';

export type { Lang };

/** `?lang=en` switches to English; anything else is zh-CN. */
export function langOf(q: string | undefined): Lang {
  return q === 'en' ? 'en' : 'zh-CN';
}

/** Keeps the language across links and form actions. */
export function withLang(path: string, lang: Lang): string {
  if (lang === 'zh-CN') return path;
  return `${path}${path.includes('?') ? '&' : '?'}lang=en`;
}

/** The shop's official support channel, named on every page (the phishing warning points to it). */
export interface SupportChannel {
  name: Record<Lang, string>;
}

export const DEFAULT_SUPPORT: SupportChannel = {
  name: {
    'zh-CN': '本店官方客服邮箱 support@order-doctor.example（每天 9:00–21:00）',
    en: 'our official support mailbox support@order-doctor.example (daily 9:00–21:00)',
  },
};

const zh = {
  siteTitle: '查询我的订单',
  skip: '跳到主要内容',
  switchLang: 'English',
  switchLangLabel: 'Switch to English',
  intro: '付款后没有收到卡密？输入订单号（或支付宝/微信的交易单号）和查询密码，立即查看订单的真实状态。',
  orderNo: '订单号或交易单号',
  orderNoHint: '下单页面或付款通知中的订单号，也可以填支付宝/微信账单里的交易单号。',
  secret: '查询密码',
  secretHint: '下单时设置或显示的查询密码。',
  submit: '查询订单',
  lostTitle: '忘记了查询密码？',
  lostBody: [
    '查询密码显示在下单成功页面上，也随订单通知发送到您下单时留的邮箱或手机。请先在那里查找。',
    '如果找不到：请联系下方的官方客服，提供订单号或交易单号，以及支付宝/微信账单中这笔付款的截图。客服核对付款人后会为您处理。',
    '我们绝不会向您索要支付密码或短信验证码。',
  ],
  failed: '订单号与查询密码不匹配。请核对后重试；如果忘记了查询密码，请看下方的说明。',
  missingInput: '请填写订单号和查询密码。',
  tooLong: '输入的内容过长，请核对订单号和查询密码后重试。',
  noSuchKey: '这个订单没有这张卡密。请刷新页面后重试。',
  rateLimited: (s: number) => `查询过于频繁，请在 ${Math.ceil(s / 60)} 分钟后再试。`,
  csrf: '页面已过期，请刷新后重新提交。',
  expired: '查询已过期，请重新输入订单号和查询密码。',
  supportNote: '官方客服：',
  phishing: '请只通过本页或上面的官方渠道联系我们。其他网站、群聊或短信中的“客服”链接都不是我们，不要向其透露查询密码或卡密。',
  order: '订单',
  product: '商品',
  amount: '金额',
  quantity: '数量',
  timeline: '订单进度',
  ordered: '已下单',
  paid: '已付款',
  notPaid: '未付款',
  delivered: '已发货',
  deliveryDue: (t: string) => `预计 ${t} 前发货`,
  waitingDelivery: '等待发货',
  refunded: '已退款',
  closed: '已关闭',
  verdict: '结论',
  facts: '核实到的事实',
  nextTitle: '接下来',
  keys: '卡密',
  keySlot: (n: number) => `卡密 ${n}`,
  reveal: '显示并复制',
  revealSlot: (n: number) => `显示并复制卡密 ${n}`,
  copied: '已复制到剪贴板',
  copyFailed: '已显示，请手动复制',
  issuedAt: '发放时间',
  replacement: '更换的新卡密',
  keysNote: '卡密仅在您点击后显示，每次显示都会记录。请勿截图分享。',
  solvedTitle: '问题是否已解决？',
  yes: '已解决',
  no: '没有解决，转人工',
  thanks: '感谢确认！如有其他问题，随时回来查询。',
  ticketTitle: '工单',
  ticketNo: '工单号',
  ticketStatus: '状态',
  ticketOpen: '处理中',
  ticketResolved: '已解决',
  ticketWaiting: '等待您的回复',
  ticketReplies: '客服回复',
  ticketOpened: '创建时间',
  ticketDue: '客服回复期限',
  ticketResolvedAt: '解决时间',
  ticketCreated: (no: string, due: string) => `已为您创建工单 ${no}，诊断结果已附上，客服将在 ${due} 前回复。无需重复提交。`,
  ticketView: '查看工单状态',
  ticketComeBack: '之后用同一订单号和查询密码回到本页，即可查看工单的最新状态。',
  ticketNotFound: '找不到这个工单，或它不属于您查询的订单。请重新查询订单。',
  back: '返回订单',
  newLookup: '查询其他订单',
  facts_paidAmount: '实付金额',
  facts_orderAmount: '订单金额',
  facts_paidAt: '付款时间',
  facts_refundedAt: '退款时间',
  facts_refundTo: '退款去向',
  facts_deliveryDueAt: '预计发货',
  facts_batch: '迁移批次',
  facts_eta: '预计迁移完成',
  facts_legacyOrderNo: '旧平台订单号',
  facts_tradeNo: '交易单号',
  facts_missing: '未发放的卡密',
  facts_nextCheckAt: '自动复查时间',
};

export type Strings = typeof zh;

const en: Strings = {
  siteTitle: 'Check my order',
  skip: 'Skip to main content',
  switchLang: '中文',
  switchLangLabel: '切换到中文',
  intro: "Paid but no card key? Enter your order number (or the Alipay/WeChat transaction number) and query password to see your order's real status now.",
  orderNo: 'Order or transaction number',
  orderNoHint: 'The order number from the order page or payment notice, or the transaction number in your Alipay/WeChat bill.',
  secret: 'Query password (查询密码)',
  secretHint: 'The query password set or shown when you ordered.',
  submit: 'Check order',
  lostTitle: 'Lost your query password?',
  lostBody: [
    'The query password is on the order confirmation page and in the order notice sent to the email or phone you gave. Please look there first.',
    'If you cannot find it: contact the official support below with the order or transaction number and a screenshot of this payment in your Alipay/WeChat bill. Support checks the payer and handles it for you.',
    'We never ask for your payment password or SMS codes.',
  ],
  failed: 'The order number and query password do not match. Please check them and try again; if you lost the password, see the help below.',
  missingInput: 'Please enter the order number and the query password.',
  tooLong: 'That was too long. Please check the order number and query password and try again.',
  noSuchKey: 'This order holds no such key. Please reload the page and try again.',
  rateLimited: (s: number) => `Too many checks. Please try again in ${Math.ceil(s / 60)} min.`,
  csrf: 'This page expired. Please reload it and submit again.',
  expired: 'Your check has expired. Please enter the order number and query password again.',
  supportNote: 'Official support: ',
  phishing: 'Contact us only through this page or the official channel above. "Customer service" links from other sites, chats or text messages are not us: never give them your query password or card keys.',
  order: 'Order',
  product: 'Product',
  amount: 'Amount',
  quantity: 'Quantity',
  timeline: 'Progress',
  ordered: 'Ordered',
  paid: 'Paid',
  notPaid: 'Not paid',
  delivered: 'Delivered',
  deliveryDue: (t: string) => `Expected by ${t}`,
  waitingDelivery: 'Waiting for delivery',
  refunded: 'Refunded',
  closed: 'Closed',
  verdict: 'Verdict',
  facts: 'What we verified',
  nextTitle: 'What happens next',
  keys: 'Card keys',
  keySlot: (n: number) => `Key ${n}`,
  reveal: 'Show and copy',
  revealSlot: (n: number) => `Show and copy key ${n}`,
  copied: 'Copied to clipboard',
  copyFailed: 'Shown; please copy it by hand',
  issuedAt: 'Issued',
  replacement: 'replacement key',
  keysNote: 'Keys are shown only when you click, and every reveal is recorded. Do not share screenshots of them.',
  solvedTitle: 'Did this solve it?',
  yes: 'Yes, solved',
  no: 'No, get a person',
  thanks: 'Thanks for letting us know! Come back any time.',
  ticketTitle: 'Ticket',
  ticketNo: 'Ticket number',
  ticketStatus: 'Status',
  ticketOpen: 'Being handled',
  ticketResolved: 'Resolved',
  ticketWaiting: 'Waiting for your answer',
  ticketReplies: 'Replies from support',
  ticketOpened: 'Opened',
  ticketDue: 'Support replies by',
  ticketResolvedAt: 'Resolved',
  ticketCreated: (no: string, due: string) => `We opened ticket ${no} with the diagnosis attached; support will reply by ${due}. You do not need to submit it again.`,
  ticketView: 'See ticket status',
  ticketComeBack: 'Come back to this page later with the same order number and query password to see the ticket status.',
  ticketNotFound: 'No such ticket, or it does not belong to the order you checked. Please check your order again.',
  back: 'Back to the order',
  newLookup: 'Check another order',
  facts_paidAmount: 'Amount paid',
  facts_orderAmount: 'Order amount',
  facts_paidAt: 'Paid at',
  facts_refundedAt: 'Refunded at',
  facts_refundTo: 'Refund goes to',
  facts_deliveryDueAt: 'Expected delivery',
  facts_batch: 'Migration batch',
  facts_eta: 'Migration expected by',
  facts_legacyOrderNo: 'Old platform order',
  facts_tradeNo: 'Transaction number',
  facts_missing: 'Keys not yet delivered',
  facts_nextCheckAt: 'Automatic re-check at',
};

export function strings(lang: Lang): Strings {
  return lang === 'en' ? en : zh;
}

/**
 * The buyer's "your keys are here" email, composed from an outbox row: pure, no I/O.
 *
 * It tells the buyer what the shop's own completion mail would have: which order, which product,
 * how many keys, and where to see them. The keys themselves travel only when the operator opted in
 * (MAIL_INCLUDE_KEYS=on) and the row carries them; otherwise the email points to the check page,
 * where the buyer's query password (查询密码) still guards them: an email is easy to forward.
 * zh-CN first, then English, in one message (we do not know the buyer's language).
 */
import { z } from 'zod';

/** What an outbox row's `payload` holds: the facts the email states, never a key. */
export const deliveryMailPayload = z.object({
  orderNo: z.string().min(1),
  productTitle: z.string(),
  /** keys delivered by this delivery */
  count: z.number().int().positive(),
  /** keys the order holds in all */
  quantity: z.number().int().positive(),
  /** the check page, with the order number to pre-fill (not a secret: the page still asks for the query password) */
  link: z.string().min(1),
});

export type DeliveryMailPayload = z.infer<typeof deliveryMailPayload>;

export interface ComposedMail {
  subject: string;
  text: string;
  html: string;
}

/**
 * @example
 * const { subject, text, html } = composeDeliveryMail(payload);           // link only
 * const withKeys = composeDeliveryMail(payload, ['S100-AAAA-0001']);     // operator opted in
 */
export function composeDeliveryMail(p: DeliveryMailPayload, keys: string[] = []): ComposedMail {
  const zh = zhLines(p, keys.length > 0);
  const en = enLines(p, keys.length > 0);
  const subject = `订单 ${p.orderNo} 的卡密已发放 / Your card keys for order ${p.orderNo} have been delivered`;

  const keyBlock = (title: string) => (keys.length ? [title, ...keys.map((k, i) => `  ${i + 1}. ${k}`), ''] : []);
  const text = [
    ...zh.intro, '', zh.linkLead, p.link, '', ...keyBlock(zh.keysTitle), zh.safety,
    '', '----------------------------------------', '',
    ...en.intro, '', en.linkLead, p.link, '', ...keyBlock(en.keysTitle), en.safety, '',
  ].join('\n');

  const keyList = (title: string) =>
    keys.length
      ? `<p><strong>${esc(title)}</strong></p><ol>${keys.map((k) => `<li><code>${esc(k)}</code></li>`).join('')}</ol>`
      : '';
  const section = (lang: string, l: Lines) =>
    `<div lang="${lang}">${l.intro.map((s) => `<p>${esc(s)}</p>`).join('')}` +
    `<p>${esc(l.linkLead)}<br><a href="${esc(p.link)}">${esc(p.link)}</a></p>` +
    `${keyList(l.keysTitle)}<p><small>${esc(l.safety)}</small></p></div>`;
  const html =
    `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(subject)}</title></head>` +
    `<body>${section('zh-CN', zh)}<hr>${section('en', en)}</body></html>`;

  return { subject, text, html };
}

interface Lines {
  intro: string[];
  linkLead: string;
  keysTitle: string;
  safety: string;
}

function zhLines(p: DeliveryMailPayload, withKeys: boolean): Lines {
  const what = `您的订单 ${p.orderNo}（${p.productTitle}）`;
  return {
    intro: [
      '您好，',
      p.count < p.quantity
        ? `${what}本次发放了 ${p.count} 个卡密（本订单共 ${p.quantity} 个）。`
        : `${what}已发放 ${p.count} 个卡密。`,
    ],
    linkLead: withKeys
      ? '卡密附在下方，也可以打开下面的链接，输入订单的查询密码后在页面上查看：'
      : '打开下面的链接，输入订单的查询密码，卡密即显示在页面上：',
    keysTitle: '卡密：',
    safety: `${withKeys ? '请妥善保管卡密，不要转发本邮件。' : ''}本邮件由系统自动发送；我们绝不会通过邮件、聊天或短信索要您的查询密码、支付密码或验证码。`,
  };
}

function enLines(p: DeliveryMailPayload, withKeys: boolean): Lines {
  const keysWord = p.count === 1 ? 'card key' : 'card keys';
  return {
    intro: [
      'Hello,',
      p.count < p.quantity
        ? `${p.count} ${keysWord} of your order ${p.orderNo} (${p.productTitle}) have been delivered now (the order has ${p.quantity} in all).`
        : `Your order ${p.orderNo} (${p.productTitle}) has been delivered: ${p.count} ${keysWord}.`,
    ],
    linkLead: withKeys
      ? 'The keys are below; you can also open this link and enter the order\'s query password (查询密码) to see them on the page:'
      : 'Open this link and enter the order\'s query password (查询密码): the keys are shown on the page.',
    keysTitle: 'Card keys:',
    safety: `${withKeys ? 'Keep the keys safe and do not forward this email. ' : ''}This email was sent automatically; we never ask for your query password, payment password or SMS codes by email, chat or text message.`,
  };
}

/** Escapes text for HTML element content and quoted attribute values alike. */
function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * An agent's reply on a ticket, as an email to the buyer: pure, no I/O, like compose.ts. The reply's
 * text goes out as written (it is what the buyer's ticket page shows too); the link leads to the
 * check page, where the query password still guards the order.
 */
import { z } from 'zod';
import type { ComposedMail } from './compose.ts';

export const ticketReplyPayload = z.object({
  orderNo: z.string().min(1),
  ticket: z.string().min(1),
  body: z.string().min(1),
  author: z.string(),
  link: z.string().min(1),
});
export type TicketReplyPayload = z.infer<typeof ticketReplyPayload>;

export function composeTicketReplyMail(p: TicketReplyPayload): ComposedMail {
  const subject = `工单 ${p.ticket}（订单 ${p.orderNo}）有新回复 / A reply on ticket ${p.ticket} (order ${p.orderNo})`;
  const zhLead = `您好，客服 ${p.author} 回复了您的工单 ${p.ticket}（订单 ${p.orderNo}）：`;
  const enLead = `Hello, ${p.author} from support replied on your ticket ${p.ticket} (order ${p.orderNo}):`;
  const zhLink = '在下面的页面输入订单的查询密码即可查看订单与工单：';
  const enLink = "Open this page and enter the order's query password (查询密码) to see the order and the ticket:";
  const safety = '我们绝不会索要您的查询密码、支付密码或验证码。 / We never ask for your query password, payment password or SMS codes.';
  const text = [zhLead, '', p.body, '', zhLink, p.link, '', '----------------------------------------', '', enLead, '', p.body, '', enLink, p.link, '', safety, ''].join('\n');
  const para = (s: string) => `<p>${esc(s).replaceAll('\n', '<br>')}</p>`;
  const html = `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(subject)}</title></head><body>` +
    `<div lang="zh-CN">${para(zhLead)}<blockquote>${para(p.body)}</blockquote>${para(zhLink)}<p><a href="${esc(p.link)}">${esc(p.link)}</a></p></div><hr>` +
    `<div lang="en">${para(enLead)}<blockquote>${para(p.body)}</blockquote>${para(enLink)}<p><a href="${esc(p.link)}">${esc(p.link)}</a></p></div>` +
    `<p><small>${esc(safety)}</small></p></body></html>`;
  return { subject, text, html };
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

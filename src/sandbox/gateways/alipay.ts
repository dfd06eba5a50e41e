/**
 * A protocol-faithful Alipay OpenAPI 2.0 gateway (`alipay.trade.query` only), mounted at
 * `/sandbox/alipay`: verifies the merchant's RSA2 request signature and answers as Alipay would,
 * signed with the sandbox's Alipay private key, playing what the world says for each order.
 *
 * Renderings Alipay's protocol forces on us (documented so scenario authors know what to expect):
 * - `failed`: Alipay has no failed trade state. A declined attempt leaves the trade open for
 *   another try, so it answers WAIT_BUYER_PAY (the diagnosis is NOT_PAID, not PAYMENT_FAILED).
 * - `in_progress`: also WAIT_BUYER_PAY (Alipay has no "paying now" state).
 * - `stale`: Alipay answers carry no signed timestamp, so staleness cannot be expressed; the
 *   sandbox answers a correctly signed paid answer (the diagnosis rightly trusts it).
 * - `refunded`: TRADE_CLOSED with send_pay_date (a full refund closes a paid trade).
 *
 * It signs and verifies with its own code (./sign.ts), not the adapter's, so a misreading shared by
 * both sides cannot cancel out in the tests that pit them against each other.
 */
import { answerAfterLatency } from '../latency.ts';
import { Hono, type Context } from 'hono';
import type { GatewayAnswer, SandboxContext, SandboxTrade } from '../types.ts';
import type { TradeRef } from '../../domain/payment.ts';
import { centsToYuan } from '../../gateways/money.ts';
import { alipayRequestSignText, alipaySignedBody, rsaSha256Sign, rsaSha256Verify } from './sign.ts';
import { transportFault } from './faults.ts';
import { orderNoHash } from './trade-no.ts';

export interface AlipaySandboxCredentials {
  appId: string;
  /** verifies the merchant's request signatures */
  merchantPublicKey: string;
  /** signs every answer, as Alipay's own key would */
  alipayPrivateKey: string;
}

type Inner = Record<string, string>;

const QUERY_METHOD = 'alipay.trade.query';
/** an answer's key is the method with its dots as underscores, plus `_response` */
const QUERY_RESPONSE_KEY = 'alipay_trade_query_response';
/** what Alipay answers under when the method itself is not known */
const ERROR_RESPONSE_KEY = 'error_response';

const JSON_TYPE = 'application/json;charset=utf-8';

export function alipaySandbox(ctx: SandboxContext, creds: AlipaySandboxCredentials): Hono {
  const app = new Hono();
  app.use('*', answerAfterLatency(ctx));

  app.post('/gateway.do', async (c) => {
    const params = await readParams(c);

    const respond = async (responseKey: string, inner: object) =>
      c.body(await alipaySignedBody(responseKey, inner, creds.alipayPrivateKey), 200, { 'content-type': JSON_TYPE });
    const method = params['method'];
    const key = method === QUERY_METHOD ? QUERY_RESPONSE_KEY : ERROR_RESPONSE_KEY;

    if (params['app_id'] !== creds.appId) {
      return respond(key, invalidArguments('isv.invalid-app-id', '无效的AppID参数'));
    }
    if (params['sign_type'] !== 'RSA2') {
      return respond(key, invalidArguments('isv.invalid-signature-type', '无效的签名类型'));
    }
    const sign = params['sign'] ?? '';
    if (!(await rsaSha256Verify(creds.merchantPublicKey, alipayRequestSignText(params), sign))) {
      return respond(key, invalidArguments('isv.invalid-signature', '验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配'));
    }
    if (method !== QUERY_METHOD) {
      return respond(key, invalidArguments('isv.invalid-method', '不存在的方法名'));
    }

    const ref = tradeRefFrom(params['biz_content']);
    if (!ref) {
      return respond(key, { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.INVALID_PARAMETER', sub_msg: '参数无效' });
    }
    const trade = await ctx.world.findTrade('alipay', ref);
    if (!trade) return respond(key, notFound(ref));

    const answer = trade.answer;
    const fault = transportFault(c, answer.state);
    if (fault) return fault;
    switch (answer.state) {
      case 'http_500':
        return c.html('<html><body><h1>500 Internal Server Error</h1></body></html>', 500);
      case 'malformed':
        return c.body('{"alipay_trade_query_response":{"code":"10000","msg":"Succ', 200, { 'content-type': JSON_TYPE });
      case 'bad_signature': {
        // A well-formed paid answer whose signature was made over other bytes: it cannot verify.
        const innerText = JSON.stringify(render(trade, { ...answer, state: 'paid' }));
        const wrong = await rsaSha256Sign(creds.alipayPrivateKey, `${innerText} `);
        return c.body(`{"${QUERY_RESPONSE_KEY}":${innerText},"sign":"${wrong}"}`, 200, { 'content-type': JSON_TYPE });
      }
      default:
        return respond(key, render(trade, answer));
    }
  });

  return app;
}

/** Common params come in the query string (SDK style) and/or the form body; both are read. */
async function readParams(c: Context): Promise<Record<string, string>> {
  const params: Record<string, string> = {};
  for (const [k, v] of new URL(c.req.url).searchParams) params[k] = v;
  const type = c.req.header('content-type') ?? '';
  if (type.includes('multipart/form-data')) {
    const form = await c.req.parseBody();
    for (const [k, v] of Object.entries(form)) if (typeof v === 'string') params[k] = v;
  } else {
    const text = await c.req.text();
    for (const [k, v] of new URLSearchParams(text)) params[k] = v;
  }
  return params;
}

function tradeRefFrom(bizContent: string | undefined): TradeRef | null {
  if (!bizContent) return null;
  try {
    const biz: unknown = JSON.parse(bizContent);
    if (typeof biz !== 'object' || biz === null) return null;
    const { trade_no: tradeNo, out_trade_no: orderNo } = biz as Record<string, unknown>;
    // Alipay: when both are given, trade_no wins.
    if (typeof tradeNo === 'string' && tradeNo) return { tradeNo };
    if (typeof orderNo === 'string' && orderNo) return { orderNo };
    return null;
  } catch {
    return null;
  }
}

function invalidArguments(subCode: string, subMsg: string): Inner {
  return { code: '40002', msg: 'Invalid Arguments', sub_code: subCode, sub_msg: subMsg };
}

/** The captured real shape: echoes the number asked for, zero amounts. */
function notFound(ref: TradeRef): Inner {
  return {
    code: '40004', msg: 'Business Failed', sub_code: 'ACQ.TRADE_NOT_EXIST', sub_msg: '交易不存在',
    buyer_pay_amount: '0.00', invoice_amount: '0.00',
    ...('orderNo' in ref ? { out_trade_no: ref.orderNo } : { trade_no: ref.tradeNo }),
    point_amount: '0.00', receipt_amount: '0.00',
  };
}

function render(trade: SandboxTrade, answer: GatewayAnswer): Inner {
  const total = centsToYuan(answer.amountCents ?? trade.totalCents);
  const tradeNo = answer.tradeNo ?? syntheticTradeNo(trade);
  const paidAt = beijingDateTime(new Date(answer.paidAt ?? trade.createdAt));
  const base = { code: '10000', msg: 'Success' };
  switch (answer.state) {
    case 'not_found':
      return notFound({ orderNo: trade.orderNo });
    case 'closed':
      return {
        ...base, buyer_pay_amount: '0.00', invoice_amount: '0.00', out_trade_no: trade.orderNo, point_amount: '0.00',
        receipt_amount: '0.00', total_amount: total, trade_no: tradeNo, trade_status: 'TRADE_CLOSED',
      };
    case 'refunded':
      return {
        ...base, buyer_logon_id: '159****5620', buyer_pay_amount: '0.00', buyer_user_id: '2088102177846880',
        invoice_amount: '0.00', out_trade_no: trade.orderNo, point_amount: '0.00', receipt_amount: '0.00',
        send_pay_date: paidAt, total_amount: total, trade_no: tradeNo, trade_status: 'TRADE_CLOSED',
      };
    case 'unpaid':
    case 'in_progress':
    case 'failed':
      return {
        ...base, buyer_pay_amount: '0.00', invoice_amount: '0.00', out_trade_no: trade.orderNo, point_amount: '0.00',
        receipt_amount: '0.00', total_amount: total, trade_no: tradeNo, trade_status: 'WAIT_BUYER_PAY',
      };
    default: // paid, stale (no timestamp on this protocol), and the faults' well-formed body
      return {
        ...base, buyer_logon_id: '159****5620', buyer_pay_amount: total, buyer_user_id: '2088102177846880',
        invoice_amount: total, out_trade_no: trade.orderNo, point_amount: '0.00', receipt_amount: total,
        send_pay_date: paidAt, total_amount: total, trade_no: tradeNo, trade_status: 'TRADE_SUCCESS',
      };
  }
}

/** `yyyy-MM-dd HH:mm:ss` in Beijing time (UTC+8, no summer time): how Alipay writes its times. */
function beijingDateTime(d: Date): string {
  return new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/** Alipay trade numbers are 28 digits starting with the Beijing date; stable per order. */
function syntheticTradeNo(trade: SandboxTrade): string {
  const day = beijingDateTime(new Date(trade.createdAt)).slice(0, 10).replaceAll('-', '');
  const h = orderNoHash(trade.orderNo);
  return `${day}2200${String(h).padStart(16, '0')}`;
}

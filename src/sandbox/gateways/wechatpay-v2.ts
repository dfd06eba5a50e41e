/**
 * A protocol-faithful WeChat Pay API v2 order query, mounted at `/sandbox/wechatpay-v2`:
 * `POST /pay/orderquery` with a flat XML body signed (MD5 or HMAC-SHA256, per `sign_type`) with
 * the merchant's API v2 key, answered in XML signed the same way, playing what the world says
 * for channel 'wechat' (gateway-protocols.md 3b).
 *
 * Refusals, as WeChat gives them: an unknown mch_id (no key to sign with) and an unreadable
 * request are return_code FAIL, unsigned; a request sign that does not verify is result_code FAIL
 * `SIGNERROR`, signed with the merchant's real key (so a merchant holding a wrong key cannot
 * verify it either); appid not bound to the mch_id is `APPID_MCHID_NOT_MATCH`. (The live gateway
 * has also been seen refusing a bad sign at the communication level, return_code FAIL
 * "签名错误"; the adapter reads that as a protocol fault.)
 *
 * Renderings: `stale` cannot be expressed, v2 answers carry no timestamp, so it is a correctly
 * signed paid answer; `bad_signature` is a well-formed paid answer whose sign was made over
 * other content; `malformed` is a truncated document; `http_500` is the front end's HTML page.
 *
 * The signer below is written apart from the adapter's (src/gateways/wechatpay-v2/sign.ts) on
 * purpose, so a shared misreading of the rules cannot cancel out; both are held to the official
 * example vectors in test/gateways/wechatpay-v2.test.ts. The request is read with the adapter's
 * strict XML reader: the sandbox refuses DTDs just as the adapter does.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { answerAfterLatency } from '../latency.ts';
import type { TradeRef } from '../../domain/payment.ts';
import { parseFlatXml } from '../../gateways/wechatpay-v2/xml.ts';
import type { GatewayAnswer, SandboxContext, SandboxTrade } from '../types.ts';
import { transportFault } from './faults.ts';
import { orderNoHash } from './trade-no.ts';

export interface WechatPayV2SandboxCredentials {
  appid: string;
  mchid: string;
  /** the merchant's API v2 key: verifies requests and signs answers */
  key: string;
}

type SignType = 'MD5' | 'HMAC-SHA256';
type Fields = Record<string, string>;

const XML_TYPE = 'text/xml; charset=utf-8';
const FRONT_END_500 = '<html><head><title>500 Internal Server Error</title></head>' +
  '<body><center><h1>500 Internal Server Error</h1></center></body></html>';
/** Rendered without CDATA, as WeChat renders its integer fields. */
const INTEGER_FIELDS = new Set(['total_fee', 'cash_fee', 'settlement_total_fee', 'coupon_fee', 'coupon_count']);

/**
 * The v2 signature, independently of the adapter: non-empty fields but `sign`, ASCII order,
 * `k=v&...&key=KEY`, MD5 or HMAC-SHA256 (keyed with KEY), upper-case hex.
 */
export function sandboxV2Sign(fields: Readonly<Fields>, key: string, signType: SignType): string {
  const text = Object.entries(fields)
    .filter(([name, value]) => name !== 'sign' && value.length > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .concat(`key=${key}`)
    .join('&');
  const digest = signType === 'HMAC-SHA256' ? createHmac('sha256', key).update(text, 'utf8') : createHash('md5').update(text, 'utf8');
  return digest.digest('hex').toUpperCase();
}

/** The answer document, fields in the given order, strings in CDATA. */
export function sandboxV2Xml(fields: Readonly<Fields>): string {
  const body = Object.entries(fields)
    .map(([name, value]) => (INTEGER_FIELDS.has(name) && /^\d+$/.test(value)
      ? `<${name}>${value}</${name}>`
      : `<${name}><![CDATA[${value.split(']]>').join(']]]]><![CDATA[>')}]]></${name}>`))
    .join('\n');
  return `<xml>\n${body}\n</xml>`;
}

export function wechatPayV2Sandbox(ctx: SandboxContext, creds: WechatPayV2SandboxCredentials): Hono {
  const app = new Hono();
  app.use('*', answerAfterLatency(ctx));

  const xml = (c: Context, body: string, status = 200) => c.body(body, status as 200, { 'content-type': XML_TYPE });
  const refuse = (c: Context, returnMsg: string) => xml(c, sandboxV2Xml({ return_code: 'FAIL', return_msg: returnMsg }));

  /** A return_code SUCCESS answer: appid, mch_id, a fresh nonce and the sign over all of it. */
  function signed(c: Context, request: Fields, signType: SignType, business: Fields, opts: { corrupt?: boolean } = {}) {
    const head: Fields = {
      return_code: 'SUCCESS', return_msg: 'OK', appid: request['appid'] ?? creds.appid, mch_id: creds.mchid,
      device_info: '', nonce_str: nonce(),
    };
    const unsigned = { ...head, ...business };
    // `corrupt`: a sign made over other content (one fen more), so it is well-formed but cannot verify
    const signedOver = opts.corrupt ? { ...unsigned, total_fee: String(Number(unsigned['total_fee'] ?? '0') + 1) } : unsigned;
    const sign = sandboxV2Sign(signedOver, creds.key, signType);
    return xml(c, sandboxV2Xml({ ...head, sign, ...business }));
  }

  app.post('/pay/orderquery', async (c) => {
    const parsed = parseFlatXml(await c.req.text());
    if (!parsed.ok) return refuse(c, 'XML格式错误');
    const req = parsed.fields;
    if (req['mch_id'] !== creds.mchid) return refuse(c, '商户号mch_id或sub_mch_id不存在');
    const declared = req['sign_type'] || 'MD5';
    if (declared !== 'MD5' && declared !== 'HMAC-SHA256') return refuse(c, 'sign_type参数错误');
    const signType: SignType = declared;
    if (!req['nonce_str'] || req['nonce_str'].length > 32) return refuse(c, 'nonce_str参数长度有误');
    if (req['sign'] !== sandboxV2Sign(req, creds.key, signType)) {
      return signed(c, req, signType, { result_code: 'FAIL', err_code: 'SIGNERROR', err_code_des: '签名错误' });
    }
    if (req['appid'] !== creds.appid) {
      return signed(c, req, signType, { result_code: 'FAIL', err_code: 'APPID_MCHID_NOT_MATCH', err_code_des: 'appid和mch_id不匹配' });
    }
    // transaction_id wins when both are sent
    const ref: TradeRef | null = req['transaction_id']
      ? { tradeNo: req['transaction_id'] }
      : req['out_trade_no'] ? { orderNo: req['out_trade_no'] } : null;
    if (!ref) return refuse(c, '缺少参数out_trade_no或transaction_id');

    const trade = await ctx.world.findTrade('wechat', ref);
    if (!trade || trade.answer.state === 'not_found') {
      return signed(c, req, signType, { result_code: 'FAIL', err_code: 'ORDERNOTEXIST', err_code_des: '订单不存在' });
    }
    const answer = trade.answer;
    const fault = transportFault(c, answer.state);
    if (fault) return fault;
    switch (answer.state) {
      case 'http_500':
        return c.html(FRONT_END_500, 500);
      case 'malformed': // cut off mid-field
        return xml(c, sandboxV2Xml({ return_code: 'SUCCESS', return_msg: 'OK', appid: creds.appid }).replace('\n</xml>', '\n<mch_id><![CDATA['));
      case 'bad_signature':
        return signed(c, req, signType, render(trade, { ...answer, state: 'paid' }), { corrupt: true });
      default: // stale renders as paid: there is no timestamp to age
        return signed(c, req, signType, render(trade, answer));
    }
  });

  return app;
}

/** Field order follows the documented example answer; only fields the state has are present. */
function render(trade: SandboxTrade, answer: GatewayAnswer): Fields {
  const total = String(answer.amountCents ?? trade.totalCents);
  const open = (tradeState: string, desc: string, extra: Fields = {}): Fields => ({
    result_code: 'SUCCESS', ...extra, total_fee: total, out_trade_no: trade.orderNo,
    ...(answer.tradeNo ? { transaction_id: answer.tradeNo } : {}), trade_state: tradeState, trade_state_desc: desc,
  });
  const paid = (tradeState: string, desc: string): Fields => ({
    result_code: 'SUCCESS', openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', is_subscribe: 'N', trade_type: 'NATIVE', bank_type: 'OTHERS',
    total_fee: total, fee_type: 'CNY', transaction_id: answer.tradeNo ?? syntheticTransactionId(trade), out_trade_no: trade.orderNo,
    attach: '', time_end: beijingTimeEnd(answer.paidAt ?? trade.createdAt), trade_state: tradeState, cash_fee: total,
    cash_fee_type: 'CNY', trade_state_desc: desc,
  });
  switch (answer.state) {
    case 'refunded':
      return paid('REFUND', '订单发生过退款，退款详情请查询退款单');
    case 'unpaid':
      return open('NOTPAY', '订单未支付');
    case 'in_progress':
      return open('USERPAYING', '需要用户输入支付密码', { trade_type: 'MICROPAY' });
    case 'closed':
      return open('CLOSED', '订单已关闭');
    case 'failed':
      return open('PAYERROR', answer.reason ?? '支付失败，请重新下单支付', { trade_type: 'MICROPAY' });
    default:
      return paid('SUCCESS', '支付成功');
  }
}

/** 28 digits like WeChat's: 42000 + digits from the order number + the Beijing date; stable per order. */
function syntheticTransactionId(trade: SandboxTrade): string {
  return `42000${String(orderNoHash(trade.orderNo)).padStart(15, '0')}${beijingTimeEnd(trade.createdAt).slice(0, 8)}`;
}

/** An instant as v2 prints it: yyyyMMddHHmmss, Beijing wall time. */
function beijingTimeEnd(at: string): string {
  return new Date(new Date(at).getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace(/\D/g, '');
}

const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 16 alphanumerics, the shape of the nonces in WeChat's own answers. */
function nonce(): string {
  return Array.from(randomBytes(16), (b) => NONCE_ALPHABET[b % NONCE_ALPHABET.length]).join('');
}

/**
 * A protocol-faithful WeChat Pay API v3 order query, mounted at `/sandbox/wechatpay`: checks the
 * merchant's WECHATPAY2-SHA256-RSA2048 Authorization (over the path as seen from the API root,
 * i.e. starting `/v3/`) and answers signed with the platform key, playing what the world says.
 *
 * Renderings: `stale` is a correctly signed answer whose Wechatpay-Timestamp is an hour old;
 * `bad_signature` is a well-formed SUCCESS answer signed over other bytes; `malformed` is a
 * truncated body that is nevertheless correctly signed (the server signs whatever bytes it sends).
 * The request timestamp is not checked against the sandbox clock: a replayed world's clock and the
 * caller's may legitimately differ. A signature over the full mounted path is accepted too, so an
 * official SDK pointed at `/sandbox/wechatpay/` works (see requestSignatureVerifies).
 *
 * It signs and verifies with its own code (./sign.ts), not the adapter's, so a misreading shared by
 * both sides cannot cancel out in the tests that pit them against each other.
 */
import { answerAfterLatency } from '../latency.ts';
import { Hono, type Context } from 'hono';
import type { GatewayAnswer, SandboxContext, SandboxTrade } from '../types.ts';
import type { TradeRef } from '../../domain/payment.ts';
import {
  readWechatAuthorization, rsaSha256Sign, rsaSha256Verify, wechatNonce, wechatRequestSignText, wechatResponseSignText, WECHATPAY_SCHEME,
} from './sign.ts';
import { transportFault } from './faults.ts';
import { orderNoHash } from './trade-no.ts';

export interface WechatPaySandboxCredentials {
  mchid: string;
  appid: string;
  merchantSerialNo: string;
  /** verifies the merchant's Authorization signatures */
  merchantPublicKey: string;
  /** names the key answers are signed with (Wechatpay-Serial) */
  platformSerial: string;
  platformPrivateKey: string;
}

const STALE_BY_SECONDS = 3600;

export function wechatPaySandbox(ctx: SandboxContext, creds: WechatPaySandboxCredentials): Hono {
  const app = new Hono();
  app.use('*', answerAfterLatency(ctx));

  /** Every answer, errors included, is signed as WeChat signs it. */
  async function signed(c: Context, status: number, body: string, opts: { ageSeconds?: number; corrupt?: boolean } = {}) {
    const timestamp = String(Math.floor(ctx.now().getTime() / 1000) - (opts.ageSeconds ?? 0));
    const nonce = wechatNonce();
    const signature = await rsaSha256Sign(
      creds.platformPrivateKey,
      wechatResponseSignText(timestamp, nonce, opts.corrupt ? `${body} ` : body),
    );
    return c.body(body, status as 200, {
      'content-type': 'application/json; charset=utf-8',
      'request-id': `08${nonce.slice(0, 24)}`,
      'wechatpay-nonce': nonce,
      'wechatpay-serial': creds.platformSerial,
      'wechatpay-signature': signature,
      'wechatpay-signature-type': WECHATPAY_SCHEME,
      'wechatpay-timestamp': timestamp,
    });
  }
  const error = (c: Context, status: number, code: string, message: string) =>
    signed(c, status, JSON.stringify({ code, message }));

  async function handle(c: Context, ref: TradeRef) {
    const auth = readWechatAuthorization(c.req.header('authorization'));
    if (!auth) return error(c, 401, 'SIGN_ERROR', 'Authorization 头缺失或格式错误');
    const mchid = c.req.query('mchid');
    if (!mchid) return error(c, 400, 'PARAM_ERROR', '输入源"/querystring/mchid"映射到值字段"直连商户号"字段时，缺少必填字段');
    if (mchid !== creds.mchid || auth.mchid !== creds.mchid) return error(c, 400, 'MCH_NOT_EXISTS', '商户号不存在');
    if (auth.serialNo !== creds.merchantSerialNo) return error(c, 401, 'SIGN_ERROR', '商户证书序列号有误');
    if (!(await requestSignatureVerifies(c.req.url, auth, creds.merchantPublicKey))) {
      return error(c, 401, 'SIGN_ERROR', '签名错误，请检查后再试');
    }

    const trade = await ctx.world.findTrade('wechat', ref);
    if (!trade || trade.answer.state === 'not_found') return error(c, 404, 'ORDER_NOT_EXIST', '订单不存在');
    const answer = trade.answer;
    const fault = transportFault(c, answer.state);
    if (fault) return fault;
    switch (answer.state) {
      case 'http_500':
        return error(c, 500, 'SYSTEM_ERROR', '系统错误');
      case 'malformed':
        return signed(c, 200, '{"amount":{"currency":"CNY","payer_currency":"CNY","payer_total":');
      case 'bad_signature':
        return signed(c, 200, JSON.stringify(render(trade, { ...answer, state: 'paid' }, creds)), { corrupt: true });
      case 'stale':
        return signed(c, 200, JSON.stringify(render(trade, { ...answer, state: 'paid' }, creds)), { ageSeconds: STALE_BY_SECONDS });
      default:
        return signed(c, 200, JSON.stringify(render(trade, answer, creds)));
    }
  }

  app.get('/v3/pay/transactions/out-trade-no/:no', (c) => handle(c, { orderNo: c.req.param('no') }));
  app.get('/v3/pay/transactions/id/:id', (c) => handle(c, { tradeNo: c.req.param('id') }));
  return app;
}

/**
 * The merchant signs path+query relative to the API root (`/v3/...`), as against the real gateway.
 * SDKs pointed at the mounted sandbox (`/sandbox/wechatpay/`) sign the full path they request
 * instead; that is an equally exact proof of the merchant key over this request, so it is accepted.
 */
async function requestSignatureVerifies(
  rawUrl: string,
  auth: { timestamp: string; nonce: string; signature: string },
  merchantPublicKey: string,
): Promise<boolean> {
  const u = new URL(rawUrl);
  const at = u.pathname.indexOf('/v3/');
  const candidates = new Set([`${at >= 0 ? u.pathname.slice(at) : u.pathname}${u.search}`, `${u.pathname}${u.search}`]);
  for (const url of candidates) {
    const signed = wechatRequestSignText('GET', url, auth.timestamp, auth.nonce, '');
    if (await rsaSha256Verify(merchantPublicKey, signed, auth.signature)) return true;
  }
  return false;
}

/** Key order and shapes follow real captured answers (gateway-protocols.md 3.5). */
function render(trade: SandboxTrade, answer: GatewayAnswer, creds: WechatPaySandboxCredentials): Record<string, unknown> {
  const total = answer.amountCents ?? trade.totalCents;
  const transactionId = answer.tradeNo ?? syntheticTransactionId(trade);
  const common = { appid: creds.appid, mchid: creds.mchid, out_trade_no: trade.orderNo };
  const open = (trade_state: string, trade_state_desc: string, extra: Record<string, unknown> = {}) => ({
    amount: { payer_currency: 'CNY', total },
    ...common,
    promotion_detail: [],
    scene_info: { device_id: '' },
    trade_state,
    trade_state_desc,
    ...(answer.tradeNo ? { transaction_id: answer.tradeNo } : {}),
    ...extra,
  });
  const paid = (trade_state: string, trade_state_desc: string) => ({
    amount: { currency: 'CNY', payer_currency: 'CNY', payer_total: total, total },
    appid: creds.appid,
    attach: '',
    bank_type: 'OTHERS',
    mchid: creds.mchid,
    out_trade_no: trade.orderNo,
    payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    promotion_detail: [],
    success_time: rfc3339Beijing(new Date(answer.paidAt ?? trade.createdAt)),
    trade_state,
    trade_state_desc,
    trade_type: 'NATIVE',
    transaction_id: transactionId,
  });
  switch (answer.state) {
    case 'refunded':
      return paid('REFUND', '转入退款');
    case 'unpaid':
      return open('NOTPAY', '订单未支付');
    case 'in_progress':
      return open('USERPAYING', '用户支付中', { trade_type: 'MICROPAY' });
    case 'closed':
      return open('CLOSED', '订单已关闭');
    case 'failed':
      return open('PAYERROR', answer.reason ?? '支付失败，请重新下单支付', { trade_type: 'MICROPAY' });
    default:
      return paid('SUCCESS', '支付成功');
  }
}

/** WeChat transaction ids are 28 digits: 42000 + ... + the Beijing date; stable per order. */
function syntheticTransactionId(trade: SandboxTrade): string {
  const day = rfc3339Beijing(new Date(trade.createdAt)).slice(0, 10).replaceAll('-', '');
  const h = orderNoHash(trade.orderNo);
  return `42000${String(h).padStart(15, '0')}${day}`;
}

function rfc3339Beijing(d: Date): string {
  const b = new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 19);
  return `${b}+08:00`;
}

/**
 * A protocol-faithful EPay (彩虹易支付) server, mounted at `/sandbox/epay`: V1 `GET api.php?act=order`
 * (key in the query, unsigned answer) and V2 `POST api/pay/query` (RSA-signed request with a
 * ±300 s timestamp, RSA-signed answer, empty fields removed), playing what the world says for
 * each order (gateway-protocols.md section 1).
 *
 * Renderings EPay's protocol forces on us (documented so scenario authors know what to expect):
 * - `closed`: EPay has no closed state. An order nobody paid simply stays `status 0` until the
 *   site's cleanup deletes it, so a recent closed trade answers status 0 (diagnosis: NOT_PAID,
 *   not PAYMENT_CLOSED; both take no action).
 * - `failed`: EPay has no failed state either; a declined upstream attempt leaves the order at
 *   status 0 and the reason is never exposed (diagnosis: NOT_PAID). `in_progress` is status 0 too.
 * - `refunded`: status 2 with the original endtime and money (EPay keeps no refund time).
 * - `bad_signature`, `stale`: V1 answers carry neither a signature nor a timestamp, so V1 cannot
 *   express them and answers a plain paid order (the diagnosis rightly trusts it as unsigned).
 * - `unreachable`: the socket is destroyed without an answer (`Response.error()` when served
 *   without a socket, e.g. `app.request`).
 *
 * It signs and verifies with its own code (./sign.ts), not the adapter's, so a misreading shared by
 * both sides cannot cancel out in the tests that pit them against each other.
 */
import { answerAfterLatency } from '../latency.ts';
import { Hono, type Context } from 'hono';
import type { TradeRef } from '../../domain/payment.ts';
import { centsToYuan } from '../../gateways/money.ts';
import { isoToBeijing } from '../../gateways/epay/beijing-time.ts';
import { epayMd5Verifies, epaySignText, rsaSha256Sign, rsaSha256Verify } from './sign.ts';
import type { GatewayAnswer, SandboxContext, SandboxTrade } from '../types.ts';
import { transportFault } from './faults.ts';
import { orderNoHash } from './trade-no.ts';

export interface EpaySandboxCredentials {
  pid: string;
  /** the V1 merchant key (also the V2 MD5 fallback) */
  key: string;
  /** verifies the merchant's V2 request signatures */
  merchantPublicKey: string;
  /** signs every V2 answer, as the platform's own key would */
  platformPrivateKey: string;
}

type Fields = Record<string, string | number | null>;

const MAX_SKEW_SECONDS = 300;
const STALE_BY_SECONDS = 3600;
const JSON_TYPE = 'application/json; charset=utf-8';

export function epaySandbox(ctx: SandboxContext, creds: EpaySandboxCredentials): Hono {
  const app = new Hono();
  app.use('*', answerAfterLatency(ctx));

  app.get('/api.php', async (c) => {
    const q = (name: string) => c.req.query(name) ?? '';
    if (q('act') !== 'order') return json(c, { code: -5, msg: 'No Act!' });
    if (q('pid') !== creds.pid) return json(c, { code: -3, msg: '商户ID不存在' });
    if (q('key') !== creds.key) return json(c, { code: -3, msg: '商户密钥错误' });
    const ref = refFrom(q('trade_no'), q('out_trade_no'));
    if (!ref) return json(c, { code: -4, msg: '订单号不能为空' });
    return answerV1(c, await ctx.world.findTrade('epay', ref));
  });

  // `api/...` is a rewrite of `api.php?s=...`; hosts without the rewrite take the long form.
  app.post('/api/pay/query', (c) => queryV2(c));
  app.post('/api.php', (c) => (c.req.query('s') === 'pay/query' ? queryV2(c) : json(c, { code: -5, msg: '接口方法不存在' })));

  async function queryV2(c: Context): Promise<Response> {
    // V2 reads only $_POST
    const params: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(await c.req.text())) params[k] = v;
    if (!params.pid) return json(c, { code: -4, msg: '未传入任何参数' });
    if (params.pid !== creds.pid) return json(c, { code: -3, msg: '商户ID不存在' });
    const nowSec = Math.floor(ctx.now().getTime() / 1000);
    const ts = Number(params.timestamp);
    if (!/^\d+$/.test(params.timestamp ?? '') || Math.abs(nowSec - ts) > MAX_SKEW_SECONDS) {
      return json(c, { code: -3, msg: '时间戳字段不正确，请检查服务器时间' });
    }
    // verifySign falls back to MD5 whenever sign_type is not RSA
    const signed =
      params.sign_type === 'RSA'
        ? await rsaSha256Verify(creds.merchantPublicKey, epaySignText(params), params.sign)
        : epayMd5Verifies(params, creds.key, params.sign);
    if (!signed) return json(c, { code: -3, msg: params.sign_type === 'RSA' ? 'RSA签名校验失败' : '签名校验失败' });
    const ref = refFrom(params.trade_no ?? '', params.out_trade_no ?? '');
    if (!ref) return json(c, { code: -4, msg: '订单号不能为空' });
    return answerV2(c, await ctx.world.findTrade('epay', ref), nowSec);
  }

  function answerV1(c: Context, trade: SandboxTrade | null): Promise<Response> | Response {
    if (!trade) return json(c, NOT_FOUND);
    const answer = trade.answer;
    const fault = renderFault(c, answer, trade, 'v1');
    if (fault) return fault;
    if (answer.state === 'not_found') return json(c, NOT_FOUND);
    // V1 keeps every column, empty or not, in the server's order
    return json(c, { code: 1, msg: 'succ', ...orderFields(trade, answer, creds.pid), param: '', payurl: '' }, V1_ORDER);
  }

  async function answerV2(c: Context, trade: SandboxTrade | null, nowSec: number): Promise<Response> {
    if (!trade) return json(c, NOT_FOUND);
    const answer = trade.answer;
    const fault = renderFault(c, answer, trade, 'v2');
    if (fault) return fault;
    if (answer.state === 'not_found') return json(c, NOT_FOUND); // errors are unsigned on V2
    const timestamp = answer.state === 'stale' ? nowSec - STALE_BY_SECONDS : nowSec;
    const business = withoutEmpty({ code: 0, ...orderFields(trade, answer, creds.pid), clientip: '203.0.113.7' }, V2_ORDER);
    const withTs: Fields = { ...business, timestamp: String(timestamp) };
    let sign = await rsaSha256Sign(creds.platformPrivateKey, epaySignText(withTs));
    if (answer.state === 'bad_signature') sign = corrupt(sign);
    return json(c, { ...withTs, sign_type: 'RSA', sign });
  }

  return app;
}

const NOT_FOUND = { code: -1, msg: '订单号不存在' };

/** api.php's field order (gateway-protocols.md 1.2). */
const V1_ORDER = ['code', 'msg', 'trade_no', 'out_trade_no', 'api_trade_no', 'type', 'pid', 'addtime', 'endtime', 'name', 'money', 'param', 'buyer', 'status', 'payurl'];
/** Pay::query's business field order; timestamp, sign_type and sign follow (1.3). */
const V2_ORDER = ['code', 'trade_no', 'out_trade_no', 'api_trade_no', 'type', 'pid', 'addtime', 'endtime', 'name', 'money', 'param', 'buyer', 'clientip', 'status'];

/** Faults shared by both versions; undefined when the answer is a normal order answer. */
function renderFault(c: Context, answer: GatewayAnswer, trade: SandboxTrade, version: 'v1' | 'v2'): Response | Promise<Response> | undefined {
  // EPay sits behind a bare PHP host: a timeout ends with the socket closing, no gateway 504
  const transport = transportFault(c, answer.state, { dropAfterTimeout: true });
  if (transport) return transport;
  switch (answer.state) {
    case 'http_500':
      return c.html('<html><head><title>500 Internal Server Error</title></head><body><center><h1>500 Internal Server Error</h1></center><hr><center>nginx</center></body></html>', 500);
    case 'malformed': {
      // PHP died mid-echo (fatal error, output buffer cut): the body stops in the middle
      const whole = JSON.stringify({ code: version === 'v1' ? 1 : 0, ...orderFields(trade, { ...answer, state: 'paid' }, '') });
      return c.body(whole.slice(0, Math.floor(whole.length / 2)), 200, { 'content-type': JSON_TYPE });
    }
    default:
      return undefined;
  }
}

/** The order row as api.php reads it from MySQL (PHP < 8.1 PDO: every value a string). */
function orderFields(trade: SandboxTrade, answer: GatewayAnswer, pid: string): Fields {
  const status = STATUS_OF[answer.state] ?? '1';
  const moneyMoved = status !== '0';
  const tradeNo = answer.tradeNo ?? syntheticTradeNo(trade);
  return {
    trade_no: tradeNo,
    out_trade_no: trade.orderNo,
    api_trade_no: moneyMoved ? `${tradeNo.slice(0, 8)}22001${tradeNo.slice(-15).padStart(15, '0')}` : '',
    type: 'alipay',
    pid,
    addtime: isoToBeijing(trade.createdAt),
    endtime: moneyMoved ? isoToBeijing(answer.paidAt ?? trade.createdAt) : null,
    name: trade.subject,
    money: centsToYuan(answer.amountCents ?? trade.totalCents),
    param: '',
    buyer: moneyMoved ? '2088102177846880' : '',
    status,
  };
}

/** How each world state shows in EPay's status column; see the file comment for the lossy ones. */
const STATUS_OF: Partial<Record<GatewayAnswer['state'], string>> = {
  paid: '1',
  unpaid: '0',
  in_progress: '0',
  closed: '0',
  failed: '0',
  refunded: '2',
  bad_signature: '1',
  stale: '1',
};

function withoutEmpty(fields: Fields, order: string[]): Fields {
  const out: Fields = {};
  for (const key of order) {
    const v = fields[key];
    if (v !== undefined && v !== null && String(v).trim() !== '') out[key] = v;
  }
  return out;
}

function refFrom(tradeNo: string, outTradeNo: string): TradeRef | null {
  // "如果都传入以系统订单号为准"
  if (tradeNo) return { tradeNo };
  if (outTradeNo) return { orderNo: outTradeNo };
  return null;
}

/** EPay trade numbers: the Beijing creation time (14 digits) + 5 digits; stable per order. */
function syntheticTradeNo(trade: SandboxTrade): string {
  const stamp = isoToBeijing(trade.createdAt).replace(/\D/g, '');
  const h = orderNoHash(trade.orderNo);
  return `${stamp}${String(h % 100000).padStart(5, '0')}`;
}

/** Still valid base64 of the right length, but over other bytes: it parses and fails to verify. */
function corrupt(sign: string): string {
  const i = Math.floor(sign.length / 2);
  const ch = sign[i] === 'A' ? 'B' : 'A';
  return sign.slice(0, i) + ch + sign.slice(i + 1);
}

function json(c: Context, body: Record<string, unknown>, order?: string[]): Response {
  const ordered = order ? Object.fromEntries(order.filter((k) => k in body).map((k) => [k, body[k]])) : body;
  return c.body(JSON.stringify(ordered), 200, { 'content-type': JSON_TYPE });
}

/**
 * WeChat Pay API v3 order query (gateway-protocols.md section 3): Authorization-signed GET,
 * answer verified with the platform key its Wechatpay-Serial names, inside the clock-skew window.
 */
import type { HttpClient, HttpResponse, QueryOptions } from '../../net/types.ts';
import type { Exchange, FaultKind, PaymentEvidence, TradeRef } from '../../domain/payment.ts';
import type { PaymentGateway } from '../types.ts';
import { pemFromBase64, verifySha256WithRsa } from '../rsa.ts';
import { truncateBody } from '../redact.ts';
import {
  SIGNTEST_PREFIX, buildAuthorization, randomNonce, responseSignString, unixSeconds,
} from './protocol.ts';
import { readWechatQuery } from './interpret.ts';
import { evidenceFromReading, evidenceFromUpstreamError, untrusted } from '../evidence.ts';

export interface WechatPayConfig {
  /** API root, e.g. https://api.mch.weixin.qq.com (a path prefix is allowed; the signed URL starts at /v3/) */
  baseUrl: string;
  mchid: string;
  appid: string;
  /** serial of the merchant API certificate, upper-case hex */
  merchantSerialNo: string;
  /** apiclient_key.pem, PKCS#8 */
  merchantPrivateKey: string;
  /** platform certificate / WeChat Pay public key by serial (`PUB_KEY_ID_...` or hex) */
  platformKeys: Record<string, string>;
  /** answers whose signed timestamp is this far from now are stale (default 300 s, WeChat's own) */
  maxClockSkewSeconds?: number;
}

export interface WechatPayDeps {
  http: HttpClient;
  now: () => Date;
}

const USER_AGENT = 'order-doctor/0.1 (WeChatPay-APIv3 query)';

/**
 * @example
 * const wx = createWechatPayGateway(cfg, { http: createHttpClient({ name: 'wechatpay' }), now: () => new Date() });
 * const ev = await wx.query({ orderNo: 'K20261122101500001' }, { signal: AbortSignal.timeout(8000) });
 */
export function createWechatPayGateway(cfg: WechatPayConfig, deps: WechatPayDeps): PaymentGateway {
  const privateKey = pemFromBase64(cfg.merchantPrivateKey, 'PRIVATE KEY');
  const maxSkew = cfg.maxClockSkewSeconds ?? 300;
  const apiRoot = cfg.baseUrl.replace(/\/+$/, '');

  async function query(ref: TradeRef, opts: QueryOptions): Promise<PaymentEvidence> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let exchange: Exchange | undefined;
    try {
      const pathWithQuery = 'orderNo' in ref
        ? `/v3/pay/transactions/out-trade-no/${encodeURIComponent(ref.orderNo)}?mchid=${encodeURIComponent(cfg.mchid)}`
        : `/v3/pay/transactions/id/${encodeURIComponent(ref.tradeNo)}?mchid=${encodeURIComponent(cfg.mchid)}`;
      const url = `${apiRoot}${pathWithQuery}`;
      const authorization = await buildAuthorization({
        method: 'GET', pathWithQuery, mchid: cfg.mchid, serialNo: cfg.merchantSerialNo, privateKey,
        timestamp: unixSeconds(deps.now()), nonce: randomNonce(),
      });
      exchange = { method: 'GET', url, ms: 0 };
      let res: HttpResponse;
      try {
        res = await deps.http.send({
          method: 'GET',
          url,
          headers: { authorization, accept: 'application/json', 'user-agent': USER_AGENT },
          signal: opts.signal,
          logContext: opts.logContext,
          classify: classifyWechatPay,
        });
      } catch (err) {
        return evidenceFromUpstreamError('wechat', err, exchange, elapsed());
      }
      Object.assign(exchange, {
        status: res.status, responseHeaders: res.headers, responseBody: truncateBody(res.body, 4096), ms: res.ms,
      });
      return await readResponse(ref, res, exchange, elapsed());
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return untrusted('wechat', { kind: 'protocol', message: `adapter error: ${message}` }, exchange ? [exchange] : [], 0, elapsed());
    }
  }

  async function readResponse(ref: TradeRef, res: HttpResponse, exchange: Exchange, ms: number): Promise<PaymentEvidence> {
    const fail = (kind: FaultKind, message: string) => untrusted('wechat', { kind, message }, [exchange], res.attempts, ms);

    if (res.status === 429) return fail('rate_limited', `HTTP 429 ${errorCode(res.body)}`.trim());
    if (res.status >= 500) return fail('http', `HTTP ${res.status} ${errorCode(res.body)}`.trim());

    const check = await checkSignature(res);
    exchange.signature = check.ok ? 'verified' : check.absent ? 'absent' : 'failed';
    // Errors other than "no such order" claim nothing; report them as what they are even unsigned.
    if (!check.ok && res.status !== 200 && res.status !== 404) {
      return fail('protocol', `HTTP ${res.status} ${errorCode(res.body)} (${exchange.signature} signature)`.trim());
    }
    if (!check.ok) return fail(check.kind, check.message);

    let doc: unknown;
    try {
      doc = JSON.parse(res.body);
    } catch {
      return fail('parse', 'body is not JSON');
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return fail('parse', 'body is not a JSON object');

    const reading = readWechatQuery(res.status, doc as Record<string, unknown>, ref, { mchid: cfg.mchid, appid: cfg.appid });
    return evidenceFromReading('wechat', reading, exchange, res.attempts, ms);
  }

  type SignatureCheck = { ok: true } | { ok: false; absent: boolean; kind: FaultKind; message: string };

  async function checkSignature(res: HttpResponse): Promise<SignatureCheck> {
    const h = res.headers;
    const timestamp = h['wechatpay-timestamp'];
    const nonce = h['wechatpay-nonce'];
    const signature = h['wechatpay-signature'];
    const serial = h['wechatpay-serial'];
    if (!timestamp || !nonce || !signature || !serial) {
      return { ok: false, absent: true, kind: 'signature', message: 'answer lacks Wechatpay-Timestamp/Nonce/Signature/Serial' };
    }
    if (signature.startsWith(SIGNTEST_PREFIX)) {
      return { ok: false, absent: false, kind: 'signature', message: 'WECHATPAY/SIGNTEST probe signature' };
    }
    const key = Object.hasOwn(cfg.platformKeys, serial) ? cfg.platformKeys[serial] : undefined;
    if (!key) return { ok: false, absent: false, kind: 'signature', message: `unknown platform key serial ${serial}` };
    if (!(await verifySha256WithRsa(key, responseSignString(timestamp, nonce, res.body), signature))) {
      return { ok: false, absent: false, kind: 'signature', message: `signature does not verify with platform key ${serial}` };
    }
    const ts = Number(timestamp);
    const skew = Math.abs(deps.now().getTime() / 1000 - ts);
    if (!/^\d+$/.test(timestamp) || !(skew < maxSkew)) {
      return { ok: false, absent: false, kind: 'stale', message: `signed timestamp ${timestamp} is ${Math.round(skew)} s from now (limit ${maxSkew} s)` };
    }
    return { ok: true };
  }

  return { channel: 'wechat', query };
}

/** 5xx (SYSTEM_ERROR, BANK_ERROR) is worth asking again; 429 FREQUENCY_LIMITED wants a longer wait. */
export function classifyWechatPay(res: HttpResponse): 'ok' | 'retry' | 'rate_limited' {
  if (res.status === 429) return 'rate_limited';
  if (res.status >= 500) return 'retry';
  return 'ok';
}

function errorCode(body: string): string {
  try {
    const doc: unknown = JSON.parse(body);
    if (typeof doc === 'object' && doc !== null && typeof (doc as { code?: unknown }).code === 'string') {
      return (doc as { code: string }).code;
    }
  } catch {
    /* not JSON: the status says enough */
  }
  return '';
}

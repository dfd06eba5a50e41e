/**
 * WeChat Pay API v2 order query (gateway-protocols.md section 3b), what dujiaoka's WeChat channel
 * and many older shops use: an XML POST to `pay/orderquery` signed with the API v2 key, the answer
 * signed with the same key and sign type.
 *
 * There is no signed timestamp in v2, so unlike v3 there is no staleness check: a replayed old
 * answer verifies exactly like a fresh one. The random nonce_str we send is not echoed back
 * either (the answer carries its own), so it cannot bind an answer to our request.
 */
import type { HttpClient, HttpResponse, QueryOptions } from '../../net/types.ts';
import type { Exchange, FaultKind, PaymentEvidence, TradeRef } from '../../domain/payment.ts';
import type { PaymentGateway } from '../types.ts';
import { truncateBody } from '../redact.ts';
import { evidenceFromReading, evidenceFromUpstreamError, untrusted } from '../evidence.ts';
import { computeSign, isSignType, randomNonceStr, signMatches, type SignType } from './sign.ts';
import { parseFlatXml, toFlatXml } from './xml.ts';
import { readWechatV2Query } from './interpret.ts';

export interface WechatPayV2Config {
  /** API root, e.g. https://api.mch.weixin.qq.com (a path prefix is allowed) */
  url: string;
  appid: string;
  mchid: string;
  /** the API v2 key (32 characters, 商户平台 -> API安全 -> API密钥); never sent, only hashed */
  key: string;
  /** default MD5, as the protocol's */
  signType?: SignType;
}

export interface WechatPayV2Deps {
  http: HttpClient;
  /** unused: v2 answers carry no timestamp to hold against it; kept so every adapter is built alike */
  now: () => Date;
}

const USER_AGENT = 'order-doctor/0.1 (WeChatPay-APIv2 orderquery)';

/**
 * @example
 * const wx = createWechatPayV2Gateway({ url: 'https://api.mch.weixin.qq.com', appid, mchid, key },
 *   { http: createHttpClient({ name: 'wechatpay-v2' }), now: () => new Date() });
 * const ev = await wx.query({ orderNo: 'K20261122101500001' }, { signal: AbortSignal.timeout(8000) });
 */
export function createWechatPayV2Gateway(cfg: WechatPayV2Config, deps: WechatPayV2Deps): PaymentGateway {
  // Fail at start-up, not at 3 a.m. on the first query.
  for (const name of ['url', 'appid', 'mchid', 'key'] as const) {
    if (!cfg[name]) throw new Error(`WeChat Pay v2: ${name} is required`);
  }
  const signType = cfg.signType ?? 'MD5';
  if (!isSignType(signType)) throw new Error(`WeChat Pay v2: signType must be MD5 or HMAC-SHA256, not ${String(signType)}`);
  const endpoint = `${cfg.url.replace(/\/+$/, '')}/pay/orderquery`;
  const expect = { appid: cfg.appid, mchid: cfg.mchid };

  async function query(ref: TradeRef, opts: QueryOptions): Promise<PaymentEvidence> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let exchange: Exchange | undefined;
    try {
      const params: Record<string, string> = {
        appid: cfg.appid,
        mch_id: cfg.mchid,
        nonce_str: randomNonceStr(),
        sign_type: signType,
        // the protocol lets transaction_id win when both are sent, so send exactly one
        ...('orderNo' in ref ? { out_trade_no: ref.orderNo } : { transaction_id: ref.tradeNo }),
      };
      const body = toFlatXml({ ...params, sign: computeSign(params, cfg.key, signType) });
      // Nothing to redact: the key is only hashed into `sign`, which proves it without revealing it.
      exchange = { method: 'POST', url: endpoint, requestBody: body, ms: 0 };
      let res: HttpResponse;
      try {
        res = await deps.http.send({
          method: 'POST',
          url: endpoint,
          headers: { 'content-type': 'text/xml; charset=utf-8', accept: 'text/xml, application/xml', 'user-agent': USER_AGENT },
          body,
          signal: opts.signal,
          logContext: opts.logContext,
          classify: classifyWechatPayV2,
        });
      } catch (err) {
        return evidenceFromUpstreamError('wechat', err, exchange, elapsed());
      }
      Object.assign(exchange, {
        status: res.status, responseHeaders: res.headers, responseBody: truncateBody(res.body, 4096), ms: res.ms,
      });
      return readResponse(ref, res, exchange, elapsed());
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return untrusted('wechat', { kind: 'protocol', message: `adapter error: ${message}` }, exchange ? [exchange] : [], 0, elapsed());
    }
  }

  function readResponse(ref: TradeRef, res: HttpResponse, exchange: Exchange, ms: number): PaymentEvidence {
    const fail = (kind: FaultKind, message: string) => untrusted('wechat', { kind, message }, [exchange], res.attempts, ms);

    if (res.status !== 200) {
      exchange.signature = 'not_applicable';
      return fail(res.status === 429 ? 'rate_limited' : 'http', `HTTP ${res.status}`);
    }
    const parsed = parseFlatXml(res.body);
    if (!parsed.ok) {
      exchange.signature = 'not_applicable';
      return fail('parse', `answer is not WeChat Pay v2 XML: ${parsed.reason}`);
    }
    const fields = parsed.fields;
    if (fields['return_code'] !== 'SUCCESS') {
      // A communication-level refusal carries no sign by protocol and claims nothing about the trade.
      exchange.signature = 'not_applicable';
      return evidenceFromReading('wechat', readWechatV2Query(fields, ref, expect), exchange, res.attempts, ms);
    }
    if (!fields['sign']) {
      exchange.signature = 'absent';
      return fail('signature', 'return_code SUCCESS answer without a sign');
    }
    if (!signMatches(fields, cfg.key, signType)) {
      exchange.signature = 'failed';
      return fail('signature', `sign does not verify (${signType} with the API v2 key)`);
    }
    exchange.signature = 'verified';
    return evidenceFromReading('wechat', readWechatV2Query(fields, ref, expect), exchange, res.attempts, ms);
  }

  return { channel: 'wechat', query };
}

/**
 * Only a 5xx is worth asking again (the client retries network errors and timeouts itself).
 * SYSTEMERROR inside a 200 is not retried here: it comes back as a protocol fault and the
 * order goes to the sweep, which asks again later.
 */
export function classifyWechatPayV2(res: HttpResponse): 'ok' | 'retry' | 'rate_limited' {
  return res.status >= 500 ? 'retry' : 'ok';
}

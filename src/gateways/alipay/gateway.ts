/**
 * Alipay `alipay.trade.query` over the OpenAPI 2.0 gateway (gateway-protocols.md section 2):
 * RSA2-signed request, response verified over its exact raw substring with the Alipay public key.
 */
import type { HttpClient, HttpResponse, QueryOptions } from '../../net/types.ts';
import type { Exchange, FaultKind, PaymentEvidence, TradeRef } from '../../domain/payment.ts';
import type { PaymentGateway } from '../types.ts';
import { pemFromBase64 } from '../rsa.ts';
import { redactForm, redactUrl, truncateBody } from '../redact.ts';
import {
  ERROR_RESPONSE_KEY, QUERY_METHOD, QUERY_RESPONSE_KEY, URL_PARAMS,
  beijingDateTime, signAlipayParams, verifyAlipayResponse,
} from './protocol.ts';
import { isAlipayBusy, isAlipayErrorWithoutClaim, readAlipayQuery } from './interpret.ts';
import { evidenceFromReading, evidenceFromUpstreamError, untrusted } from '../evidence.ts';

export interface AlipayConfig {
  /** e.g. https://openapi.alipay.com/gateway.do */
  gateway: string;
  appId: string;
  /** PKCS#8, PEM or bare base64 (as the Alipay console hands it out) */
  merchantPrivateKey: string;
  /** the Alipay public key (not the app's own), PEM or bare base64 */
  alipayPublicKey: string;
  /** ISV mode: must be the token used at payment time, or every query says TRADE_NOT_EXIST */
  appAuthToken?: string;
}

export interface AlipayDeps {
  http: HttpClient;
  now: () => Date;
}

/** Secrets that must not reach an Exchange an agent reads. */
const REDACT = ['app_auth_token'];

/**
 * @example
 * const alipay = createAlipayGateway(cfg, { http: createHttpClient({ name: 'alipay' }), now: () => new Date() });
 * const ev = await alipay.query({ orderNo: 'K20261122101500001' }, { signal: AbortSignal.timeout(8000) });
 */
export function createAlipayGateway(cfg: AlipayConfig, deps: AlipayDeps): PaymentGateway {
  const privateKey = pemFromBase64(cfg.merchantPrivateKey, 'PRIVATE KEY');
  const publicKey = pemFromBase64(cfg.alipayPublicKey, 'PUBLIC KEY');

  async function query(ref: TradeRef, opts: QueryOptions): Promise<PaymentEvidence> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let exchange: Exchange | undefined;
    try {
      const { url, body } = await buildRequest(ref);
      exchange = { method: 'POST', url: redactUrl(url, REDACT), requestBody: redactForm(body, REDACT), ms: 0 };
      let res: HttpResponse;
      try {
        res = await deps.http.send({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8', accept: 'application/json' },
          body,
          signal: opts.signal,
          logContext: opts.logContext,
          classify: classifyAlipay,
        });
      } catch (err) {
        return evidenceFromUpstreamError('alipay', err, exchange, elapsed());
      }
      Object.assign(exchange, {
        status: res.status,
        responseHeaders: res.headers,
        responseBody: truncateBody(res.body, 4096),
        ms: res.ms,
      });
      return await readResponse(ref, res, exchange, elapsed());
    } catch (err) {
      // Defensive: query() never throws (bad key material, a bug) - the caller gets untrusted evidence.
      const message = err instanceof Error ? err.message : String(err);
      return untrusted('alipay', { kind: 'protocol', message: `adapter error: ${message}` }, exchange ? [exchange] : [], 0, elapsed());
    }
  }

  async function buildRequest(ref: TradeRef): Promise<{ url: string; body: string }> {
    const biz = 'orderNo' in ref ? { out_trade_no: ref.orderNo } : { trade_no: ref.tradeNo };
    const params: Record<string, string> = {
      app_id: cfg.appId,
      method: QUERY_METHOD,
      format: 'JSON',
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: beijingDateTime(deps.now()),
      version: '1.0',
      ...(cfg.appAuthToken ? { app_auth_token: cfg.appAuthToken } : {}),
      biz_content: JSON.stringify(biz),
    };
    params['sign'] = await signAlipayParams(params, privateKey);
    // Like the SDK: common params in the query string, business params in the form body.
    const url = new URL(cfg.gateway);
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if ((URL_PARAMS as readonly string[]).includes(k)) url.searchParams.set(k, v);
      else form.set(k, v);
    }
    return { url: url.toString(), body: form.toString() };
  }

  async function readResponse(ref: TradeRef, res: HttpResponse, exchange: Exchange, ms: number): Promise<PaymentEvidence> {
    const fail = (kind: FaultKind, message: string) =>
      untrusted('alipay', { kind, message }, [exchange], res.attempts, ms);

    if (res.status === 429) return fail('rate_limited', 'HTTP 429');
    if (res.status !== 200) return fail('http', `HTTP ${res.status}`);

    let doc: unknown;
    try {
      doc = JSON.parse(res.body);
    } catch {
      return fail('parse', 'body is not JSON');
    }
    if (!isRecord(doc)) return fail('parse', 'body is not a JSON object');
    const responseKey = isRecord(doc[QUERY_RESPONSE_KEY]) ? QUERY_RESPONSE_KEY
      : isRecord(doc[ERROR_RESPONSE_KEY]) ? ERROR_RESPONSE_KEY : undefined;
    if (!responseKey) return fail('parse', `no ${QUERY_RESPONSE_KEY} in the answer`);
    const inner = doc[responseKey] as Record<string, unknown>;

    const sign = doc['sign'];
    const verified = typeof sign === 'string' && sign !== ''
      && await verifyAlipayResponse(res.body, responseKey, sign, publicKey);
    exchange.signature = verified ? 'verified' : typeof sign === 'string' && sign !== '' ? 'failed' : 'absent';
    if (!verified) {
      // An unsigned gateway error (bad app id...) says more as what it is; it claims nothing anyway.
      if (isAlipayErrorWithoutClaim(inner)) {
        return fail('protocol', `${String(inner['code'])} ${String(inner['sub_code'] ?? inner['msg'] ?? '')} (${exchange.signature} signature)`);
      }
      return fail('signature', sign ? 'response signature does not verify with the Alipay public key' : 'response is not signed');
    }

    return evidenceFromReading('alipay', readAlipayQuery(inner, ref), exchange, res.attempts, ms);
  }

  return { channel: 'alipay', query };
}

/** Retries 5xx and Alipay's "system busy" answers (20000, ACQ.SYSTEM_ERROR); backs off on 429. */
export function classifyAlipay(res: HttpResponse): 'ok' | 'retry' | 'rate_limited' {
  if (res.status === 429) return 'rate_limited';
  if (res.status >= 500) return 'retry';
  if (res.status !== 200) return 'ok';
  try {
    const doc: unknown = JSON.parse(res.body);
    if (!isRecord(doc)) return 'ok';
    const inner = doc[QUERY_RESPONSE_KEY] ?? doc[ERROR_RESPONSE_KEY];
    return isRecord(inner) && isAlipayBusy(inner) ? 'retry' : 'ok';
  } catch {
    return 'ok';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

import type { HttpClient, HttpResponse, QueryOptions } from '../../net/types.ts';
import { UpstreamError } from '../../net/types.ts';
import type { Exchange, FaultKind, PaymentEvidence, TradeRef } from '../../domain/payment.ts';
import type { PaymentGateway } from '../types.ts';
import { redactUrl, truncateBody } from '../redact.ts';
import { faultKindOf } from '../evidence.ts';
import { pemFromBase64 } from '../rsa.ts';
import { codeOf, decodeAnswer, interpretOrder, isNotFound, messageOf, type EpayFields } from './parse.ts';
import { phpString, rsaSign, rsaVerify, type Md5Mode } from './sign.ts';

export interface EpayConfig {
  /** site root with a trailing slash, e.g. https://pay.example.com/ */
  apiUrl: string;
  pid: string;
  version: 'v1' | 'v2';
  /** V1: the merchant MD5 key (travels in the query string, redacted in every exchange) */
  key?: string;
  /** V2: PEM or bare base64 PKCS#8 */
  merchantPrivateKey?: string;
  /** V2: PEM or bare base64 SPKI */
  platformPublicKey?: string;
  /** V1 MD5 flavour for notify/submit signing (the query itself is unsigned) */
  md5Mode?: Md5Mode;
  /** V2: answers whose signed timestamp is further than this from our clock are stale (default 300) */
  maxClockSkewSeconds?: number;
}

type Outcome = Omit<PaymentEvidence, 'channel' | 'exchange' | 'attempts' | 'ms'>;

/**
 * The EPay (彩虹易支付 and clones) order query, V1 (`api.php?act=order`, unsigned) or V2
 * (`api/pay/query`, RSA both ways). gateway-protocols.md section 1.
 *
 * @example
 * const epay = createEpayGateway({ apiUrl: 'https://pay.example.com/', pid: '1001', version: 'v1', key }, { http, now: () => new Date() });
 * const evidence = await epay.query({ orderNo: 'K20261122101500001' }, { signal: AbortSignal.timeout(8000) });
 */
export function createEpayGateway(cfg: EpayConfig, deps: { http: HttpClient; now: () => Date }): PaymentGateway {
  // Fail at start-up, not at 3 a.m. on the first query.
  if (!cfg.apiUrl.endsWith('/')) throw new Error('EPay apiUrl must end with "/" (the site root)');
  if (!cfg.pid) throw new Error('EPay pid is required');
  if (cfg.version === 'v1' && !cfg.key) throw new Error('EPay V1 needs the merchant key');
  if (cfg.version === 'v2' && (!cfg.merchantPrivateKey || !cfg.platformPublicKey)) {
    throw new Error('EPay V2 needs merchantPrivateKey and platformPublicKey');
  }
  const merchantPrivateKey = cfg.merchantPrivateKey && pemFromBase64(cfg.merchantPrivateKey, 'PRIVATE KEY');
  const platformPublicKey = cfg.platformPublicKey && pemFromBase64(cfg.platformPublicKey, 'PUBLIC KEY');
  const maxSkewMs = (cfg.maxClockSkewSeconds ?? 300) * 1000;

  async function query(ref: TradeRef, opts: QueryOptions): Promise<PaymentEvidence> {
    const started = performance.now();
    const exchange: Exchange = { method: cfg.version === 'v1' ? 'GET' : 'POST', url: '', ms: 0 };
    let attempts = 0;
    const done = (outcome: Outcome): PaymentEvidence => ({
      channel: 'epay',
      ...outcome,
      exchange: [exchange],
      attempts,
      ms: Math.round(performance.now() - started),
    });

    try {
      const res = cfg.version === 'v1' ? await sendV1(ref, opts, exchange) : await sendV2(ref, opts, exchange);
      attempts = res.attempts;
      exchange.status = res.status;
      exchange.responseHeaders = res.headers;
      exchange.responseBody = truncateBody(res.body);
      exchange.ms = res.ms;
      return done(await readAnswer(res, ref, exchange));
    } catch (err) {
      // query never throws: everything that went wrong is an untrusted answer
      if (err instanceof UpstreamError) attempts = err.attempts;
      const kind: FaultKind =
        err instanceof UpstreamError ? faultKindOf(err) : err instanceof SignFailure ? 'signature' : 'network';
      const message = err instanceof Error ? err.message : String(err);
      exchange.error = message;
      exchange.ms = Math.round(performance.now() - started);
      return done({ trust: 'untrusted', fault: { kind, message } });
    }
  }

  function sendV1(ref: TradeRef, { signal, logContext }: QueryOptions, exchange: Exchange): Promise<HttpResponse> {
    const params = new URLSearchParams({ act: 'order', pid: cfg.pid, key: cfg.key ?? '' });
    if ('tradeNo' in ref) params.set('trade_no', ref.tradeNo);
    else params.set('out_trade_no', ref.orderNo);
    const url = `${cfg.apiUrl}api.php?${params}`;
    exchange.url = redactUrl(url, ['key']);
    return deps.http.send({ method: 'GET', url, signal, logContext });
  }

  async function sendV2(ref: TradeRef, { signal, logContext }: QueryOptions, exchange: Exchange): Promise<HttpResponse> {
    const params: Record<string, string> = { pid: cfg.pid };
    if ('tradeNo' in ref) params.trade_no = ref.tradeNo;
    else params.out_trade_no = ref.orderNo;
    params.timestamp = String(Math.floor(deps.now().getTime() / 1000));
    let sign: string;
    try {
      sign = await rsaSign(params, merchantPrivateKey ?? '');
    } catch (err) {
      throw new SignFailure(`cannot sign the request with merchantPrivateKey: ${(err as Error).message}`);
    }
    const body = new URLSearchParams({ ...params, sign, sign_type: 'RSA' }).toString();
    const url = `${cfg.apiUrl}api/pay/query`;
    exchange.url = url;
    exchange.requestBody = body; // nothing secret: the signature only proves the private key
    return deps.http.send({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      signal,
      logContext,
    });
  }

  async function readAnswer(res: HttpResponse, ref: TradeRef, exchange: Exchange): Promise<Outcome> {
    if (res.status !== 200) {
      exchange.signature = 'not_applicable';
      const kind: FaultKind = res.status === 429 ? 'rate_limited' : 'http';
      return untrusted(kind, `HTTP ${res.status}`);
    }
    const fields = decodeAnswer(res.body);
    if (!fields) {
      exchange.signature = 'not_applicable';
      return untrusted('parse', 'answer is not a JSON object');
    }
    return cfg.version === 'v1' ? readV1(fields, ref, exchange) : readV2(fields, ref, exchange);
  }

  function readV1(fields: EpayFields, ref: TradeRef, exchange: Exchange): Outcome {
    exchange.signature = 'absent'; // V1 answers carry none: trust rests on HTTPS and the key
    if (isNotFound(fields, 'v1')) return { trust: 'unsigned', state: 'not_found' };
    if (codeOf(fields) !== 1) return untrusted('protocol', `code ${phpString(fields.code) ?? '?'}: ${messageOf(fields)}`);
    const read = interpretOrder(fields, ref);
    return read.ok ? { trust: 'unsigned', ...read.facts } : { trust: 'untrusted', fault: read.fault };
  }

  async function readV2(fields: EpayFields, ref: TradeRef, exchange: Exchange): Promise<Outcome> {
    const code = codeOf(fields);
    if (code !== 0) {
      // Errors are never signed on V2. "Not found" is still worth passing on (it can only ever
      // lead to "no action"); everything else is a protocol fault.
      exchange.signature = 'absent';
      if (isNotFound(fields, 'v2')) return { trust: 'unsigned', state: 'not_found' };
      return untrusted('protocol', `code ${phpString(fields.code) ?? '?'}: ${messageOf(fields)}`);
    }
    if (typeof fields.sign !== 'string' || fields.sign === '') {
      exchange.signature = 'absent';
      return untrusted('signature', 'success answer without a signature');
    }
    const verified = await rsaVerify(fields, platformPublicKey ?? '', fields.sign);
    exchange.signature = verified ? 'verified' : 'failed';
    if (!verified) return untrusted('signature', 'platform signature does not verify');

    const ts = phpString(fields.timestamp)?.trim() ?? '';
    if (!/^\d{9,11}$/.test(ts)) return untrusted('stale', `signed answer without a usable timestamp (${JSON.stringify(fields.timestamp)})`);
    const skewMs = Math.abs(deps.now().getTime() - Number(ts) * 1000);
    if (skewMs > maxSkewMs) {
      return untrusted('stale', `answer timestamp ${ts} is ${Math.round(skewMs / 1000)} s away from our clock`);
    }

    const read = interpretOrder(fields, ref);
    return read.ok ? { trust: 'verified', ...read.facts } : { trust: 'untrusted', fault: read.fault };
  }

  return { channel: 'epay', query };
}

class SignFailure extends Error {}

function untrusted(kind: FaultKind, message: string): Outcome {
  return { trust: 'untrusted', fault: { kind, message } };
}

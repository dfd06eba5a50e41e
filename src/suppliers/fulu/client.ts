import type { Exchange, FaultKind } from '../../domain/payment.ts';
import { truncateBody } from '../../gateways/redact.ts';
import type { HttpClient, HttpResponse } from '../../net/types.ts';
import { UpstreamError } from '../../net/types.ts';
import type { SupplierClient, SupplierEvidence } from '../types.ts';
import { readFuluAnswer } from './answer.ts';
import { FULU_METHOD_ORDER_INFO, redactCardFields, toBeijingWallClock } from './protocol.ts';
import { signRequest } from './sign.ts';

export interface FuluConfig {
  /** e.g. https://openapi.fulu.com/api/getway (sic), or the in-process sandbox */
  gateway: string;
  appKey: string;
  /** 32 characters: signs both ways and is the AES-256 key of the cards */
  appSecret: string;
}

/**
 * Asks a Fulu-protocol supplier how an order's card purchase is going, and returns its cards
 * (decrypted) once it succeeded. Read-only and idempotent, so the HTTP client may retry it.
 * @example
 * const supplier = createFuluSupplier(cfg, { http, now: () => new Date() });
 * const ev = await supplier.query('K20261122101500001', { signal: AbortSignal.timeout(5000) });
 * if (ev.trust === 'verified' && ev.state === 'success') ev.keys; // ['CP1000…']
 */
export function createFuluSupplier(cfg: FuluConfig, deps: { http: HttpClient; now: () => Date }): SupplierClient {
  return {
    async query(orderNo, { signal, logContext }) {
      const started = performance.now();
      const body = buildQueryBody(cfg, orderNo, deps.now());
      const exchange: Exchange = { method: 'POST', url: cfg.gateway, requestBody: body, ms: 0 };
      const finish = (e: Omit<SupplierEvidence, 'exchange' | 'ms'>): SupplierEvidence => ({
        ...e,
        exchange: [exchange],
        ms: Math.round(performance.now() - started),
      });

      let res: HttpResponse;
      try {
        res = await deps.http.send({
          method: 'POST',
          url: cfg.gateway,
          headers: { 'content-type': 'application/json; charset=utf-8', accept: 'application/json' },
          body,
          signal,
          logContext,
          classify: (r) => (r.status === 429 ? 'rate_limited' : r.status >= 500 ? 'retry' : 'ok'),
        });
      } catch (err) {
        const fault = faultOf(err);
        exchange.error = fault.message;
        exchange.ms = Math.round(performance.now() - started);
        return finish({ trust: 'untrusted', fault, attempts: err instanceof UpstreamError ? err.attempts : 1 });
      }

      exchange.status = res.status;
      exchange.responseHeaders = pickHeaders(res.headers);
      exchange.responseBody = truncateBody(redactCardFields(res.body));
      exchange.ms = res.ms;
      const { signature, ...reading } = readFuluAnswer(res, orderNo, cfg.appSecret);
      exchange.signature = signature;
      return finish({ ...reading, attempts: res.attempts });
    },
  };
}

/** The signed JSON body of one `fulu.order.info.get` call; holds no secret (only app_key). */
export function buildQueryBody(cfg: Pick<FuluConfig, 'appKey' | 'appSecret'>, orderNo: string, at: Date): string {
  const params = {
    app_key: cfg.appKey,
    method: FULU_METHOD_ORDER_INFO,
    timestamp: toBeijingWallClock(at),
    version: '2.0',
    format: 'json',
    charset: 'utf-8',
    sign_type: 'md5',
    app_auth_token: '',
    biz_content: JSON.stringify({ customer_order_no: orderNo }),
  };
  return JSON.stringify({ ...params, sign: signRequest(params, cfg.appSecret) });
}

function faultOf(err: unknown): { kind: FaultKind; message: string } {
  if (err instanceof UpstreamError) {
    // 'aborted' is the caller's own deadline firing: for the diagnosis that is a timeout.
    const kind: FaultKind = err.kind === 'aborted' ? 'timeout' : err.kind;
    return { kind, message: err.message };
  }
  return { kind: 'network', message: err instanceof Error ? err.message : String(err) };
}

/** Only headers that help an agent read the answer; nothing that could carry a session. */
function pickHeaders(h: Record<string, string>): Record<string, string> {
  const keep = ['content-type', 'date', 'x-request-id'];
  return Object.fromEntries(Object.entries(h).filter(([k]) => keep.includes(k)));
}

/**
 * The one HTTP client every upstream adapter (gateways, supplier) uses. Implemented in
 * net/http-client.ts over node:http (a fetch function on Workers: net/transports.ts), with a
 * keep-alive pool, bounded connections and connect/header/body timeouts; nock intercepts it in tests.
 */
import type { LogContext } from '../observability/context.ts';

export type UpstreamErrorKind = 'timeout' | 'network' | 'http' | 'rate_limited' | 'circuit_open' | 'aborted';

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
    readonly attempts: number,
    readonly status?: number,
    readonly body?: string,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

/** What a gateway's or the supplier's query is asked with: its deadline, and whose work it is (for the call's log line). */
export interface QueryOptions {
  signal: AbortSignal;
  logContext?: LogContext;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** whose call this is (a request's or sweep run's id): handed back to the observer, for its log line */
  logContext?: LogContext;
  /**
   * Decides from a complete answer whether it is a transient failure worth retrying (a 5xx, a
   * protocol's "system busy" code). Network errors and timeouts are always retried.
   * Return 'rate_limited' to back off longer (429 / FREQUENCY_LIMITED).
   */
  classify?: (res: HttpResponse) => 'ok' | 'retry' | 'rate_limited';
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>; // lower-cased names
  body: string; // raw text, exactly as received (signatures are over raw bytes)
  attempts: number;
  ms: number;
}

export interface HttpClient {
  /**
   * Resolves with the last answer (even a 5xx after retries are spent); rejects with UpstreamError
   * only when no answer could be had (timeout, network, open circuit, abort).
   */
  send(req: HttpRequest): Promise<HttpResponse>;
}

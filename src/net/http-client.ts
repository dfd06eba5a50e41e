import pRetry, { AbortError } from 'p-retry';
import { createCircuitBreaker, NEVER_OPEN, type BreakerState } from './circuit-breaker.ts';
import { fetchTransport, nodeTransport, type TransportAnswer } from './transports.ts';
import type { LogContext } from '../observability/context.ts';
import { UpstreamError, type HttpClient, type HttpRequest, type HttpResponse, type UpstreamErrorKind } from './types.ts';

export interface HttpClientOptions {
  /** names the upstream in error messages */
  name: string;
  /** keep-alive pool size per origin (default 16) */
  maxConnections?: number;
  connectTimeoutMs?: number; // default 3000
  headersTimeoutMs?: number; // default 8000
  /** undici's idle time between body chunks (default 8000) */
  bodyTimeoutMs?: number;
  /**
   * Deadline of one whole attempt, connect to last body byte (default connect + headers timeouts).
   * bodyTimeoutMs alone would let a server trickle a body forever.
   */
  attemptTimeoutMs?: number;
  retries?: number; // default 2 (so at most 3 attempts)
  minBackoffMs?: number; // default 100
  maxBackoffMs?: number; // default 2000
  /** upper bound of a Retry-After we are willing to honour inside one request (default 5000) */
  maxRateLimitWaitMs?: number;
  breaker?: { failureThreshold: number; openMs: number } | false; // default 5 failures, 30 s
  /** clock for the breaker; injected so tests need no fake timers */
  now?: () => number;
  /** told how each call ended (metrics, logs): never the request or the answer themselves */
  observe?: (call: UpstreamCall) => void;
  /** told when the circuit breaker opens and closes again */
  onBreakerChange?: (state: 'open' | 'closed') => void;
  /**
   * Send through this fetch function instead of node:http (net/transports.ts): a Worker's global
   * fetch, or its sandbox mode, which answers the sandbox's origin in-process (sandbox/in-process.ts).
   */
  fetch?: typeof fetch;
}

/** How one call of `send` ended, as its caller waited for it (retries included). */
export interface UpstreamCall {
  upstream: string;
  /** the last answer's status class (`2xx`, `4xx`, `5xx`), or why there was none (an UpstreamErrorKind) */
  outcome: string;
  ms: number;
  attempts: number;
  status?: number;
  /** the request's logContext */
  logContext?: LogContext;
}

export type ManagedHttpClient = HttpClient & { close(): Promise<void>; breakerState(): BreakerState };

/** An attempt that produced a complete answer the caller classified as transient. */
class RetryableAnswer extends Error {
  constructor(readonly response: HttpResponse, readonly rateLimited: boolean) {
    super(`retryable answer: HTTP ${response.status}`);
  }
}

/** An attempt that produced no answer. */
class NoAnswer extends Error {
  constructor(readonly kind: UpstreamErrorKind, message: string) {
    super(message);
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/**
 * The HTTP client every upstream adapter uses: node:http over a bounded keep-alive pool (a fetch
 * function on Workers: net/transports.ts; nock intercepts both in tests), per-attempt deadlines
 * that cover the body, jittered retries for transient failures only, and a circuit breaker.
 *
 * @example
 * const http = createHttpClient({ name: 'epay', retries: 1 });
 * const res = await http.send({ method: 'GET', url, signal: AbortSignal.timeout(5000) });
 */
export function createHttpClient(opts: HttpClientOptions): ManagedHttpClient {
  const connectTimeoutMs = opts.connectTimeoutMs ?? 3000;
  const headersTimeoutMs = opts.headersTimeoutMs ?? 8000;
  const bodyTimeoutMs = opts.bodyTimeoutMs ?? 8000;
  const attemptTimeoutMs = opts.attemptTimeoutMs ?? connectTimeoutMs + headersTimeoutMs;
  const retries = opts.retries ?? 2;
  const minBackoffMs = opts.minBackoffMs ?? 100;
  const maxBackoffMs = opts.maxBackoffMs ?? 2000;
  const maxRateLimitWaitMs = opts.maxRateLimitWaitMs ?? 5000;
  const breakerOpts = opts.breaker ?? { failureThreshold: 5, openMs: 30_000 };
  const breaker = breakerOpts === false ? NEVER_OPEN : createCircuitBreaker({ ...breakerOpts, now: opts.now, onChange: opts.onBreakerChange });

  const limits = { maxConnections: opts.maxConnections ?? 16, connectTimeoutMs, headersTimeoutMs, bodyTimeoutMs };
  const transport = opts.fetch ? fetchTransport(opts.fetch, limits) : nodeTransport(limits);

  async function attempt(req: HttpRequest): Promise<HttpResponse> {
    const started = performance.now();
    const deadline = attemptDeadline(req.signal, attemptTimeoutMs);
    const signal = deadline.signal;
    let answer: TransportAnswer;
    try {
      // the whole body under the same deadline: a stalled body is a timeout, not an answer
      answer = await transport.send(req, signal);
    } catch (err) {
      if (req.signal.aborted) throw new NoAnswer('aborted', `${opts.name}: aborted by caller`);
      if (deadline.timedOut()) throw new NoAnswer('timeout', `${opts.name}: no complete answer within ${attemptTimeoutMs} ms`);
      const code = errorCode(err);
      if (code && TIMEOUT_CODES.has(code)) throw new NoAnswer('timeout', `${opts.name}: ${code}`);
      throw new NoAnswer('network', `${opts.name}: ${code ?? describe(err)}`);
    } finally {
      deadline.clear();
    }
    return { ...answer, attempts: 0, ms: Math.round(performance.now() - started) };
  }

  async function send(req: HttpRequest): Promise<HttpResponse> {
    const started = performance.now();
    let attempts = 0;
    let lastAnswer: HttpResponse | undefined;
    let lastNoAnswer: NoAnswer | undefined;
    const finish = (res: HttpResponse): HttpResponse => ({ ...res, attempts, ms: Math.round(performance.now() - started) });

    try {
      const res = await pRetry(
        async () => {
          if (!breaker.tryAcquire()) {
            // AbortError stops p-retry at once and rethrows the wrapped error.
            throw new AbortError(new NoAnswer('circuit_open', `${opts.name}: circuit open, failing fast`));
          }
          attempts += 1;
          let res: HttpResponse;
          try {
            res = await attempt(req);
          } catch (err) {
            if (err instanceof NoAnswer && err.kind === 'aborted') {
              breaker.onNeutral();
              throw new AbortError(err);
            }
            breaker.onFailure();
            if (err instanceof NoAnswer) lastNoAnswer = err;
            throw err;
          }
          lastAnswer = res;
          const verdict = classifyAnswer(req, res);
          if (res.status >= 500) breaker.onFailure();
          else breaker.onSuccess();
          if (verdict !== 'ok') throw new RetryableAnswer(res, verdict === 'rate_limited');
          return res;
        },
        {
          retries,
          minTimeout: minBackoffMs,
          maxTimeout: maxBackoffMs,
          randomize: true,
          signal: req.signal,
          onFailedAttempt: async ({ error, retriesLeft }) => {
            // p-retry's own backoff is short; a rate limit deserves the wait the server asked for.
            if (error instanceof RetryableAnswer && error.rateLimited && retriesLeft > 0) {
              const asked = retryAfterMs(error.response.headers['retry-after']);
              const wait = Math.min(asked ?? minBackoffMs * 5, maxRateLimitWaitMs);
              await sleep(wait, req.signal);
            }
          },
        },
      );
      return finish(res);
    } catch (err) {
      if (lastAnswer) return finish(lastAnswer);
      if (req.signal.aborted) throw new UpstreamError('aborted', `${opts.name}: aborted by caller`, attempts);
      // When our own failures opened the circuit mid-request, the real cause is the earlier failure.
      const cause = err instanceof NoAnswer && err.kind === 'circuit_open' && lastNoAnswer ? lastNoAnswer : err;
      if (cause instanceof NoAnswer) throw new UpstreamError(cause.kind, cause.message, attempts);
      throw new UpstreamError('network', `${opts.name}: ${describe(err)}`, attempts);
    }
  }

  /** send, reported to the observer (which must never break a call) */
  async function observed(req: HttpRequest): Promise<HttpResponse> {
    const started = performance.now();
    const report = (outcome: string, attempts: number, status?: number) => {
      try {
        opts.observe?.({
          upstream: opts.name, outcome, ms: Math.round(performance.now() - started), attempts, ...(status ? { status } : {}),
          ...(req.logContext ? { logContext: req.logContext } : {}),
        });
      } catch {
        // metrics and logs are not worth a failed payment query
      }
    };
    try {
      const res = await send(req);
      report(`${Math.floor(res.status / 100)}xx`, res.attempts, res.status);
      return res;
    } catch (err) {
      report(err instanceof UpstreamError ? err.kind : 'network', err instanceof UpstreamError ? err.attempts : 0);
      throw err;
    }
  }

  return {
    send: opts.observe ? observed : send,
    close: () => transport.close(),
    breakerState: () => breaker.state(),
  };
}

/**
 * One attempt's signal: aborted by the caller's signal or at `ms`. A timer cleared when the attempt
 * ends, rather than AbortSignal.timeout + AbortSignal.any: those keep the timer and both signals
 * alive until the deadline passes, seconds after the answer (one set per upstream call: timer, GC
 * and abort_controller time in the profile of `npm run bench:load`).
 */
function attemptDeadline(caller: AbortSignal, ms: number): { signal: AbortSignal; timedOut(): boolean; clear(): void } {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`no complete answer within ${ms} ms`, 'TimeoutError'));
  }, ms);
  const onCaller = () => controller.abort(caller.reason);
  if (caller.aborted) onCaller();
  else caller.addEventListener('abort', onCaller, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    clear() {
      clearTimeout(timer);
      caller.removeEventListener('abort', onCaller);
    },
  };
}

/** 5xx is always transient; then the caller's protocol knowledge; then 429. Other 4xx never retry. */
function classifyAnswer(req: HttpRequest, res: HttpResponse): 'ok' | 'retry' | 'rate_limited' {
  if (res.status >= 500) return 'retry';
  const byCaller = req.classify?.(res);
  if (byCaller) return byCaller;
  return res.status === 429 ? 'rate_limited' : 'ok';
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function retryAfterMs(value: string | undefined, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve(); // p-retry notices the aborted signal itself right after
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  // fetch wraps the socket error: TypeError('fetch failed', { cause: { code } }), sometimes twice
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if ((e as { name?: unknown }).name === 'TimeoutError') return 'ETIMEDOUT';
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

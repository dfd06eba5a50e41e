/**
 * How one attempt of the HTTP client reaches an upstream: Node's own http/https over a bounded
 * keep-alive pool (the default), or a fetch function (a Worker's fetch; the Worker's in-process
 * sandbox). Both give back the complete answer as text, or throw; the client decides what a throw
 * means (net/http-client.ts).
 *
 * Why node:http and not the global fetch on Node: fetch builds a WHATWG Request, Response, Headers
 * and a web stream for every call. That came to 0.26-0.6 ms of CPU per upstream call against
 * 0.13-0.25 ms for node:http (bench numbers in the issue 10 note), on a check that makes two upstream
 * calls: the largest own cost left in the profile of `npm run bench:load`. node:http is also what
 * nock intercepts, so the gateway tests still run through this exact code.
 */
import http from 'node:http';
import https from 'node:https';
import { Agent } from 'undici';

export interface TransportRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface TransportAnswer {
  status: number;
  /** lower-cased names; repeated headers joined with ", " (as fetch's Headers does) */
  headers: Record<string, string>;
  /** the body exactly as received, decoded as UTF-8 (signatures are over these bytes) */
  body: string;
}

export interface Transport {
  /** the whole answer, or a throw: aborted by `signal`, a socket error, or a timeout (code ETIMEDOUT / UND_ERR_*) */
  send(req: TransportRequest, signal: AbortSignal): Promise<TransportAnswer>;
  close(): Promise<void>;
}

export interface TransportLimits {
  /** keep-alive connections per origin */
  maxConnections: number;
  connectTimeoutMs: number;
  /** request written to response headers */
  headersTimeoutMs: number;
  /** silence between body chunks */
  bodyTimeoutMs: number;
  /** the most an answer's body may hold (default MAX_ANSWER_BYTES) */
  maxBodyBytes?: number;
}

/**
 * A gateway's or supplier's answer is a few KB. One that keeps streaming (a broken or hostile EPay
 * site: those are third parties) would otherwise be held in memory until the deadline, at whatever
 * rate the link allows, a few such calls at once enough to end the process. Past this, the call is
 * cut and fails like a broken connection (UND_ERR_RES_EXCEEDED_MAX_SIZE, undici's own code).
 */
export const MAX_ANSWER_BYTES = 1024 * 1024;

const tooLarge = (max: number) => coded('UND_ERR_RES_EXCEEDED_MAX_SIZE', `the answer passed ${max} bytes`);

/**
 * An error carrying a code the client classifies (errorCode in http-client.ts). The three waits
 * use undici's codes, so both transports speak one vocabulary.
 */
function coded(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * node:http / node:https with one keep-alive agent per scheme. The socket's idle timer does the
 * three waits in turn: connecting, then waiting for the headers, then each silence in the body.
 */
export function nodeTransport(limits: TransportLimits): Transport {
  const agentOptions = { keepAlive: true, maxSockets: limits.maxConnections, keepAliveMsecs: 1000, timeout: 4000 };
  const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };
  const maxBody = limits.maxBodyBytes ?? MAX_ANSWER_BYTES;

  function send(req: TransportRequest, signal: AbortSignal): Promise<TransportAnswer> {
    return new Promise((resolve, reject) => {
      const url = new URL(req.url);
      const agent = url.protocol === 'https:' ? agents['https:'] : url.protocol === 'http:' ? agents['http:'] : undefined;
      if (!agent) return reject(coded('ERR_INVALID_PROTOCOL', `unsupported protocol ${url.protocol}`));
      const headers: Record<string, string | number> = { ...req.headers };
      // a known length, never chunked: some gateways refuse chunked request bodies
      if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
      const request = (url.protocol === 'https:' ? https : http).request(url, { method: req.method, headers, agent, signal });
      let phase: 'connect' | 'headers' | 'body' = 'connect';
      const waits = { connect: limits.connectTimeoutMs, headers: limits.headersTimeoutMs, body: limits.bodyTimeoutMs };
      const codes = { connect: 'UND_ERR_CONNECT_TIMEOUT', headers: 'UND_ERR_HEADERS_TIMEOUT', body: 'UND_ERR_BODY_TIMEOUT' };
      request.setTimeout(waits.connect, () => request.destroy(coded(codes[phase], `no progress within ${waits[phase]} ms (${phase})`)));
      request.on('socket', (socket) => {
        const connected = () => {
          phase = 'headers';
          request.setTimeout(waits.headers);
        };
        // a reused keep-alive socket is connected already
        if (socket.connecting) socket.once('connect', connected);
        else connected();
      });
      request.on('error', reject);
      request.on('response', (res) => {
        phase = 'body';
        request.setTimeout(waits.body);
        if (Number(res.headers['content-length']) > maxBody) return request.destroy(tooLarge(maxBody));
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBody) request.destroy(tooLarge(maxBody));
          else chunks.push(chunk);
        });
        res.on('error', reject);
        // 'close' without 'end': the socket went away mid-body (reset, timeout, abort)
        res.on('close', () => {
          if (!res.complete) reject(coded('ECONNRESET', 'the connection closed before the body ended'));
        });
        res.on('end', () => {
          const out: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      request.end(req.body);
    });
  }

  return {
    send,
    close: async () => {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

/** A fetch Response's body as UTF-8 text, refused (and the rest left unread) past `max` bytes. */
async function boundedText(res: Response, max: number): Promise<string> {
  if (Number(res.headers.get('content-length')) > max) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge(max);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw tooLarge(max);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

/**
 * A fetch function: a Worker's global fetch, or the Worker's in-process sandbox. On Node (tests that
 * pass a fetch) an undici Agent bounds the pool and the three waits; on Workers `undici` is a
 * stand-in (worker/undici.ts) and the invocation's own limits end a hung call.
 */
export function fetchTransport(fetchImpl: typeof fetch, limits: TransportLimits): Transport {
  const dispatcher = new Agent({
    connections: limits.maxConnections,
    connect: { timeout: limits.connectTimeoutMs },
    headersTimeout: limits.headersTimeoutMs,
    bodyTimeout: limits.bodyTimeoutMs,
    keepAliveTimeout: 4000,
  });
  return {
    async send(req, signal) {
      const init = { method: req.method, headers: req.headers, body: req.body, signal, dispatcher, redirect: 'manual' };
      const res = await fetchImpl(req.url, init as RequestInit);
      const headers: Record<string, string> = {};
      res.headers.forEach((value, name) => {
        headers[name.toLowerCase()] = value;
      });
      // read the whole body under the same signal: a stalled body is a timeout, not an answer
      return { status: res.status, headers, body: await boundedText(res, limits.maxBodyBytes ?? MAX_ANSWER_BYTES) };
    },
    close: () => dispatcher.close(),
  };
}

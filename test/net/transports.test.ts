/**
 * node:http, the HTTP client's transport on Node (src/net/transports.ts), on the wire: what a
 * gateway receives and what comes back. No nock in this file: its interception replaces the
 * socket, so keep-alive could not be seen. The client's behaviours over both transports are in
 * http-client.test.ts.
 */
import { createServer, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient, type ManagedHttpClient } from '../../src/net/http-client.ts';
import { fetchTransport, MAX_ANSWER_BYTES, nodeTransport, type Transport } from '../../src/net/transports.ts';

const LIMITS = { maxConnections: 4, connectTimeoutMs: 1000, headersTimeoutMs: 1000, bodyTimeoutMs: 1000 };
const servers: Server[] = [];
const clients: ManagedHttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function localServer(handler: RequestListener): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/gateway.do`, server };
}

describe('node:http transport', () => {
  it('sends a POST body with its length, never chunked, and joins repeated answer headers', async () => {
    let seen: IncomingHttpHeaders = {};
    let got = '';
    const { url } = await localServer((req, res) => {
      seen = req.headers;
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (got += chunk));
      req.on('end', () => {
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.end('中文 answer');
      });
    });
    const t = nodeTransport(LIMITS);
    try {
      const body = 'x=中文&sign=abc';
      const res = await t.send({ method: 'POST', url, body, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, new AbortController().signal);
      expect(seen['content-length']).toBe(String(Buffer.byteLength(body)));
      expect(seen['transfer-encoding']).toBeUndefined();
      expect(got).toBe(body);
      expect(res).toEqual({ status: 200, headers: expect.objectContaining({ 'set-cookie': 'a=1, b=2' }), body: '中文 answer' });
    } finally {
      await t.close();
    }
  });

  it('keeps one connection alive across calls, and at most maxConnections at once', async () => {
    let connections = 0;
    const { url, server } = await localServer((_req, res) => setTimeout(() => res.end('ok'), 20));
    server.on('connection', () => (connections += 1));
    const t = nodeTransport(LIMITS);
    try {
      for (let i = 0; i < 5; i++) expect((await t.send({ method: 'GET', url }, new AbortController().signal)).body).toBe('ok');
      expect(connections).toBe(1);
      await Promise.all(Array.from({ length: 12 }, () => t.send({ method: 'GET', url }, new AbortController().signal)));
      expect(connections).toBe(LIMITS.maxConnections);
    } finally {
      await t.close();
    }
  });

  it('names the wait that ran out: the headers, then a silence in the body', async () => {
    const { url: silent } = await localServer(() => {
      /* never answers */
    });
    const { url: trickle } = await localServer((_req, res) => {
      res.writeHead(200);
      res.write('{"code":');
    });
    const t = nodeTransport({ ...LIMITS, headersTimeoutMs: 100, bodyTimeoutMs: 100 });
    try {
      await expect(t.send({ method: 'GET', url: silent }, new AbortController().signal)).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
      await expect(t.send({ method: 'GET', url: trickle }, new AbortController().signal)).rejects.toMatchObject({ code: 'UND_ERR_BODY_TIMEOUT' });
    } finally {
      await t.close();
    }
  });

  it('an abort ends the call at once, body or not', async () => {
    const { url } = await localServer((_req, res) => {
      res.writeHead(200);
      res.write('partial');
    });
    const t = nodeTransport(LIMITS);
    try {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      const started = performance.now();
      await expect(t.send({ method: 'GET', url }, ac.signal)).rejects.toBeTruthy();
      expect(performance.now() - started).toBeLessThan(500);
    } finally {
      await t.close();
    }
  });

  it('the client sends through it by default and classifies its failures (headers wait: timeout; reset: network)', async () => {
    const { url: silent } = await localServer(() => {});
    const { url: reset } = await localServer((req) => req.socket.destroy());
    const c = createHttpClient({ name: 'gw', retries: 0, breaker: false, headersTimeoutMs: 100 });
    clients.push(c);
    await expect(c.send({ method: 'GET', url: silent, signal: AbortSignal.timeout(5000) })).rejects.toMatchObject({ kind: 'timeout', message: 'gw: UND_ERR_HEADERS_TIMEOUT' });
    await expect(c.send({ method: 'GET', url: reset, signal: AbortSignal.timeout(5000) })).rejects.toMatchObject({ kind: 'network' });
  });
});

describe('an answer past the size cap (a broken or hostile gateway streaming without end)', () => {
  const CAP = 64 * 1024;
  /** `total` bytes in 16 KB chunks, as fast as the socket takes them; how many the server managed to write */
  async function streaming(total: number, declare: boolean) {
    const sent = { bytes: 0, closed: false };
    const { url } = await localServer((_req, res) => {
      res.writeHead(200, declare ? { 'content-length': String(total) } : {});
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = () => {
        while (sent.bytes < total) {
          sent.bytes += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (sent.closed = true));
      pump();
    });
    return { url, sent };
  }
  const transports: Array<[string, () => Transport]> = [
    ['node:http', () => nodeTransport({ ...LIMITS, maxBodyBytes: CAP })],
    ['fetch', () => fetchTransport(fetch, { ...LIMITS, maxBodyBytes: CAP })],
  ];

  it.each(transports)('%s: a streamed answer is cut past the cap, long before its end', async (_name, make) => {
    const { url, sent } = await streaming(64 * 1024 * 1024, false);
    const t = make();
    try {
      await expect(t.send({ method: 'GET', url }, new AbortController().signal)).rejects.toMatchObject({ code: 'UND_ERR_RES_EXCEEDED_MAX_SIZE' });
      await expect.poll(() => sent.closed).toBe(true);
      expect(sent.bytes).toBeLessThan(16 * 1024 * 1024); // socket buffers, not the 64 MB
    } finally {
      await t.close();
    }
  });

  it.each(transports)('%s: a declared length past the cap is refused before the body is read; one at the cap is read whole', async (_name, make) => {
    const t = make();
    try {
      const big = await streaming(CAP + 1, true);
      await expect(t.send({ method: 'GET', url: big.url }, new AbortController().signal)).rejects.toMatchObject({ code: 'UND_ERR_RES_EXCEEDED_MAX_SIZE' });
      const fits = await streaming(CAP, true);
      const res = await t.send({ method: 'GET', url: fits.url }, new AbortController().signal);
      expect(res.body.length).toBeGreaterThanOrEqual(CAP);
    } finally {
      await t.close();
    }
  });

  it('the client fails such a call as a network failure, never holding more than the cap (default 1 MiB)', async () => {
    expect(MAX_ANSWER_BYTES).toBe(1024 * 1024);
    const { url } = await streaming(32 * 1024 * 1024, false);
    const c = createHttpClient({ name: 'epay', retries: 0, breaker: false });
    clients.push(c);
    await expect(c.send({ method: 'GET', url, signal: AbortSignal.timeout(5000) })).rejects.toMatchObject({ kind: 'network', message: 'epay: UND_ERR_RES_EXCEEDED_MAX_SIZE' });
  });
});

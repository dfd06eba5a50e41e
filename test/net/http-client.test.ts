import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../../src/net/http-client.ts';
import { UpstreamError } from '../../src/net/types.ts';
import { offlineClients } from './support.ts';

const BASE = 'https://gw.test';
// every behaviour on both transports (net/transports.ts): node:http, Node's default, and a fetch
// function, which a Worker uses; nock intercepts both
const DEFAULTS = { name: 'test', minBackoffMs: 5, maxBackoffMs: 20 };
const TRANSPORTS = {
  'node:http': offlineClients(DEFAULTS),
  fetch: offlineClients({ ...DEFAULTS, fetch: (url, init) => fetch(url, init) }),
};

function get(path: string, signal = AbortSignal.timeout(5000)) {
  return { method: 'GET' as const, url: `${BASE}${path}`, signal };
}

async function rejection(p: Promise<unknown>): Promise<UpstreamError> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UpstreamError);
  return err as UpstreamError;
}

/** A real local server, for failures nock cannot fake faithfully (silence, reset sockets). */
async function localServer(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}

describe.each(Object.keys(TRANSPORTS) as Array<keyof typeof TRANSPORTS>)('over %s', (transport) => {
  const client = TRANSPORTS[transport];

  describe('http client: retries', () => {
    it('retries a 500 and resolves with the later success, reporting attempts', async () => {
      nock(BASE).get('/q').reply(500, 'busy').get('/q').reply(200, '{"ok":1}', { 'X-Trace': 'abc' });
      const res = await client().send(get('/q'));
      expect(res.status).toBe(200);
      expect(res.body).toBe('{"ok":1}');
      expect(res.headers['x-trace']).toBe('abc');
      expect(res.attempts).toBe(2);
      expect(res.ms).toBeGreaterThanOrEqual(0);
    });

    it('never retries a 400 and hands the answer back as-is', async () => {
      const scope = nock(BASE).get('/q').once().reply(400, 'bad request');
      const res = await client().send(get('/q'));
      expect(res).toMatchObject({ status: 400, body: 'bad request', attempts: 1 });
      expect(scope.isDone()).toBe(true);
    });

    it('resolves with the last 5xx once retries are spent (an answer, not an exception)', async () => {
      nock(BASE).get('/q').times(3).reply(503, '<html>down</html>');
      const res = await client({ retries: 2 }).send(get('/q'));
      expect(res).toMatchObject({ status: 503, body: '<html>down</html>', attempts: 3 });
    });

    it('retries an answer the protocol classifies as transient (system busy in a 200)', async () => {
      nock(BASE).get('/q').reply(200, '{"code":"SYSTEM_ERROR"}').get('/q').reply(200, '{"code":"SUCCESS"}');
      const res = await client().send({
        ...get('/q'),
        classify: (r) => (r.body.includes('SYSTEM_ERROR') ? 'retry' : 'ok'),
      });
      expect(res.body).toBe('{"code":"SUCCESS"}');
      expect(res.attempts).toBe(2);
    });

    it('keeps the body bytes exactly (signatures are over raw text)', async () => {
      const raw = '{"b":1,  "a":"中文\\u4e2d"}\n';
      nock(BASE).post('/q', 'x=1').reply(200, raw);
      const res = await client().send({ method: 'POST', url: `${BASE}/q`, body: 'x=1', signal: AbortSignal.timeout(5000) });
      expect(res.body).toBe(raw);
    });

    it('backs off longer on 429, honouring Retry-After', async () => {
      nock(BASE).get('/q').reply(429, 'slow down', { 'Retry-After': '1' }).get('/q').reply(200, 'ok');
      const started = Date.now();
      const res = await client().send(get('/q'));
      expect(res).toMatchObject({ status: 200, attempts: 2 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    });

    it('bounds a huge Retry-After instead of sleeping for an hour', async () => {
      nock(BASE).get('/q').reply(429, '', { 'Retry-After': '3600' }).get('/q').reply(200, 'ok');
      const started = Date.now();
      const res = await client({ maxRateLimitWaitMs: 50 }).send(get('/q'));
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('parses Retry-After as seconds or as an HTTP date', () => {
      expect(retryAfterMs('2')).toBe(2000);
      expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
      expect(retryAfterMs('soon')).toBeUndefined();
    });
  });

  describe('http client: failures without an answer', () => {
    it('times out a server that never answers, retrying, then rejects with kind timeout', async () => {
      const { url, server } = await localServer(() => {
        /* never answers */
      });
      try {
        const c = client({ headersTimeoutMs: 200, attemptTimeoutMs: 200, retries: 1, breaker: false });
        const started = Date.now();
        const err = await rejection(c.send({ method: 'GET', url, signal: AbortSignal.timeout(5000) }));
        expect(err.kind).toBe('timeout');
        expect(err.attempts).toBe(2);
        expect(Date.now() - started).toBeLessThan(2000);
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });

    it('times out a body that stalls after the headers (the deadline covers the body)', async () => {
      const { url, server } = await localServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"code":');
      });
      try {
        const c = client({ attemptTimeoutMs: 200, retries: 0 });
        const err = await rejection(c.send({ method: 'GET', url, signal: AbortSignal.timeout(5000) }));
        expect(err.kind).toBe('timeout');
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });

    it('reports a connection the server resets as kind network, after retrying', async () => {
      let hits = 0;
      const { url, server } = await localServer((req) => {
        hits += 1;
        req.socket.destroy();
      });
      try {
        const err = await rejection(client({ retries: 2 }).send({ method: 'GET', url, signal: AbortSignal.timeout(5000) }));
        expect(err.kind).toBe('network');
        expect(err.attempts).toBe(3);
        expect(hits).toBe(3);
      } finally {
        server.close();
      }
    });

    it('stops retrying as soon as the caller aborts', async () => {
      let hits = 0;
      const { url, server } = await localServer(() => {
        hits += 1;
      });
      try {
        const c = client({ attemptTimeoutMs: 100, retries: 5, minBackoffMs: 1000, maxBackoffMs: 1000, breaker: false });
        const started = Date.now();
        const err = await rejection(c.send({ method: 'GET', url, signal: AbortSignal.timeout(300) }));
        expect(err.kind).toBe('aborted');
        expect(Date.now() - started).toBeLessThan(1000);
        expect(hits).toBe(1);
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });

    it('does not even start when the signal is already aborted', async () => {
      const scope = nock(BASE).get('/q').reply(200, 'ok');
      const err = await rejection(client().send(get('/q', AbortSignal.abort())));
      expect(err.kind).toBe('aborted');
      expect(scope.isDone()).toBe(false);
    });
  });

  describe('http client: circuit breaker', () => {
    it('opens after consecutive failures, fails fast, then lets one probe through and closes', async () => {
      let clock = 0;
      const c = client({ retries: 0, breaker: { failureThreshold: 2, openMs: 1000 }, now: () => clock });
      nock(BASE).get('/q').times(2).reply(500, 'down');
      expect((await c.send(get('/q'))).status).toBe(500);
      expect(c.breakerState()).toBe('closed');
      expect((await c.send(get('/q'))).status).toBe(500);
      expect(c.breakerState()).toBe('open');

      const untouched = nock(BASE).get('/q').reply(200, 'ok');
      const err = await rejection(c.send(get('/q')));
      expect(err.kind).toBe('circuit_open');
      expect(err.attempts).toBe(0);
      expect(untouched.isDone()).toBe(false);

      clock += 1000;
      expect(c.breakerState()).toBe('half_open');
      const res = await c.send(get('/q'));
      expect(res.status).toBe(200);
      expect(c.breakerState()).toBe('closed');
    });

    it('re-opens when the half-open probe fails', async () => {
      let clock = 0;
      const c = client({ retries: 0, breaker: { failureThreshold: 1, openMs: 1000 }, now: () => clock });
      nock(BASE).get('/q').times(2).reply(502, 'bad gateway');
      await c.send(get('/q'));
      clock += 1000;
      await c.send(get('/q'));
      expect(c.breakerState()).toBe('open');
    });

    it('counts a 4xx answer as the upstream being alive', async () => {
      const c = client({ retries: 0, breaker: { failureThreshold: 2, openMs: 1000 } });
      nock(BASE).get('/q').reply(500).get('/q').reply(404).get('/q').reply(500);
      await c.send(get('/q'));
      await c.send(get('/q'));
      await c.send(get('/q'));
      expect(c.breakerState()).toBe('closed');
    });
  });
});

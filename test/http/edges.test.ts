/**
 * The JSON API's edges under hostile input (issue 10, items 2 and 8): bodies are limited before they
 * are read, the agent route authenticates before it reads a byte of the body, and each refusal has
 * its own status and headers (413, 415, 405 with Allow, 401 with WWW-Authenticate, 429 with
 * Retry-After). The body tests run over a real socket: the server must answer while the client is
 * still sending.
 */
import { connect, type AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createAgent } from '../../src/engine/agents.ts';
import { createBuyerLimits } from '../../src/http/rate-limits.ts';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { paidOrdersWorld, servicesWithWorld } from '../support/services.ts';

let tdb: TestDatabase;
let svc: Services;
let app: ReturnType<typeof createApp>;
let server: ServerType;
let port: number;
let token: string;

beforeAll(async () => {
  tdb = await testDatabase();
  svc = await servicesWithWorld(tdb.database, paidOrdersWorld({ orders: 2, stock: 2 }), { SANDBOX: 'on' });
  app = createApp(svc);
  token = (await createAgent(svc, 'edge agent')).token;
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await svc?.close();
  await tdb?.drop();
});

interface Exchange {
  status: number;
  head: string;
  body: string;
  /** body bytes the client had written when the answer's head arrived */
  sentBeforeAnswer: number;
}

/**
 * Writes a request head, then body bytes as fast as the socket takes them (chunked or under a
 * declared Content-Length) until the server answers or `maxBytes` went out; returns the answer.
 */
function stream(path: string, opts: { headers: Record<string, string>; declaredLength?: number; maxBytes: number }): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunked = opts.declaredLength === undefined;
    const headers = {
      host: `127.0.0.1:${port}`, 'content-type': 'application/json', ...opts.headers,
      ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(opts.declaredLength) }),
    };
    let sent = 0;
    let sentAtHead = -1;
    let answer = Buffer.alloc(0);
    let done = false;
    const piece = Buffer.alloc(64 * 1024, 0x61); // 'aaaa...': never valid JSON either
    const finish = () => {
      if (done) return;
      done = true;
      socket.destroy();
      const text = answer.toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no answer after ${sent} bytes`));
      const head = text.slice(0, split);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), head, body: text.slice(split + 4), sentBeforeAnswer: sentAtHead });
    };
    socket.on('data', (d) => {
      answer = Buffer.concat([answer, d]);
      if (sentAtHead < 0 && answer.includes('\r\n\r\n')) sentAtHead = sent;
      // the whole answer is small: wait for its body, then stop
      const m = /content-length: (\d+)/i.exec(answer.toString('latin1'));
      const split = answer.indexOf('\r\n\r\n');
      if (split >= 0 && m && answer.length - split - 4 >= Number(m[1])) finish();
    });
    socket.on('error', () => {}); // the server hangs up on the rest of the body (EPIPE): fine, the answer came first
    socket.on('close', () => finish());
    socket.on('connect', async () => {
      socket.write(`POST ${path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`);
      const limit = Math.min(opts.maxBytes, opts.declaredLength ?? Infinity);
      while (!done && sentAtHead < 0 && sent < limit && !socket.destroyed) {
        const n = Math.min(piece.length, limit - sent);
        const framed = chunked ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), piece.subarray(0, n), Buffer.from('\r\n')]) : piece.subarray(0, n);
        sent += n;
        if (!socket.write(framed)) await new Promise((r) => { socket.once('drain', r); socket.once('close', r); });
        await new Promise((r) => setImmediate(r));
      }
      if (!done && chunked && sentAtHead < 0 && !socket.destroyed) socket.write('0\r\n\r\n');
    });
  });
}

const MB = 1024 * 1024;
const CHECK = '/api/v1/orders/K2026112200001/check';
const DIAGNOSE = '/api/v1/agent/orders/K2026112200001/diagnose';

describe('bodies are limited before they are read (security)', () => {
  it('a 300 MB body announced by Content-Length is refused at once: 413 problem+json', async () => {
    const r = await stream(CHECK, { headers: {}, declaredLength: 300 * MB, maxBytes: 16 * MB });
    expect(r.status).toBe(413);
    expect(r.head).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(r.body)).toMatchObject({ status: 413, code: 'payload_too_large' });
    expect(r.sentBeforeAnswer).toBeLessThan(16 * MB);
  });

  it('a chunked body is cut off after a few KB: 413 while the client is still sending, memory flat', async () => {
    const rss = process.memoryUsage().rss;
    const all = await Promise.all(Array.from({ length: 4 }, () => stream(CHECK, { headers: {}, maxBytes: 64 * MB })));
    for (const r of all) {
      expect(r.status).toBe(413);
      expect(JSON.parse(r.body).code).toBe('payload_too_large');
      expect(r.sentBeforeAnswer).toBeGreaterThanOrEqual(0);
      expect(r.sentBeforeAnswer).toBeLessThan(8 * MB);
    }
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * MB);
  });

  it('the agent route answers 401 to a huge body without a token before reading it', async () => {
    for (const declaredLength of [300 * MB, undefined]) {
      const started = performance.now();
      const r = await stream(DIAGNOSE, { headers: {}, declaredLength, maxBytes: 64 * MB });
      expect(r.status).toBe(401);
      expect(r.head).toMatch(/www-authenticate: Bearer/i);
      expect(JSON.parse(r.body)).toMatchObject({ status: 401, code: 'unauthorized' });
      expect(r.sentBeforeAnswer).toBeLessThan(8 * MB);
      expect(performance.now() - started).toBeLessThan(5000);
    }
  });

  it('the agent route with a wrong token: 401 before the body too', async () => {
    const r = await stream(DIAGNOSE, { headers: { authorization: 'Bearer od_wrongwrongwrongwrongwrong' }, maxBytes: 64 * MB });
    expect(r.status).toBe(401);
    expect(r.head).toMatch(/www-authenticate: Bearer[^\r\n]*invalid_token/i);
    expect(r.sentBeforeAnswer).toBeLessThan(8 * MB);
  });

  it('with a good token an over-long body is 413', async () => {
    const r = await stream(DIAGNOSE, { headers: { authorization: `Bearer ${token}` }, maxBytes: 64 * MB });
    expect(r.status).toBe(413);
  });

  it('a body within the limit still works', async () => {
    const res = await app.request(DIAGNOSE, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ apply: false }),
    });
    expect(res.status).toBe(200);
  });

  it('over a real socket a body within its declared length is read, also when it comes in pieces', async () => {
    // the Node server reads a declared body from the request message itself (src/http/body.ts)
    const post = (body: string) => fetch(`http://127.0.0.1:${port}${DIAGNOSE}`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body,
    });
    expect((await post(JSON.stringify({ apply: false }))).status).toBe(200);
    const wrongType = await post(JSON.stringify({ apply: 'yes' }));
    expect(wrongType.status).toBe(400);
    expect((await post('{"apply": fal')).status).toBe(400);
    // head, then the body in two writes 50 ms apart, the second starting mid-character
    const inPieces = (body: string, splitAt: number) => new Promise<{ status: number; text: string }>((resolve, reject) => {
      const bytes = Buffer.from(body);
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`POST ${DIAGNOSE} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: ${bytes.length}\r\nconnection: close\r\n\r\n`);
        socket.write(bytes.subarray(0, splitAt));
        setTimeout(() => socket.write(bytes.subarray(splitAt)), 50);
      });
      const got: Buffer[] = [];
      socket.on('data', (d) => got.push(d));
      socket.on('end', () => {
        const text = Buffer.concat(got).toString('utf8');
        resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), text });
      });
      socket.on('error', reject);
    });
    expect((await inPieces(`{"apply":${' '.repeat(200)}false}`, 100)).status).toBe(200);
    const named = await inPieces('{"apply":false,"备注":1}', 17); // byte 17 is inside 备
    expect(named.status).toBe(400);
    expect(named.text).toContain('备注');
  });

  it('every POST route of the API limits its body', async () => {
    const doc = await (await app.request('/api/openapi.json')).json();
    const posts = Object.entries(doc.paths as Record<string, Record<string, unknown>>).filter(([p, ops]) => p.startsWith('/api/') && 'post' in ops);
    expect(posts.length).toBeGreaterThanOrEqual(2);
    for (const [p] of posts) {
      const res = await app.request(p.replace('{orderNo}', 'K2026112200001'), {
        method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ secret: 'x'.repeat(64 * 1024) }),
      });
      expect(res.status, p).toBe(413);
    }
  });
});

describe('each refusal says what it is', () => {
  it('a wrong method is 405 naming the allowed ones, not 404', async () => {
    const res = await app.request(CHECK);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect((await res.json()).code).toBe('method_not_allowed');
    const del = await app.request('/healthz', { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toContain('GET');
    expect((await app.request('/api/openapi.json', { method: 'POST' })).status).toBe(405);
    // an unknown path stays 404
    expect((await app.request('/api/v1/orders/K2026112200001/nothing')).status).toBe(404);
  });

  it('a body that is not JSON is 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await app.request(CHECK, { method: 'POST', headers: { 'content-type': type }, body: 'secret=8462' });
      expect(res.status, type).toBe(415);
      expect((await res.json()).code).toBe('unsupported_media_type');
    }
    const agent = await app.request(DIAGNOSE, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body: 'apply' });
    expect(agent.status).toBe(415);
    // JSON with a charset is JSON
    const ok = await app.request(CHECK, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ secret: '8462' }) });
    expect(ok.status).toBe(200);
  });

  it('a missing or wrong agent token is 401 with WWW-Authenticate; another scheme too', async () => {
    for (const authorization of [undefined, 'Bearer od_wrongwrongwrongwrongwrong', 'Basic dXNlcjpwYXNz', 'Bearer not a token']) {
      const res = await app.request(DIAGNOSE, {
        method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: '{}',
      });
      expect(res.status, authorization).toBe(401);
      expect(res.headers.get('www-authenticate'), authorization).toMatch(/^Bearer/);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect((await res.json()).code).toBe('unauthorized');
    }
  });

  it("the API's 429 carries Retry-After", async () => {
    const limits = createBuyerLimits(true, () => 1_000_000);
    const limited = createApp(svc, { limits });
    for (let i = 0; i < 30; i++) await limits.lookup('203.0.113.9');
    const res = await limited.request(CHECK, {
      method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.9' }, body: JSON.stringify({ secret: '8462' }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await res.json()).code).toBe('rate_limited');
  });

  it('a secret with control characters is invalid input, not a lookup', async () => {
    const res = await app.request(CHECK, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret: '84\u000062' }) });
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe('invalid_request');
  });
});

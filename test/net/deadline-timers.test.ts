/**
 * The deadlines of an upstream attempt and of a checker are timers of their own, cleared as soon as
 * the call ends (src/net/http-client.ts attemptDeadline, src/checkers/types.ts runChecker): they
 * must not outlive the answer, or every check would leave timers holding the process (and its
 * signals in memory) for the rest of the deadline, and a shutdown would wait them out.
 * And the deadline still fires when nothing answers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecker, type Checker } from '../../src/checkers/types.ts';
import type { Services } from '../../src/services.ts';
import type { Lookup } from '../../src/domain/order.ts';
import { offlineClients } from './support.ts';
import { NO_LOG_CONTEXT } from '../../src/observability/context.ts';

const clients = offlineClients({ name: 'timers', retries: 0, breaker: false });

/** timers keeping the event loop alive right now */
const liveTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

let server: Server;
let url = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/silent') return; // never answers
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('deadline timers', () => {
  it('an answered upstream call leaves no timer behind (60 s attempt deadline)', async () => {
    const http = clients({ attemptTimeoutMs: 60_000 });
    await http.send({ method: 'GET', url: `${url}/ok`, signal: new AbortController().signal }); // warm: the pool's own timers
    const before = liveTimers();
    const answers = await Promise.all(Array.from({ length: 20 }, () =>
      http.send({ method: 'GET', url: `${url}/ok`, signal: new AbortController().signal })));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(liveTimers()).toBeLessThanOrEqual(before);
  });

  it('an attempt nobody answers still ends at its deadline, as a timeout', async () => {
    const http = clients({ attemptTimeoutMs: 150 });
    const started = performance.now();
    const err = await http.send({ method: 'GET', url: `${url}/silent`, signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'timeout' });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('a checker that answers leaves no timer behind; one that does not is cut at its deadline', async () => {
    const ctx = { svc: {} as Services, lookup: { asked: 'X' } as Lookup, now: new Date(), logContext: NO_LOG_CONTEXT };
    const quick: Checker<number> = { name: 'payment', run: async () => 1 };
    const before = liveTimers();
    const found = await Promise.all(Array.from({ length: 20 }, () => runChecker(quick, ctx, { timeoutMs: 60_000 })));
    expect(found.every((f) => f.ok)).toBe(true);
    expect(liveTimers()).toBeLessThanOrEqual(before);

    const deaf: Checker<number> = { name: 'payment', run: () => new Promise(() => {}) };
    const late = await runChecker(deaf, ctx, { timeoutMs: 100 });
    expect(late).toMatchObject({ ok: false, error: 'no answer within 100 ms' });
    expect(liveTimers()).toBeLessThanOrEqual(before);
  });

  it('a checker cancelled by the engine is skipped, not timed out, and its timer is gone', async () => {
    const ctx = { svc: {} as Services, lookup: { asked: 'X' } as Lookup, now: new Date(), logContext: NO_LOG_CONTEXT };
    const cancel = new AbortController();
    const waits: Checker<number> = { name: 'payment', run: ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))) };
    const before = liveTimers();
    const running = runChecker(waits, ctx, { timeoutMs: 60_000, cancel: cancel.signal });
    cancel.abort();
    expect(await running).toMatchObject({ ok: false, skipped: true, error: 'not needed: the records already decide' });
    expect(liveTimers()).toBeLessThanOrEqual(before);
  });
});

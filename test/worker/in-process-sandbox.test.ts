/**
 * The sandbox answered in-process (a Worker's sandbox mode, src/sandbox/in-process.ts) gives the
 * gateway adapters what the sandbox over a socket gives them: every scenario state of EPay v2
 * becomes the same evidence, the faults included (a dropped connection is a network fault, a
 * "timeout" ends at the client's own deadline); requests to any other origin go out through the
 * global fetch as before (nock sees them). Run in Node; workerd runs it in worker.pg.test.ts.
 */
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createEpayGateway } from '../../src/gateways/epay/client.ts';
import type { PaymentEvidence } from '../../src/domain/payment.ts';
import { serveSandboxInProcess, IN_PROCESS_ORIGIN } from '../../src/sandbox/in-process.ts';
import { listenSandbox } from '../../src/sandbox/listener.ts';
import { GATEWAY_STATES } from '../../src/sandbox/types.ts';
import { FIXED_NOW, adapterConfig, e2eOrderNo, e2eTrades, memoryWorld } from '../gateways/epay-support.ts';
import { offlineClients } from '../net/support.ts';

const http = offlineClients({ name: 'epay', retries: 0, breaker: false });

const orderNo = e2eOrderNo;
const ctx = { world: memoryWorld(e2eTrades()), now: () => FIXED_NOW, latencyMs: 0 };

/** What an adapter concludes, without the timings, the exchange, and a fault's wording (the socket's error code is not ours). */
function facts(e: PaymentEvidence) {
  const { ms: _ms, exchange: _exchange, attempts: _attempts, fault, ...rest } = e as PaymentEvidence & { ms?: number; exchange?: unknown; attempts?: number; fault?: { kind: string } };
  return { ...rest, ...(fault ? { fault: fault.kind } : {}) };
}

describe('the sandbox answered in-process', () => {
  it('gives the adapter the same evidence as over a socket, for every scenario state (EPay v2, RSA)', async () => {
    const inProcess = await serveSandboxInProcess(ctx);
    const socket = await listenSandbox(ctx);
    try {
      for (const state of GATEWAY_STATES) {
        const query = (baseUrl: string, fetch?: typeof globalThis.fetch) =>
          createEpayGateway(adapterConfig(`${baseUrl}/sandbox/epay/`, 'v2'), { http: http({ attemptTimeoutMs: 1500, fetch }), now: () => FIXED_NOW })
            .query({ orderNo: orderNo(state) }, { signal: AbortSignal.timeout(5000) });
        const [a, b] = await Promise.all([query(inProcess.baseUrl, inProcess.fetch), query(socket.baseUrl)]);
        expect(facts(a), state).toEqual(facts(b));
      }
    } finally {
      await socket.close();
    }
  });

  it('ends a "timeout" at the client\'s deadline and drops "unreachable" as a network fault', async () => {
    const { fetch } = await serveSandboxInProcess(ctx);
    const gateway = createEpayGateway(adapterConfig(`${IN_PROCESS_ORIGIN}/sandbox/epay/`, 'v2'), { http: http({ attemptTimeoutMs: 200, fetch }), now: () => FIXED_NOW });
    const started = performance.now();
    expect(await gateway.query({ orderNo: orderNo('timeout') }, { signal: AbortSignal.timeout(5000) })).toMatchObject({ trust: 'untrusted', fault: { kind: 'timeout' } });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await gateway.query({ orderNo: orderNo('unreachable') }, { signal: AbortSignal.timeout(5000) })).toMatchObject({ trust: 'untrusted', fault: { kind: 'network' } });
  });

  it('sends every other origin through the global fetch (nock intercepts it)', async () => {
    const { fetch } = await serveSandboxInProcess(ctx);
    const scope = nock('https://pay.example.com').get('/ping').reply(200, 'pong');
    const res = await fetch!('https://pay.example.com/ping');
    expect(await res.text()).toBe('pong');
    expect(scope.isDone()).toBe(true);
  });
});

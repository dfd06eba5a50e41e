/**
 * nock with the real network off (loopback stays open for local servers and real-socket sandboxes)
 * and HTTP clients that are all closed after each test. Call once, at the top of a test file.
 *
 * @example
 * const http = offlineClients({ name: 'alipay', retries: 1, breaker: false });
 * const client = http({ attemptTimeoutMs: 100 });
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createHttpClient, type HttpClientOptions, type ManagedHttpClient } from '../../src/net/http-client.ts';

export function offlineClients(defaults: HttpClientOptions): (opts?: Partial<HttpClientOptions>) => ManagedHttpClient {
  const clients: ManagedHttpClient[] = [];
  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(async () => {
    nock.cleanAll();
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(() => nock.enableNetConnect());
  return (opts = {}) => {
    const c = createHttpClient({ ...defaults, ...opts });
    clients.push(c);
    return c;
  };
}

/**
 * What nock's replyWithError should throw for a connection the server reset. An Error, not a plain
 * `{ code, message }`: nock's node:http interception cannot raise a plain object on the request
 * (it never errors, and the call waits for its deadline instead).
 */
export const connectionReset = (): Error => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

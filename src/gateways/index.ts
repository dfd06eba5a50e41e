/**
 * Builds gateway adapters, each on its own HTTP client (its own connection pool, retry budget and
 * circuit breaker): one gateway that is down never slows or trips another. Which gateway answers
 * for which order is the directory's business (directory.ts); services.ts wires both.
 */
import { createHttpClient, type ManagedHttpClient, type UpstreamCall } from '../net/http-client.ts';
import type { BreakerState } from '../net/circuit-breaker.ts';
import { createAlipayGateway, type AlipayConfig } from './alipay/gateway.ts';
import { createEpayGateway, type EpayConfig } from './epay/client.ts';
import { createWechatPayGateway, type WechatPayConfig } from './wechatpay/gateway.ts';
import { createWechatPayV2Gateway, type WechatPayV2Config } from './wechatpay-v2/index.ts';
import type { PaymentGateway } from './types.ts';

export interface GatewayFactory {
  alipay(cfg: AlipayConfig): PaymentGateway;
  wechat(cfg: WechatPayConfig): PaymentGateway;
  wechatV2(cfg: WechatPayV2Config): PaymentGateway;
  epay(cfg: EpayConfig): PaymentGateway;
  /** a client for another upstream (the supplier) under the same rules */
  client(name: string): ManagedHttpClient;
  /** every client's circuit breaker, by upstream name (for /metrics) */
  breakers(): Array<{ upstream: string; state: BreakerState }>;
  close(): Promise<void>;
}

export interface GatewayFactoryDeps {
  now: () => Date;
  circuitBreaker: boolean;
  /** how each upstream call ended (metrics, logs) */
  observe?: (call: UpstreamCall) => void;
  /** an upstream's circuit opened or closed again */
  onBreakerChange?: (upstream: string, state: 'open' | 'closed') => void;
  /** send the requests through this fetch (net/transports.ts); default node:http */
  fetch?: typeof fetch;
}

export function createGatewayFactory(deps: GatewayFactoryDeps): GatewayFactory {
  const clients: Array<{ name: string; client: ManagedHttpClient }> = [];
  const client = (name: string) => {
    const c = createHttpClient({
      name, maxConnections: 32, ...(deps.circuitBreaker ? {} : { breaker: false as const }),
      observe: deps.observe,
      onBreakerChange: deps.onBreakerChange ? (state) => deps.onBreakerChange!(name, state) : undefined,
      fetch: deps.fetch,
    });
    clients.push({ name, client: c });
    return c;
  };
  const now = deps.now;
  return {
    alipay: (cfg) => createAlipayGateway(cfg, { http: client('alipay'), now }),
    wechat: (cfg) => createWechatPayGateway(cfg, { http: client('wechatpay'), now }),
    wechatV2: (cfg) => createWechatPayV2Gateway(cfg, { http: client('wechatpay-v2'), now }),
    epay: (cfg) => createEpayGateway(cfg, { http: client('epay'), now }),
    client,
    breakers: () => clients.map((c) => ({ upstream: c.name, state: c.client.breakerState() })),
    async close() {
      await Promise.all(clients.map((c) => c.client.close()));
    },
  };
}

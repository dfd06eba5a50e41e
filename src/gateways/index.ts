/**
 * Builds gateway adapters, each on its own HTTP client (its own connection pool, retry budget and
 * circuit breaker): one gateway that is down never slows or trips another. Which gateway answers
 * for which order is the directory's business (directory.ts); services.ts wires both.
 */
import { createHttpClient, type ManagedHttpClient } from '../net/http-client.ts';
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
  close(): Promise<void>;
}

export function createGatewayFactory(deps: { now: () => Date; circuitBreaker: boolean }): GatewayFactory {
  const clients: ManagedHttpClient[] = [];
  const client = (name: string) => {
    const c = createHttpClient({ name, maxConnections: 32, ...(deps.circuitBreaker ? {} : { breaker: false as const }) });
    clients.push(c);
    return c;
  };
  const now = deps.now;
  return {
    alipay: (cfg) => createAlipayGateway(cfg, { http: client('alipay'), now }),
    wechat: (cfg) => createWechatPayGateway(cfg, { http: client('wechatpay'), now }),
    wechatV2: (cfg) => createWechatPayV2Gateway(cfg, { http: client('wechatpay-v2'), now }),
    epay: (cfg) => createEpayGateway(cfg, { http: client('epay'), now }),
    client,
    async close() {
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}

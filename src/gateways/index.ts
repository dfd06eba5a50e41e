/**
 * One adapter per channel plus the supplier, each on its own HTTP client (its own connection pool,
 * retry budget and circuit breaker), pointed at the real upstream when configured and at the
 * in-process sandbox otherwise.
 */
import type { Config } from '../config.ts';
import type { Channel } from '../domain/verdicts.ts';
import { createHttpClient, type ManagedHttpClient } from '../net/http-client.ts';
import { sandboxCredentials } from '../sandbox/credentials.ts';
import type { SupplierClient } from '../suppliers/types.ts';
import { createFuluSupplier } from '../suppliers/fulu/client.ts';
import { createAlipayGateway } from './alipay/gateway.ts';
import { createEpayGateway } from './epay/client.ts';
import { createWechatPayGateway } from './wechatpay/gateway.ts';
import type { PaymentGateway } from './types.ts';

export interface Upstreams {
  gateways: Record<Channel, PaymentGateway>;
  supplier: SupplierClient;
  clients: Record<Channel | 'supplier', ManagedHttpClient>;
  close(): Promise<void>;
}

export function createUpstreams(config: Config, deps: { now: () => Date; sandboxUrl: string | null }): Upstreams {
  const sandbox = deps.sandboxUrl ? sandboxCredentials(deps.sandboxUrl) : null;
  const need = <T>(real: T | null, name: string, fallback: T | undefined): T => {
    if (real) return real;
    if (!fallback) throw new Error(`${name}: not configured and no sandbox running`);
    return fallback;
  };
  const client = (name: string) =>
    createHttpClient({ name, maxConnections: 32, ...(config.circuitBreaker ? {} : { breaker: false as const }) });
  const clients = { alipay: client('alipay'), wechat: client('wechatpay'), epay: client('epay'), supplier: client('supplier') };
  const alipay = need(config.gateways.alipay, 'Alipay', sandbox?.alipay);
  const wechat = need(config.gateways.wechat, 'WeChat Pay', sandbox ? {
    baseUrl: sandbox.wechatpay.baseUrl, mchid: sandbox.wechatpay.mchid, appid: sandbox.wechatpay.appid,
    merchantSerialNo: sandbox.wechatpay.merchantSerialNo, merchantPrivateKey: sandbox.wechatpay.merchantPrivateKey,
    platformKeys: { [sandbox.wechatpay.platformSerial]: sandbox.wechatpay.platformPublicKey },
  } : undefined);
  const epay = need(config.gateways.epay, 'EPay', sandbox ? { ...sandbox.epay, version: 'v2' as const } : undefined);
  const supplier = need(config.gateways.supplier, 'the supplier', sandbox?.supplier);
  return {
    gateways: {
      alipay: createAlipayGateway(alipay, { http: clients.alipay, now: deps.now }),
      wechat: createWechatPayGateway(wechat, { http: clients.wechat, now: deps.now }),
      epay: createEpayGateway(epay, { http: clients.epay, now: deps.now }),
    },
    supplier: createFuluSupplier(supplier, { http: clients.supplier, now: deps.now }),
    clients,
    async close() {
      await Promise.all(Object.values(clients).map((c) => c.close()));
    },
  };
}

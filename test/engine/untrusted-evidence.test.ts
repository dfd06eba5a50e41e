/**
 * Misconfigured or lying gateways through the whole engine: the buyer's check never issues a key on
 * evidence that does not verify (wrong app id or mchid, the wrong platform key, a wrong EPay key),
 * and answers UPSTREAM_UNAVAILABLE / deferred instead of guessing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createGatewayDirectory } from '../../src/gateways/directory.ts';
import { customerCheck } from '../../src/engine/customer-check.ts';
import { createHttpClient } from '../../src/net/http-client.ts';
import { createAlipayGateway } from '../../src/gateways/alipay/gateway.ts';
import { createWechatPayGateway } from '../../src/gateways/wechatpay/gateway.ts';
import { createEpayGateway } from '../../src/gateways/epay/client.ts';
import { sandboxCredentials, sandboxKeys } from '../../src/sandbox/credentials.ts';
import { issuedKeys, sweepQueue } from '../../src/db/schema.ts';
import type { Services } from '../../src/services.ts';
import type { PaymentGateway } from '../../src/gateways/types.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { paidOrdersWorld, servicesWithWorld } from '../support/services.ts';
import { NO_LOG_CONTEXT } from '../../src/observability/context.ts';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await testDatabase();
});
afterAll(async () => tdb?.drop());

const http = () => createHttpClient({ name: 'test', retries: 0, breaker: false });

type Swap = (svc: Services) => PaymentGateway;
const cases: [string, 'alipay' | 'wechat' | 'epay', Swap][] = [
  ['Alipay with the wrong app id', 'alipay', (svc) => {
    const c = sandboxCredentials(svc.sandboxUrl!).alipay;
    return createAlipayGateway({ ...c, appId: '2021000000000001' }, { http: http(), now: svc.now });
  }],
  ['Alipay verified with the wrong Alipay public key', 'alipay', (svc) => {
    const c = sandboxCredentials(svc.sandboxUrl!).alipay;
    return createAlipayGateway({ ...c, alipayPublicKey: sandboxKeys.wechatpay.platformPublicKey }, { http: http(), now: svc.now });
  }],
  ['WeChat Pay with the wrong mchid', 'wechat', (svc) => {
    const c = sandboxCredentials(svc.sandboxUrl!).wechatpay;
    return createWechatPayGateway({ ...c, mchid: '1900000001', platformKeys: { [c.platformSerial]: c.platformPublicKey } }, { http: http(), now: svc.now });
  }],
  ['WeChat Pay with an unknown platform serial', 'wechat', (svc) => {
    const c = sandboxCredentials(svc.sandboxUrl!).wechatpay;
    return createWechatPayGateway({ ...c, platformKeys: { PUB_KEY_ID_OTHER: c.platformPublicKey } }, { http: http(), now: svc.now });
  }],
  ['EPay V2 verified with the wrong platform key', 'epay', (svc) => {
    const c = sandboxCredentials(svc.sandboxUrl!).epay;
    return createEpayGateway({ ...c, version: 'v2', platformPublicKey: sandboxKeys.alipay.alipayPublicKey }, { http: http(), now: svc.now });
  }],
  ['EPay V1 with the wrong merchant key', 'epay', (svc) => {
    const c = sandboxCredentials(svc.sandboxUrl!).epay;
    return createEpayGateway({ apiUrl: c.apiUrl, pid: c.pid, version: 'v1', key: 'wrong-key' }, { http: http(), now: svc.now });
  }],
  ['EPay V1 paid but unsigned, with EPAY_V1_TRUST=reject (the default)', 'epay', (svc) => {
    const c = sandboxCredentials(svc.sandboxUrl!).epay;
    return createEpayGateway({ apiUrl: c.apiUrl, pid: c.pid, version: 'v1', key: c.key }, { http: http(), now: svc.now });
  }],
];

describe('no key on evidence that does not verify', () => {
  it.each(cases)('%s', async (_name, channel, swap) => {
    const svc = await servicesWithWorld(tdb.database, paidOrdersWorld({ orders: 1, stock: 3, channel }));
    try {
      svc.gateways = createGatewayDirectory({ fixed: { [channel]: swap(svc) }, build: () => { throw new Error('no shop credentials here'); }, now: svc.now });
      const out = await customerCheck(svc, { orderNo: 'K2026112200001', secret: '8462', logContext: NO_LOG_CONTEXT });
      expect(out.ok && { verdict: out.result.verdict, action: out.result.action }).toEqual({ verdict: 'UPSTREAM_UNAVAILABLE', action: 'deferred' });
      expect(await svc.database.db.select().from(issuedKeys)).toHaveLength(0);
      expect(await svc.database.db.select().from(sweepQueue).where(eq(sweepQueue.orderNo, 'K2026112200001'))).toHaveLength(1);
    } finally {
      await svc.close();
    }
  });

  it('EPay V1 paid is enough when the operator says EPAY_V1_TRUST=accept', async () => {
    const svc = await servicesWithWorld(tdb.database, paidOrdersWorld({ orders: 1, stock: 3, channel: 'epay' }), { EPAY_V1_TRUST: 'accept' });
    try {
      const c = sandboxCredentials(svc.sandboxUrl!).epay;
      const epay = createEpayGateway({ apiUrl: c.apiUrl, pid: c.pid, version: 'v1', key: c.key }, { http: http(), now: svc.now });
      svc.gateways = createGatewayDirectory({ fixed: { epay }, build: () => { throw new Error('no shop credentials here'); }, now: svc.now });
      const out = await customerCheck(svc, { orderNo: 'K2026112200001', secret: '8462', logContext: NO_LOG_CONTEXT });
      expect(out.ok && out.result.verdict).toBe('PAID_NOT_DELIVERED');
      expect(out.ok && out.result.findings.payment?.data).toMatchObject({ trust: 'unsigned', state: 'paid' });
    } finally {
      await svc.close();
    }
  });
});

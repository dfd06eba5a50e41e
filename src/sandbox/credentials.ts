/**
 * The sandbox's merchant credentials and key pairs: fixed, committed, sandbox-only
 * (fixtures/sandbox/keys.json), so the demo, the scenarios and recorded fixtures agree.
 */
import keys from '../../fixtures/sandbox/keys.json' with { type: 'json' };

export const sandboxKeys = keys;

/** The public shape of GET /sandbox/credentials (../shared/spec/interfaces.md). */
export function sandboxCredentials(baseUrl: string) {
  return {
    alipay: {
      gateway: `${baseUrl}/sandbox/alipay/gateway.do`, appId: keys.alipay.appId,
      merchantPrivateKey: keys.alipay.merchantPrivateKey, alipayPublicKey: keys.alipay.alipayPublicKey,
    },
    wechatpay: {
      baseUrl: `${baseUrl}/sandbox/wechatpay`, mchid: keys.wechatpay.mchid, appid: keys.wechatpay.appid,
      merchantSerialNo: keys.wechatpay.merchantSerialNo, merchantPrivateKey: keys.wechatpay.merchantPrivateKey,
      platformSerial: keys.wechatpay.platformSerial, platformPublicKey: keys.wechatpay.platformPublicKey,
    },
    epay: {
      apiUrl: `${baseUrl}/sandbox/epay/`, pid: keys.epay.pid, key: keys.epay.key,
      merchantPrivateKey: keys.epay.merchantPrivateKey, platformPublicKey: keys.epay.platformPublicKey,
    },
    supplier: { gateway: `${baseUrl}/sandbox/supplier/api/getway`, appKey: keys.supplier.appKey, appSecret: keys.supplier.appSecret },
  };
}

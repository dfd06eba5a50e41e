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
    wechatpayV2: {
      url: `${baseUrl}/sandbox/wechatpay-v2`, appid: keys.wechatpayV2.appid, mchid: keys.wechatpayV2.mchid, key: keys.wechatpayV2.key,
    },
    epay: {
      apiUrl: `${baseUrl}/sandbox/epay/`, pid: keys.epay.pid, key: keys.epay.key,
      merchantPrivateKey: keys.epay.merchantPrivateKey, platformPublicKey: keys.epay.platformPublicKey,
    },
    supplier: { gateway: `${baseUrl}/sandbox/supplier/api/getway`, appKey: keys.supplier.appKey, appSecret: keys.supplier.appSecret },
  };
}

/**
 * The environment that points every channel and the supplier at a sandbox served elsewhere (another
 * process or host), as if it were the real gateway: benchmarks use it so that the fake gateways'
 * own signing does not run inside the process being measured.
 */
export function sandboxGatewayEnv(baseUrl: string): Record<string, string> {
  const c = sandboxCredentials(baseUrl);
  return {
    ALIPAY_GATEWAY: c.alipay.gateway, ALIPAY_APP_ID: c.alipay.appId,
    ALIPAY_PRIVATE_KEY: c.alipay.merchantPrivateKey, ALIPAY_PUBLIC_KEY: c.alipay.alipayPublicKey,
    WECHATPAY_BASE_URL: c.wechatpay.baseUrl, WECHATPAY_MCHID: c.wechatpay.mchid, WECHATPAY_APPID: c.wechatpay.appid,
    WECHATPAY_SERIAL_NO: c.wechatpay.merchantSerialNo, WECHATPAY_PRIVATE_KEY: c.wechatpay.merchantPrivateKey,
    WECHATPAY_PLATFORM_SERIAL: c.wechatpay.platformSerial, WECHATPAY_PLATFORM_PUBLIC_KEY: c.wechatpay.platformPublicKey,
    EPAY_API_URL: c.epay.apiUrl, EPAY_PID: c.epay.pid, EPAY_VERSION: 'v2', EPAY_KEY: c.epay.key,
    EPAY_PRIVATE_KEY: c.epay.merchantPrivateKey, EPAY_PLATFORM_PUBLIC_KEY: c.epay.platformPublicKey,
    SUPPLIER_GATEWAY: c.supplier.gateway, SUPPLIER_APP_KEY: c.supplier.appKey, SUPPLIER_APP_SECRET: c.supplier.appSecret,
  };
}

/**
 * The in-process sandbox upstreams, each speaking its real protocol and signing with its own keys,
 * mounted under /sandbox/ (../shared/spec/interfaces.md).
 */
import { Hono } from 'hono';
import { alipaySandbox } from './gateways/alipay.ts';
import { epaySandbox } from './gateways/epay.ts';
import { wechatPaySandbox } from './gateways/wechatpay.ts';
import { wechatPayV2Sandbox } from './gateways/wechatpay-v2.ts';
import { supplierSandbox } from './supplier.ts';
import { sandboxCredentials, sandboxKeys as k } from './credentials.ts';
import type { SandboxContext } from './types.ts';

export function sandboxApp(ctx: SandboxContext): Hono {
  const app = new Hono();
  app.route('/alipay', alipaySandbox(ctx, { appId: k.alipay.appId, merchantPublicKey: k.alipay.merchantPublicKey, alipayPrivateKey: k.alipay.alipayPrivateKey }));
  app.route('/wechatpay', wechatPaySandbox(ctx, {
    mchid: k.wechatpay.mchid, appid: k.wechatpay.appid, merchantSerialNo: k.wechatpay.merchantSerialNo,
    merchantPublicKey: k.wechatpay.merchantPublicKey, platformSerial: k.wechatpay.platformSerial,
    platformPrivateKey: k.wechatpay.platformPrivateKey,
  }));
  app.route('/wechatpay-v2', wechatPayV2Sandbox(ctx, { appid: k.wechatpayV2.appid, mchid: k.wechatpayV2.mchid, key: k.wechatpayV2.key }));
  app.route('/epay', epaySandbox(ctx, { pid: k.epay.pid, key: k.epay.key, merchantPublicKey: k.epay.merchantPublicKey, platformPrivateKey: k.epay.platformPrivateKey }));
  app.route('/supplier', supplierSandbox(ctx, k.supplier));
  app.get('/credentials', (c) => c.json(sandboxCredentials(new URL(c.req.url).origin)));
  return app;
}

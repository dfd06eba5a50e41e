/**
 * The in-process sandbox upstreams, each speaking its real protocol and signing with its own keys,
 * mounted under /sandbox/ (../shared/spec/interfaces.md). They exist only in sandbox mode and answer
 * loopback clients only: their credentials and query APIs would tell anyone which orders exist and
 * what they paid, around the check's identical answers.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { alipaySandbox } from './gateways/alipay.ts';
import { epaySandbox } from './gateways/epay.ts';
import { wechatPaySandbox } from './gateways/wechatpay.ts';
import { wechatPayV2Sandbox } from './gateways/wechatpay-v2.ts';
import { supplierSandbox } from './supplier.ts';
import { sandboxCredentials, sandboxKeys as k } from './credentials.ts';
import type { SandboxContext } from './types.ts';

export function sandboxApp(ctx: SandboxContext): Hono {
  return new Hono().use('*', loopbackOnly).route('/', sandboxRoutes(ctx));
}

/**
 * The upstreams without the loopback guard: only for a caller that is itself the only way in (the
 * Worker's in-process dispatch, sandbox/in-process.ts, which no outside request reaches).
 */
export function sandboxRoutes(ctx: SandboxContext): Hono {
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

/**
 * Anyone but a loopback client gets the app's own "no such route" (404), as if the sandbox were not
 * there. The address is the socket's (never a header, whatever TRUST_PROXY says), and a request that
 * carries forwarding headers came through a proxy, so it counts as remote even from 127.0.0.1.
 */
export const loopbackOnly: MiddlewareHandler = async (c, next) => {
  if (!fromLoopback(c)) return c.notFound();
  await next();
};

const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip', 'cf-connecting-ip', 'true-client-ip'];

export function fromLoopback(c: Context): boolean {
  if (FORWARDING_HEADERS.some((h) => c.req.header(h) !== undefined)) return false;
  let address: string | undefined;
  try {
    address = getConnInfo(c).remote.address;
  } catch {
    return false; // no socket to ask (Workers): not loopback
  }
  return isLoopback(address);
}

/** 127.0.0.0/8, ::1, and 127.x as an IPv4-mapped IPv6 address */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  if (address === '::1') return true;
  const v4 = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

export { createWechatPayGateway, classifyWechatPay } from './gateway.ts';
export type { WechatPayConfig, WechatPayDeps } from './gateway.ts';
export { buildAuthorization, parseAuthorization, requestSignString, responseSignString } from './protocol.ts';

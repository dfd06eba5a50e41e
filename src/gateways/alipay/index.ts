export { createAlipayGateway, classifyAlipay } from './gateway.ts';
export type { AlipayConfig, AlipayDeps } from './gateway.ts';
export { alipaySignContent, signAlipayParams, verifyAlipayResponse, signedSubstring, beijingDateTime } from './protocol.ts';

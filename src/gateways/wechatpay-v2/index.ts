export { createWechatPayV2Gateway, classifyWechatPayV2 } from './gateway.ts';
export type { WechatPayV2Config, WechatPayV2Deps } from './gateway.ts';
export { buildSignString, computeSign, signMatches, isSignType, type SignType } from './sign.ts';
export { parseFlatXml, toFlatXml, MAX_XML_CHARS, type XmlFields, type XmlParse } from './xml.ts';
export { readWechatV2Query, beijingTimeEndToIso } from './interpret.ts';

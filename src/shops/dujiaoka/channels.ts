/**
 * dujiaoka's payment channels (`pays`), with the credentials it keeps in them, read for
 * SHOP_GATEWAYS=shop so an owner configures nothing twice (../shared/reference/shops.md):
 *   /pay/alipay  merchant_id = app id, merchant_key = Alipay public key, merchant_pem = merchant private key
 *   /pay/wepay   merchant_id = app id, merchant_key = mch id, merchant_pem = the API v2 key
 *   /pay/yipay   merchant_id = pid, merchant_key = the EPay site's submit URL, merchant_pem = the MD5 key
 * A row still holding dujiaoka's install placeholders (商户号, 密钥...) has no usable credentials.
 */
import { isNull } from 'drizzle-orm';
import type { ShopChannel, ShopCredentials } from '../port.ts';
import type { DujiaokaContext } from './context.ts';
import { channelOfHandler, normalHandler } from './map.ts';

export async function dujiaokaChannels(ctx: DujiaokaContext): Promise<ShopChannel[]> {
  const p = ctx.t.pays;
  const rows = await ctx.db.select().from(p).where(isNull(p.deletedAt));
  return rows.map((r) => {
    const channel = channelOfHandler(r.payHandleroute);
    const credentials = channel ? credentialsOf(r.payHandleroute, r.merchantId, r.merchantKey, r.merchantPem) : undefined;
    return {
      ref: String(r.id), name: r.payName, handler: normalHandler(r.payHandleroute), channel, open: r.isOpen === 1,
      ...(credentials ? { credentials } : {}),
    };
  });
}

/** Plausible values only: install placeholders and blanks are not credentials. */
const usable = (v: string | null | undefined): v is string => typeof v === 'string' && v.trim() !== '' && !/[\u4e00-\u9fff]/.test(v);

function credentialsOf(handler: string, id: string | null, key: string | null, pem: string | null): ShopCredentials | undefined {
  if (!usable(id) || !usable(key) || !usable(pem)) return undefined;
  switch (channelOfHandler(handler)) {
    case 'alipay':
      // RSA keys are long; anything short is a placeholder
      if (key.length < 100 || pem.length < 100) return undefined;
      return { protocol: 'alipay', appId: id.trim(), alipayPublicKey: key.trim(), merchantPrivateKey: pem.trim() };
    case 'wechat':
      return { protocol: 'wechatpay-v2', appid: id.trim(), mchid: key.trim(), key: pem.trim() };
    case 'epay': {
      const apiUrl = epaySiteRoot(key.trim());
      return apiUrl ? { protocol: 'epay-v1', apiUrl, pid: id.trim(), key: pem.trim() } : undefined;
    }
    default:
      return undefined;
  }
}

/** `https://pay.example.com/submit.php` -> `https://pay.example.com/` (the EPay API lives beside submit.php). */
export function epaySiteRoot(submitUrl: string): string | undefined {
  let u: URL;
  try {
    u = new URL(submitUrl);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
  const dir = u.pathname.endsWith('/') ? u.pathname : u.pathname.replace(/[^/]*$/, '');
  return `${u.origin}${dir}`;
}

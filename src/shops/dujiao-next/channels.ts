/**
 * dujiao-next's payment channels (`payment_channels`), for SHOP_GATEWAYS=shop and `shop check`.
 * Listed without credentials: dujiao-next keeps them in `config_json`, whose keys differ from one
 * provider (and release) to the next, and its official WeChat Pay is API v3 with certificates; a
 * guess there could ask a gateway with the wrong key. Configure the gateways in order-doctor's own
 * settings (ALIPAY_*, WECHATPAY_*, EPAY_*): an order through a channel without them is
 * PAYMENT_UNVERIFIABLE, never guessed.
 */
import { isNull } from 'drizzle-orm';
import type { ShopChannel } from '../port.ts';
import type { DujiaoNextContext } from './context.ts';
import { channelOf } from './map.ts';
import { paymentChannels } from './tables.ts';

export async function dujiaoNextChannels(ctx: DujiaoNextContext): Promise<ShopChannel[]> {
  const rows = await ctx.db.select().from(paymentChannels).where(isNull(paymentChannels.deletedAt));
  return rows.map((r) => ({
    ref: String(r.id), name: r.name, handler: `${r.providerType}/${r.channelType}`,
    channel: channelOf(r.providerType, r.channelType), open: r.isActive !== false,
  }));
}

/** `order-doctor shop check` for dujiao-next (placeholder until the connector lands). */
import type { Config, ShopConfig } from '../config.ts';
import { ConfigError } from '../config.ts';
import type { Paint } from './shop.ts';

export async function checkDujiaoNext(_config: Config, _shop: Extract<ShopConfig, { kind: 'dujiao-next' }>, _json: boolean, _paint: Paint): Promise<number> {
  throw new ConfigError('SHOP: dujiao-next is not available yet');
}

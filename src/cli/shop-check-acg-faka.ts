/** `order-doctor shop check` for acg-faka (placeholder until the connector lands). */
import type { Config, ShopConfig } from '../config.ts';
import { ConfigError } from '../config.ts';
import type { Paint } from './shop.ts';

export async function checkAcgFaka(_config: Config, _shop: Extract<ShopConfig, { kind: 'acg-faka' }>, _json: boolean, _paint: Paint): Promise<number> {
  throw new ConfigError('SHOP: acg-faka is not available yet');
}

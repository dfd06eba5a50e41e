/** The dujiao-next adapter (placeholder until the connector lands). */
import type { ShopConfig } from '../../config.ts';
import { ConfigError } from '../../config.ts';
import type { ShopOpenDeps, ShopPort } from '../port.ts';

export async function openDujiaoNextShop(_cfg: Extract<ShopConfig, { kind: 'dujiao-next' }>, _deps: ShopOpenDeps): Promise<ShopPort> {
  throw new ConfigError('SHOP: dujiao-next is not available yet');
}

/** The acg-faka adapter (placeholder until the connector lands). */
import type { ShopConfig } from '../../config.ts';
import { ConfigError } from '../../config.ts';
import type { ShopOpenDeps, ShopPort } from '../port.ts';

export async function openAcgFakaShop(_cfg: Extract<ShopConfig, { kind: 'acg-faka' }>, _deps: ShopOpenDeps): Promise<ShopPort> {
  throw new ConfigError('SHOP: acg-faka is not available yet');
}

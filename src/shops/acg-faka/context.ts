import type { MySqlShopContext } from '../mysql/context.ts';
import type { AcgFakaTables } from './tables.ts';

/** What every part of the acg-faka adapter works with, built once at connect (index.ts). */
export interface AcgFakaContext extends MySqlShopContext<AcgFakaTables> {
  server: AcgFakaServer;
}

export interface AcgFakaServer {
  version: string;
  /** FOR UPDATE SKIP LOCKED: MariaDB >= 10.6, MySQL >= 8.0.1 */
  skipLocked: boolean;
  /** an index leading with card (commodity_id, status): stock claims skip a product's sold cards */
  stockIndex: boolean;
}

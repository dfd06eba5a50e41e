import type { MySqlShopContext } from '../mysql/context.ts';
import type { DujiaokaTables } from './tables.ts';

/** What every part of the dujiaoka adapter works with, built once at connect (index.ts). */
export interface DujiaokaContext extends MySqlShopContext<DujiaokaTables> {
  server: ServerFacts;
}

export interface ServerFacts {
  version: string;
  /** FOR UPDATE SKIP LOCKED: MariaDB >= 10.6, MySQL >= 8.0.1 */
  skipLocked: boolean;
  /** an index whose first column is orders.trade_no: lookups by the gateway's number stay cheap */
  tradeNoIndex: boolean;
  /** an index leading with carmis (goods_id, status): stock claims skip a product's sold keys */
  stockIndex: boolean;
}

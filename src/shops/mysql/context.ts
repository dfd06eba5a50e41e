import type { MySql2Database } from 'drizzle-orm/mysql2';
import type { Pool } from 'mysql2/promise';
import type { ShopContext } from '../context.ts';

/** The context of a shop on MySQL/MariaDB (dujiaoka, acg-faka), over its declared tables `T`. */
export interface MySqlShopContext<T> extends ShopContext {
  db: MySql2Database;
  pool: Pool;
  t: T;
  /** SHOP_TABLE_PREFIX, as the tables' names carry it */
  prefix: string;
  /** the zone the shop writes its times in (SHOP_TIMEZONE) */
  zone: string;
}

import type { MySql2Database } from 'drizzle-orm/mysql2';
import type { Pool } from 'mysql2/promise';
import type { Database } from '../../db/client.ts';
import type { SecretBox } from '../../crypto/secret-box.ts';
import type { AcgFakaTables } from './tables.ts';

/** What every part of the acg-faka adapter works with, built once at connect (index.ts). */
export interface AcgFakaContext {
  db: MySql2Database;
  pool: Pool;
  t: AcgFakaTables;
  /** SHOP_TABLE_PREFIX, as the tables' names carry it */
  prefix: string;
  /** the zone the shop writes its times in (SHOP_TIMEZONE) */
  zone: string;
  box: SecretBox;
  now: () => Date;
  autoWindowMs: number;
  manualWindowMs: number;
  server: AcgFakaServer;
  /** order-doctor's own database: where the selection cursor over the shop's orders is kept */
  own: Database;
  /** names this shop's database in order-doctor's own records (the cursor's key) */
  identity: string;
}

export interface AcgFakaServer {
  version: string;
  /** FOR UPDATE SKIP LOCKED: MariaDB >= 10.6, MySQL >= 8.0.1 */
  skipLocked: boolean;
  /** an index leading with card (commodity_id, status): stock claims skip a product's sold cards */
  stockIndex: boolean;
}

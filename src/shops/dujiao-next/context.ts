import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { Sql } from 'postgres';
import type { Database } from '../../db/client.ts';
import type { SecretBox } from '../../crypto/secret-box.ts';

/** What every part of the dujiao-next adapter works with, built once at connect (index.ts). */
export interface DujiaoNextContext {
  db: PostgresJsDatabase;
  sql: Sql;
  box: SecretBox;
  now: () => Date;
  autoWindowMs: number;
  manualWindowMs: number;
  /** order-doctor's own database: where the selection cursor over the shop's orders is kept */
  own: Database;
  /** names this shop's database in order-doctor's own records (the cursor's key) */
  identity: string;
}

import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { Sql } from 'postgres';
import type { ShopContext } from '../context.ts';

/** What every part of the dujiao-next adapter works with, built once at connect (index.ts). */
export interface DujiaoNextContext extends ShopContext {
  db: PostgresJsDatabase;
  sql: Sql;
}

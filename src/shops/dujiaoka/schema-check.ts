/**
 * Is the shop's database what order-doctor expects? The four tables (with SHOP_TABLE_PREFIX) and
 * every column it reads (tables.ts), from information_schema: checked when the shop is opened (a
 * wrong database or prefix stops start-up with one line) and reported by `shop check`.
 */
import type { Pool } from 'mysql2/promise';
import { q, readTables, schemaGaps, type TableFound as Found } from '../mysql/schema.ts';
import type { DujiaokaTables } from './tables.ts';

export { q, schemaGaps };

export type TableName = 'orders' | 'goods' | 'carmis' | 'pays';
export const TABLES: readonly TableName[] = ['orders', 'goods', 'carmis', 'pays'];

export type TableFound = Found<TableName>;

export async function readSchema(pool: Pool, t: DujiaokaTables): Promise<TableFound[]> {
  return readTables(pool, t, TABLES);
}

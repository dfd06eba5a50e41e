/**
 * Is the shop's database what order-doctor expects? The four tables (with SHOP_TABLE_PREFIX) and
 * every column it reads (tables.ts), from information_schema: checked when the shop is opened (a
 * wrong database or prefix stops start-up with one line) and reported by `shop check`.
 */
import { getTableColumns, getTableName } from 'drizzle-orm';
import type { Pool } from 'mysql2/promise';
import type { DujiaokaTables } from './tables.ts';

export type TableName = 'orders' | 'goods' | 'carmis' | 'pays';
export const TABLES: readonly TableName[] = ['orders', 'goods', 'carmis', 'pays'];

export interface TableFound {
  name: TableName;
  /** the name in the database, with SHOP_TABLE_PREFIX */
  table: string;
  present: boolean;
  /** columns order-doctor reads that the table lacks */
  missingColumns: string[];
  /** the server's estimate of its rows (information_schema.tables.table_rows) */
  rowsEstimate: number | null;
}

type Row = Record<string, unknown>;

/** Rows of a plain read (the inspection's queries are information_schema and counts, not drizzle's). */
export async function q<T extends Row = Row>(pool: Pool, sql: string, params: unknown[] = []): Promise<T[]> {
  const [rows] = await pool.query(sql, params);
  return rows as T[];
}

export async function readSchema(pool: Pool, t: DujiaokaTables): Promise<TableFound[]> {
  const names = TABLES.map((n) => getTableName(t[n]));
  const found = await q<{ name: string; rows: number | string | null }>(pool,
    'select table_name as name, table_rows as `rows` from information_schema.tables where table_schema = database() and table_name in (?)', [names]);
  const cols = await q<{ t: string; c: string }>(pool,
    'select table_name as t, column_name as c from information_schema.columns where table_schema = database() and table_name in (?)', [names]);
  return TABLES.map((name) => {
    const table = getTableName(t[name]);
    const info = found.find((f) => f.name === table);
    const have = new Set(cols.filter((c) => c.t === table).map((c) => c.c.toLowerCase()));
    const wanted = Object.values(getTableColumns(t[name])).map((c) => c.name);
    return {
      name, table, present: !!info,
      missingColumns: info ? wanted.filter((c) => !have.has(c.toLowerCase())) : [],
      rowsEstimate: info?.rows === null || info?.rows === undefined ? null : Number(info.rows),
    };
  });
}

/** What is missing, in words: `table carmis`, `orders.info`; empty when the shop is as expected. */
export function schemaGaps(found: TableFound[]): string[] {
  return found.flatMap((f) => (f.present ? f.missingColumns.map((c) => `${f.table}.${c}`) : [`table ${f.table}`]));
}

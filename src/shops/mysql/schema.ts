/**
 * Is a shop's MySQL database what order-doctor expects? Its tables (with SHOP_TABLE_PREFIX) and
 * every column the adapter declares (its tables.ts), read from information_schema: checked when the
 * shop is opened (a wrong database or prefix stops start-up with one line) and by `shop check`.
 */
import { getTableColumns, getTableName } from 'drizzle-orm';
import type { MySqlTable } from 'drizzle-orm/mysql-core';
import type { Pool } from 'mysql2/promise';

export interface TableFound<N extends string = string> {
  name: N;
  /** the name in the database, with SHOP_TABLE_PREFIX */
  table: string;
  present: boolean;
  /** columns order-doctor reads that the table lacks */
  missingColumns: string[];
  /** the server's estimate of its rows (information_schema.tables.table_rows) */
  rowsEstimate: number | null;
}

type Row = Record<string, unknown>;

/** Rows of a plain read (information_schema and counts, not drizzle's). */
export async function q<T extends Row = Row>(pool: Pool, sql: string, params: unknown[] = []): Promise<T[]> {
  const [rows] = await pool.query(sql, params);
  return rows as T[];
}

/** Each of `names` among `tables`: there or not, and the declared columns it lacks. */
export async function readTables<N extends string>(pool: Pool, tables: Record<N, MySqlTable>, names: readonly N[]): Promise<TableFound<N>[]> {
  const real = names.map((n) => getTableName(tables[n]));
  const found = await q<{ name: string; rows: number | string | null }>(pool,
    'select table_name as name, table_rows as `rows` from information_schema.tables where table_schema = database() and table_name in (?)', [real]);
  const cols = await q<{ t: string; c: string }>(pool,
    'select table_name as t, column_name as c from information_schema.columns where table_schema = database() and table_name in (?)', [real]);
  return names.map((name) => {
    const table = getTableName(tables[name]);
    const info = found.find((f) => f.name === table);
    const have = new Set(cols.filter((c) => c.t === table).map((c) => c.c.toLowerCase()));
    const wanted = Object.values(getTableColumns(tables[name])).map((c) => c.name);
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

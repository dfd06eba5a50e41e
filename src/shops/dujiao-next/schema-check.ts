/**
 * Is the shop's database what order-doctor expects? The seven tables and every column it reads
 * (tables.ts), from information_schema in the connection's own schema: checked when the shop is
 * opened (a wrong database stops start-up with one line) and reported by `shop check`.
 */
import { getTableColumns, getTableName } from 'drizzle-orm';
import type { Sql } from 'postgres';
import { TABLES } from './tables.ts';

export type TableName = keyof typeof TABLES;

export interface TableFound {
  name: TableName;
  present: boolean;
  /** columns order-doctor reads that the table lacks */
  missingColumns: string[];
  /** the planner's estimate of its rows (pg_class.reltuples; null: never analysed) */
  rowsEstimate: number | null;
}

export async function readSchema(sql: Sql): Promise<TableFound[]> {
  const names = Object.values(TABLES).map((t) => getTableName(t));
  const cols = await sql<{ t: string; c: string }[]>`
    select table_name as t, column_name as c from information_schema.columns
     where table_schema = current_schema() and table_name in ${sql(names)}`;
  const est = await sql<{ t: string; n: number }[]>`
    select c.relname as t, c.reltuples::float8 as n from pg_class c
     where c.relnamespace = current_schema()::regnamespace and c.relkind = 'r' and c.relname in ${sql(names)}`;
  return (Object.keys(TABLES) as TableName[]).map((name) => {
    const table = getTableName(TABLES[name]);
    const have = new Set(cols.filter((c) => c.t === table).map((c) => c.c.toLowerCase()));
    const wanted = Object.values(getTableColumns(TABLES[name])).map((c) => c.name);
    const n = est.find((e) => e.t === table)?.n;
    return {
      name, present: have.size > 0,
      missingColumns: have.size > 0 ? wanted.filter((c) => !have.has(c)) : [],
      rowsEstimate: n === undefined || n < 0 ? null : Math.round(n),
    };
  });
}

/** What is missing, in words: `table card_secrets`, `orders.parent_id`; empty when the shop is as expected. */
export function schemaGaps(found: TableFound[]): string[] {
  return found.flatMap((f) => (f.present ? f.missingColumns.map((c) => `${f.name}.${c}`) : [`table ${f.name}`]));
}

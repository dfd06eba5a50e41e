/**
 * `shop check`'s grants finding: SHOW GRANTS parsed tolerantly, and what order-doctor needs of it
 * (SELECT on the four tables, UPDATE on the columns a delivery writes: README "the grants it needs").
 */
import { getTableColumns, getTableName } from 'drizzle-orm';
import type { Pool } from 'mysql2/promise';
import { readGrantsFor, type GrantReport } from '../mysql/grants.ts';
import { TABLES, type TableName } from './schema-check.ts';
import type { DujiaokaTables } from './tables.ts';

/** moved to ../mysql/grants.ts (shared with acg-faka); re-exported for the callers that import them from here */
export { granted, parseGrants, type GrantLine, type GrantReport } from '../mysql/grants.ts';

/** The columns order-doctor updates (deliver.ts), by table. */
const UPDATES: Partial<Record<TableName, string[]>> = {
  orders: ['info', 'status', 'trade_no', 'updated_at'],
  carmis: ['status', 'updated_at'],
  goods: ['sales_volume', 'updated_at'],
};



export async function readGrants(pool: Pool, db: string, t: DujiaokaTables): Promise<GrantReport> {
  return readGrantsFor(pool, db, TABLES.map((name) => ({
    table: getTableName(t[name]),
    reads: Object.values(getTableColumns(t[name])).map((c) => c.name),
    writes: UPDATES[name] ?? [],
  })));
}

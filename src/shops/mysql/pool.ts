/**
 * MySQL/MariaDB machinery every shop on MySQL shares (dujiaoka, acg-faka): the pool on the shop's
 * database and what its server version allows.
 */
import mysql from 'mysql2/promise';

/** A pool on the shop's database: strings for its times (local wall clock) and decimals, never the driver's guesses. */
export function shopPool(url: string, opts: { connections?: number } = {}): mysql.Pool {
  const u = new URL(url);
  return mysql.createPool({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1)),
    connectionLimit: opts.connections ?? 10,
    connectTimeout: 5000,
    dateStrings: true,
    supportBigNumbers: true,
    decimalNumbers: false,
    charset: 'utf8mb4',
    // no session time_zone: the shop's own connections use the server's, and so do we (times stay as it wrote them)
  });
}

/** FOR UPDATE SKIP LOCKED: MariaDB >= 10.6, MySQL >= 8.0.1. */
export function supportsSkipLocked(version: string): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [maj, min, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (/mariadb/i.test(version)) return maj > 10 || (maj === 10 && min >= 6);
  return maj > 8 || (maj === 8 && (min > 0 || patch >= 1));
}

/** The server's version string (`10.11.6-MariaDB-...`). */
export async function serverVersion(pool: mysql.Pool): Promise<string> {
  const [[v]] = (await pool.query('select version() as v')) as unknown as [[{ v: string }]];
  return v.v;
}

/**
 * Whether `table` has an index whose leading columns are `columns`, in order (information_schema),
 * for the optional indexes a large shop wants.
 */
export async function indexLeads(pool: mysql.Pool, table: string, columns: string[]): Promise<boolean> {
  const [rows] = (await pool.query(
    `select index_name as i, seq_in_index as s, column_name as c from information_schema.statistics
      where table_schema = database() and table_name = ?`,
    [table],
  )) as unknown as [{ i: string; s: number | string; c: string }[]];
  const byIndex = new Map<string, string[]>();
  for (const r of rows) {
    const list = byIndex.get(r.i) ?? [];
    list[Number(r.s) - 1] = r.c.toLowerCase();
    byIndex.set(r.i, list);
  }
  return [...byIndex.values()].some((list) => columns.every((c, i) => list[i] === c));
}

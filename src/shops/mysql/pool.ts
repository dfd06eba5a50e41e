/**
 * MySQL/MariaDB machinery every shop on MySQL shares (dujiaoka, acg-faka): the pool on the shop's
 * database and what its server version allows.
 */
import mysql from 'mysql2/promise';

/** The shop's statements are index lookups and small writes: this bounds a hung server, not them. */
export const DEFAULT_SHOP_STATEMENT_TIMEOUT_MS = 10_000;

/**
 * A pool on the shop's database: strings for its times (local wall clock) and decimals, never the
 * driver's guesses; and a deadline on every wait, as on our own database (db/client.ts), so a shop
 * database that refuses, hangs or is cut off is a 503, never a hung buyer:
 * - opening a connection: `connectTimeout`;
 * - each statement: `timeout` (mysql2 gives the caller PROTOCOL_SEQUENCE_TIMEOUT, but would hand the
 *   connection, its reply still owed, to the next caller: it is destroyed instead);
 * - a row lock the shop's own work holds: `innodb_lock_wait_timeout` set just inside the deadline,
 *   so the server ends the wait and rolls back itself (a dropped connection's wait would otherwise
 *   hold its locks for the server's 50 s default).
 * mysql2 has no default per-statement timeout, so query/execute/getConnection are wrapped.
 */
export function shopPool(url: string, opts: { connections?: number; statementTimeoutMs?: number } = {}): mysql.Pool {
  const u = new URL(url);
  const deadlineMs = opts.statementTimeoutMs ?? DEFAULT_SHOP_STATEMENT_TIMEOUT_MS;
  const pool = mysql.createPool({
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
  const lockWaitS = Math.max(1, Math.floor(deadlineMs / 1000) - 1);
  pool.pool.on('connection', (conn) => {
    conn.query(`set session innodb_lock_wait_timeout = ${lockWaitS}`, () => {});
  });
  return withStatementDeadline(pool, deadlineMs);
}

type Run = (...args: unknown[]) => Promise<unknown>;

/** `query(sql | options, values)` with the deadline in its options. */
function deadlineArgs(args: unknown[], ms: number): unknown[] {
  const [first, ...rest] = args;
  const options = typeof first === 'string' ? { sql: first } : { ...(first as object) };
  return [{ ...options, timeout: ms }, ...rest];
}

function isStatementTimeout(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'PROTOCOL_SEQUENCE_TIMEOUT';
}

/** A pooled connection whose statements carry the deadline, destroyed (never reused) when one passes it. */
function guardedConnection(conn: mysql.PoolConnection, ms: number): mysql.PoolConnection {
  const run = (method: 'query' | 'execute'): Run => async (...args) => {
    try {
      return await (conn[method] as unknown as Run).apply(conn, deadlineArgs(args, ms));
    } catch (err) {
      if (isStatementTimeout(err)) {
        conn.destroy();
        // destroy() only ends the socket gracefully, which a hung server never completes
        (conn.connection as unknown as { stream?: { destroy(): void } }).stream?.destroy();
      }
      throw err;
    }
  };
  return withMethods(conn, { query: run('query'), execute: run('execute') });
}

function withStatementDeadline(pool: mysql.Pool, ms: number): mysql.Pool {
  const getConnection = async () => guardedConnection(await pool.getConnection(), ms);
  // the pool's own query/execute release the connection whatever happened: ours can destroy it
  const onOne = (method: 'query' | 'execute'): Run => async (...args) => {
    const conn = await getConnection();
    try {
      return await (conn[method] as unknown as Run)(...args);
    } finally {
      conn.release(); // a no-op for a destroyed connection
    }
  };
  return withMethods(pool, { getConnection, query: onOne('query'), execute: onOne('execute') });
}

/** `target` with these methods in place of its own; the rest bound to it (mysql2's use `this`). */
function withMethods<T extends object>(target: T, methods: Record<string, unknown>): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (typeof prop === 'string' && Object.hasOwn(methods, prop)) return methods[prop];
      const value: unknown = Reflect.get(t, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
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

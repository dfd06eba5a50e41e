/**
 * One database handle for the whole app, over postgres.js (a real server) or PGlite (embedded,
 * the default). Both speak the same migrations and the same drizzle query builder; raw SQL goes
 * through `rows()` because postgres.js returns rows and PGlite returns `{ rows }`.
 *
 * A real server can refuse, hang or drop us at any moment, so every wait on it has a deadline:
 * opening a connection (`connect_timeout`), each statement (Postgres `statement_timeout`, sent as a
 * connection parameter), and a server that owes a reply past the statement deadline (the reply
 * watch of postgres-guard.ts drops that connection). Each ends in an error `isDatabaseFault`
 * (faults.ts) recognises, which HTTP answers with 503. postgres.js itself is loaded through
 * postgres-guard.ts: a dropped connection must not take the process down.
 */
import { mkdirSync } from 'node:fs';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { isConnectionLost } from './faults.ts';
import type { Sql } from 'postgres';
import type { Postgres } from './postgres-guard.ts';
import { preparedByDefault } from './prepared.ts';
import * as schema from './schema.ts';

/** Opening a connection, TCP to the first ReadyForQuery (authentication included). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/**
 * Postgres `statement_timeout`. Our statements are index lookups and small writes (milliseconds);
 * the bound is for a server that is overloaded or a lock that is never released, not for them.
 * Note: migrations run under it too.
 */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;
/** How much longer than the statement deadline a silent server gets before its connection is dropped (at most the deadline again). */
const REPLY_GRACE_MS = 3_000;

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction handle; same query API as Db. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** runs raw SQL and returns its rows, whatever the driver */
  rows<T = Record<string, unknown>>(query: SQL, on?: Db | Tx): Promise<T[]>;
  /** runs fn while holding a cluster-wide advisory lock (Postgres); PGlite has one connection anyway */
  exclusive<T>(lockId: number, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres://... for a real server; absent for embedded PGlite */
  url?: string;
  /** PGlite data directory; absent for an in-memory PGlite */
  dataDir?: string;
  /** postgres.js pool size */
  maxConnections?: number;
  /** Postgres only: deadline for opening a connection (default DEFAULT_CONNECT_TIMEOUT_MS) */
  connectTimeoutMs?: number;
  /**
   * Postgres only: `statement_timeout` of every statement (default DEFAULT_STATEMENT_TIMEOUT_MS);
   * a connection whose server owes a reply longer than this plus min(3 s, this) is dropped by the client
   */
  statementTimeoutMs?: number;
  /**
   * Workers: postgres.js itself (its workerd build opens sockets with cloudflare:sockets). Default:
   * the guarded build of postgres-guard.ts, which compiles the package's Node sources from disk.
   */
  postgres?: Postgres;
  /**
   * false (Workers, through Hyperdrive): send no session settings in the startup packet. Hyperdrive
   * pools the server's connections across clients in transaction mode, RESETs them between
   * transactions and documents no startup parameters, so `statement_timeout` and `jit` sent here may
   * be refused or silently lost. The deadline then comes from the role's own default on the
   * database (README "Deploying": ALTER ROLE ... IN DATABASE ... SET statement_timeout), which every
   * server connection starts with and RESET returns to; sessionDeadlineMs() reads it back.
   */
  startupSettings?: boolean;
}

/**
 * Runs raw SQL on a database or transaction handle and returns its rows, whichever the driver:
 * postgres.js answers with the rows themselves, PGlite with `{ rows }`.
 */
export async function queryRows<T = Record<string, unknown>>(on: Db | Tx, query: SQL): Promise<T[]> {
  const result = (await on.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}

/**
 * The statement deadline the server applies to this handle's statements, in ms (0: none). Where the
 * startup packet does not carry it (`startupSettings: false`), it is the role's or database's default.
 */
export async function sessionDeadlineMs(database: Database): Promise<number> {
  const [row] = await database.rows<{ ms: string | number }>(
    sql`select extract(epoch from current_setting('statement_timeout')::interval) * 1000 as ms`,
  );
  return Number(row?.ms ?? 0);
}

/**
 * A postgres.js client whose every wait has a deadline (this file's header): the guarded build of
 * postgres-guard.ts unless `opts.postgres` is given (Workers), connect timeout, statement timeout and
 * the reply watch, a short reconnect backoff. Our own database and a connected shop's on Postgres
 * (dujiao-next) are both opened through it; `extra` adds a caller's own options (types, idle).
 */
export async function deadlineBoundPostgres(
  opts: Omit<DatabaseOptions, 'dataDir'> & { url: string },
  extra: Record<string, unknown> = {},
): Promise<{ client: Sql; stop(): void }> {
  const statementTimeoutMs = opts.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  // imported when needed: the guard reads postgres.js's sources from disk as it loads, and Workers have none
  const { postgres, stop } = opts.postgres
    ? { postgres: opts.postgres, stop: () => {} }
    : (await import('./postgres-guard.ts')).guardedPostgres({ replyDeadlineMs: statementTimeoutMs + Math.min(REPLY_GRACE_MS, statementTimeoutMs) });
  const client = postgres(opts.url, {
    max: opts.maxConnections ?? 10,
    onnotice: () => {},
    connect_timeout: (opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS) / 1000,
    // postgres.js waits 3^n/100 s (up to 20 s) before reopening a connection after n failures in
    // a row, so after a failover or a burst of terminations the next checks would queue that long
    // for a connection: a hang by another name. At most a second here (10 connections: at most
    // ten attempts a second against a database that is down).
    backoff: (failures: number) => Math.min(0.05 * 2 ** failures, 1) * (0.5 + Math.random() / 2),
    connection: opts.startupSettings === false ? {} : {
      // Our queries are short index lookups; JIT compiling them (Postgres does above an estimated
      // cost, and estimates for queue queries run high) cost 25 ms of CPU for a 1 ms query.
      jit: 'off',
      statement_timeout: statementTimeoutMs,
    },
    ...extra,
  });
  return { client, stop };
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.url) {
    const { drizzle } = await import('drizzle-orm/postgres-js');
    const { client, stop } = await deadlineBoundPostgres({ ...opts, url: opts.url });
    const db = drizzle(preparedByDefault(client), { schema }) as unknown as Db;
    return {
      db,
      kind: 'postgres',
      rows: (q, on = db) => queryRows(on, q),
      exclusive: async (lockId, fn) => {
        const conn = await client.reserve();
        // a reserved connection that died stays with the pool's closed ones: released, it would be
        // handed out as idle and fail the next query
        let alive = true;
        const on = async <T>(query: Promise<T>): Promise<T> => {
          try {
            return await query;
          } catch (err) {
            if (isConnectionLost(err)) alive = false;
            throw err;
          }
        };
        try {
          // polled rather than waited for: each statement stays far inside the statement deadline,
          // however long another holder (a migration in another process) keeps the lock
          while (!(await on(conn<{ ok: boolean }[]>`select pg_try_advisory_lock(${lockId}) as ok`))[0]?.ok) {
            await new Promise((r) => setTimeout(r, 100));
          }
          try {
            return await fn();
          } finally {
            // a session that is gone took its lock with it
            await on(conn`select pg_advisory_unlock(${lockId})`).catch((err: unknown) => {
              if (alive) throw err;
            });
          }
        } finally {
          if (alive) conn.release();
        }
      },
      close: async () => {
        try {
          await client.end({ timeout: 5 });
        } finally {
          stop();
        }
      },
    };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const client = new PGlite(opts.dataDir);
  await client.waitReady;
  const db = drizzle(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    rows: (q, on = db) => queryRows(on, q),
    exclusive: (_lockId, fn) => fn(),
    close: () => client.close(),
  };
}

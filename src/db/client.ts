/**
 * One database handle for the whole app, over postgres.js (a real server) or PGlite (embedded,
 * the default). Both speak the same migrations and the same drizzle query builder; raw SQL goes
 * through `rows()` because postgres.js returns rows and PGlite returns `{ rows }`.
 */
import { mkdirSync } from 'node:fs';
import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { preparedByDefault } from './prepared.ts';
import * as schema from './schema.ts';

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
}

/**
 * Runs raw SQL on a database or transaction handle and returns its rows, whichever the driver:
 * postgres.js answers with the rows themselves, PGlite with `{ rows }`.
 */
export async function queryRows<T = Record<string, unknown>>(on: Db | Tx, query: SQL): Promise<T[]> {
  const result = (await on.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.url) {
    const { default: postgres } = await import('postgres');
    const { drizzle } = await import('drizzle-orm/postgres-js');
    const client = postgres(opts.url, {
      max: opts.maxConnections ?? 10,
      onnotice: () => {},
      // Our queries are short index lookups; JIT compiling them (Postgres does above an estimated
      // cost, and estimates for queue queries run high) cost 25 ms of CPU for a 1 ms query.
      connection: { jit: 'off' },
    });
    const db = drizzle(preparedByDefault(client), { schema }) as unknown as Db;
    return {
      db,
      kind: 'postgres',
      rows: (q, on = db) => queryRows(on, q),
      exclusive: async (lockId, fn) => {
        const conn = await client.reserve();
        try {
          await conn`select pg_advisory_lock(${lockId})`;
          try {
            return await fn();
          } finally {
            await conn`select pg_advisory_unlock(${lockId})`;
          }
        } finally {
          conn.release();
        }
      },
      close: () => client.end({ timeout: 5 }),
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

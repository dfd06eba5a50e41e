/**
 * The MariaDB the MySQL shops' suites (dujiaoka, acg-faka) run on: a fresh database per suite
 * built by the shop's own DDL, times written in the shop's local wall clock. Without MariaDB (a
 * laptop) the suites are skipped and named in the run's last line (test/support/requires.ts); under
 * CI=true a missing MariaDB fails the run instead.
 */
import mysql from 'mysql2/promise';
import { requires, SHOP_SERVER_URL } from '../../support/requires.ts';
import { toShopTime } from '../../../src/shops/local-time.ts';

export const SERVER_URL = SHOP_SERVER_URL;
export const ZONE = 'Asia/Shanghai';

/** Whether MariaDB is up; a missing one fails the run under CI=true (money tests must not skip silently). */
export const MARIADB = await requires('mariadb');

export const local = (d: Date) => toShopTime(d, ZONE);

export interface MySqlTestDatabase {
  url: string;
  pool: mysql.Pool;
  drop(): Promise<void>;
}

/** A new database named `<namePrefix>_<unique>` on the server, `ddl` run in it. */
export async function freshDatabase(namePrefix: string, ddl: string): Promise<MySqlTestDatabase> {
  const name = `${namePrefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = await mysql.createConnection({ uri: SERVER_URL, multipleStatements: true });
  await admin.query(`create database ${name} character set utf8mb4`);
  await admin.query(`use ${name}; ${ddl}`);
  await admin.end();
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const pool = mysql.createPool({ uri: url.toString(), dateStrings: true, connectionLimit: 4 });
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      const a = await mysql.createConnection({ uri: SERVER_URL });
      await a.query(`drop database if exists ${name}`);
      await a.end();
    },
  };
}

export async function rows(shop: { pool: mysql.Pool }, q: string, args: unknown[] = []): Promise<Record<string, unknown>[]> {
  const [r] = await shop.pool.query(q, args);
  return r as Record<string, unknown>[];
}

/**
 * Database users with only the grants the README gives an owner of a MySQL shop, for the suites
 * that show those grants are enough and allow nothing more (each MySQL shop's grants.test.ts).
 */
import { expect } from 'vitest';
import mysql from 'mysql2/promise';
import { SERVER_URL } from './mysql.ts';

const PASSWORD = 'od-test-pw';

/** Creates `user` with `grants` (statements naming it), and returns the shop's URL as that user. */
export async function grantedUser(shopUrl: string, user: string, grants: string[]): Promise<string> {
  const admin = await mysql.createConnection({ uri: SERVER_URL });
  await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${PASSWORD}'`);
  for (const g of grants) await admin.query(g);
  await admin.end();
  const u = new URL(shopUrl);
  u.username = user;
  u.password = PASSWORD;
  return u.toString();
}

export async function dropUsers(...users: string[]): Promise<void> {
  const admin = await mysql.createConnection({ uri: SERVER_URL });
  for (const user of users) await admin.query(`DROP USER IF EXISTS '${user}'@'%'`).catch(() => {});
  await admin.end();
}

/** Each of `statements`, run as the user `url` connects as, is refused for want of a privilege. */
export async function expectDenied(url: string, statements: string[]): Promise<void> {
  const c = await mysql.createConnection({ uri: url });
  try {
    for (const s of statements) await expect(c.query(s)).rejects.toThrow(/denied/i);
  } finally {
    await c.end();
  }
}

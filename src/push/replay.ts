/**
 * Replay protection: a signed request is accepted once. Its signature is inserted into
 * push_signatures (one autocommitted statement, ON CONFLICT DO NOTHING): the first process to do so
 * serves it, every later sender of the same bytes (a captured request sent again, on any process
 * sharing this database) finds the row and is refused. A row is kept until the window alone would
 * refuse its request, then purged a few at a time by later requests.
 *
 * A retry after a lost answer is not a replay: the client signs it again with a new timestamp, the
 * verbs behind the routes make repeating them harmless (push/order.ts, actions/stock-import.ts).
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { pushSignatures } from '../db/schema.ts';
import { WINDOW_SECONDS } from './signature.ts';

/** expired rows one request deletes: bounded work, and racing requests skip each other's rows */
const PURGE_BATCH = 100;

/** True the first time this signature is seen, false for a replay. */
export async function firstSighting(database: Database, signature: string, timestamp: number, now: Date): Promise<boolean> {
  // a margin past the window's far edge: a clock step on our side must not reopen it
  const expiresAt = new Date((timestamp + 2 * WINDOW_SECONDS) * 1000);
  const inserted = await database.db
    .insert(pushSignatures)
    .values({ signature, seenAt: now, expiresAt })
    .onConflictDoNothing({ target: pushSignatures.signature })
    .returning({ signature: pushSignatures.signature });
  await database.db.execute(sql`
    delete from push_signatures where signature in (
      select signature from push_signatures where expires_at < ${now.toISOString()}::timestamptz
       limit ${PURGE_BATCH} for update skip locked)`);
  return inserted.length > 0;
}

/**
 * The delivery journal (db/schema.ts shopDeliveries): how a delivery into a shop's own database
 * and order-doctor's record of it agree across two commits.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Database, Tx } from '../db/client.ts';
import { shopDeliveries } from '../db/schema.ts';
import type { DeliveryJournal } from '../shops/port.ts';
import type { Actor } from './audit.ts';

/** What the diagnosis knew when it delivered: recovery rebuilds the diagnosis' record from it. */
export interface JournalRecord {
  verdict: string;
  mode: 'reissue' | 'restore';
  facts: Record<string, unknown>;
  order?: Record<string, unknown>;
  /** where the buyer's email goes, should recovery have to send it */
  contact?: string | null;
  startedAt: string;
}

/**
 * A journal whose `prepare` writes the entry on its own (committed at once, outside any
 * transaction of ours), inside the shop's transaction and before the shop commits.
 */
export function openJournal(
  database: Database,
  ctx: { shop: string; diagnosisId: string; actor: Actor; now: Date; record: JournalRecord },
): DeliveryJournal {
  return {
    async prepare(entry) {
      await database.db.insert(shopDeliveries).values({
        id: entry.id, shop: ctx.shop, orderNo: entry.orderNo, diagnosisId: ctx.diagnosisId,
        actorKind: ctx.actor.kind, actorId: ctx.actor.id ?? null, state: 'prepared', preparedAt: ctx.now,
        detail: entry.detail, record: ctx.record,
      });
    },
  };
}

/** A journal for shops that deliver in our own transaction: nothing to prepare. */
export const NO_JOURNAL: DeliveryJournal = {
  prepare() {
    throw new Error('this shop delivers in our own transaction and keeps no journal');
  },
};

/**
 * Marks a prepared entry settled, in the caller's transaction. Exactly one caller wins (the
 * diagnosis that delivered, or recovery after a crash): only the winner writes the audit row and
 * the buyer's email, so they are written once.
 */
export async function settleJournal(tx: Tx, id: string, state: 'committed' | 'rolled_back', at: Date): Promise<boolean> {
  const won = await tx
    .update(shopDeliveries)
    .set({ state, settledAt: at })
    .where(and(eq(shopDeliveries.id, id), eq(shopDeliveries.state, 'prepared')))
    .returning({ id: shopDeliveries.id });
  return won.length === 1;
}

export type PreparedEntry = typeof shopDeliveries.$inferSelect;

/** Entries still `prepared` that were written before `before`: their diagnosis never finished. */
export async function unsettledEntries(database: Database, before: Date, limit = 100): Promise<PreparedEntry[]> {
  return database.db
    .select()
    .from(shopDeliveries)
    .where(and(eq(shopDeliveries.state, 'prepared'), sql`${shopDeliveries.preparedAt} < ${before.toISOString()}::timestamptz`))
    .orderBy(shopDeliveries.preparedAt)
    .limit(limit);
}
